// What `launch` and the host's gpu.* compile to: the current device, chosen once by FUSION_DEVICE,
// and the blocks gpu.alloc handed out (so that gpu.free can refuse a pointer it never gave, and
// `--check-kernels` can tell an access out of a block's bounds).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.h"

// --- Failures -----------------------------------------------------------------------------------

// "gpu error: gpu.alloc failed: <what the device said>" and where, then exit 101 (as a panic).
static _Noreturn void gpu_die(const char* what, rt_loc loc, const char* message) {
  rt_die_begin();
  fprintf(stderr, "gpu error: %s failed: %s\n", what, message);
  if (loc) fprintf(stderr, "  at %s:%d:%d\n", loc->file, loc->line, loc->col);
  rt_die_exit();
}

// --- The current device -------------------------------------------------------------------------

static rt_gpu_device* g_device;
static char g_device_error[768];
static pthread_once_t g_device_once = PTHREAD_ONCE_INIT;

// FUSION_DEVICE: auto (or unset) is CUDA device FUSION_CUDA_DEVICE (default 0) when the driver
// loads and reports a device, else the CPU; cuda is that device or an error saying what was tried
// and what the driver said; cpu is the CPU.
static void choose_device(void) {
  const char* want = getenv("FUSION_DEVICE");
  bool is_auto = !want || !*want || strcmp(want, "auto") == 0;
  if (!is_auto && strcmp(want, "cpu") == 0) {
    g_device = rt_gpu_cpu_device();
    return;
  }
  if (!is_auto && strcmp(want, "cuda") != 0) {
    snprintf(g_device_error, sizeof g_device_error, "FUSION_DEVICE=%s is not a device; use cpu, cuda or auto", want);
    return;
  }
  const char* chosen = is_auto ? "FUSION_DEVICE=auto" : "FUSION_DEVICE=cuda";
  int ordinal = 0;
  const char* env = getenv("FUSION_CUDA_DEVICE");
  if (env && *env) {
    char* end;
    long n = strtol(env, &end, 10);
    if (*end || n < 0 || n > 1023) {
      snprintf(g_device_error, sizeof g_device_error, "FUSION_CUDA_DEVICE=%s is not a device number (0, 1, ...)", env);
      return;
    }
    ordinal = (int)n;
  }
  int count = rt_gpu_cuda_device_count();
  if (count > 0) {
    g_device = rt_gpu_cuda_device(ordinal);
    if (!g_device)
      snprintf(g_device_error, sizeof g_device_error, "%s, but CUDA device %d cannot be used: %s", chosen, ordinal,
               rt_gpu_last_error());
    return;
  }
  if (is_auto) {  // no driver, or no device: the CPU
    g_device = rt_gpu_cpu_device();
    return;
  }
  const char* driver = getenv("FUSION_CUDA_DRIVER");
  if (!driver || !*driver) driver = "libcuda.so.1";
  if (count < 0)
    snprintf(g_device_error, sizeof g_device_error,
             "FUSION_DEVICE=cuda, but the CUDA driver cannot be used: %s (FUSION_CUDA_DRIVER names the driver; "
             "FUSION_DEVICE=cpu or auto runs kernels on the CPU)",
             rt_gpu_last_error());
  else
    snprintf(g_device_error, sizeof g_device_error,
             "FUSION_DEVICE=cuda, but the CUDA driver (%s) reports no device", driver);
}

rt_gpu_device* rt_gpu_current(void) {
  pthread_once(&g_device_once, choose_device);
  if (!g_device) rtgpu_fail("%s", g_device_error);
  return g_device;
}

static rt_gpu_device* device_for(const char* what, rt_loc loc) {
  rt_gpu_device* d = rt_gpu_current();
  if (!d) gpu_die(what, loc, g_device_error);
  return d;
}

// --- The blocks gpu.alloc handed out ------------------------------------------------------------

typedef struct region {
  char* base;  // what the program got
  size_t size;
  void* raw;   // what the device gave: base - RTGPU_RED_ZONE
} region;

static struct {
  pthread_rwlock_t lock;
  region* items;  // sorted by base
  size_t count, capacity;
} g_regions = {.lock = PTHREAD_RWLOCK_INITIALIZER};

// The index of the first region whose base is above `p`.
static size_t upper_bound(const char* p) {
  size_t lo = 0, hi = g_regions.count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (g_regions.items[mid].base <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static bool registry_add(char* base, size_t size, void* raw) {
  pthread_rwlock_wrlock(&g_regions.lock);
  bool ok = true;
  if (g_regions.count == g_regions.capacity) {
    size_t cap = g_regions.capacity ? 2 * g_regions.capacity : 64;
    region* items = realloc(g_regions.items, cap * sizeof *items);
    if (items) g_regions.items = items, g_regions.capacity = cap;
    else ok = false;
  }
  if (ok) {
    size_t i = upper_bound(base);
    memmove(&g_regions.items[i + 1], &g_regions.items[i], (g_regions.count - i) * sizeof(region));
    g_regions.items[i] = (region){base, size, raw};
    g_regions.count++;
  }
  pthread_rwlock_unlock(&g_regions.lock);
  return ok;
}

// Removes the region that starts at `base`; its raw pointer, or NULL when there is none.
static void* registry_remove(const char* base) {
  pthread_rwlock_wrlock(&g_regions.lock);
  void* raw = NULL;
  size_t i = upper_bound(base);
  if (i > 0 && g_regions.items[i - 1].base == base) {
    raw = g_regions.items[i - 1].raw;
    memmove(&g_regions.items[i - 1], &g_regions.items[i], (g_regions.count - i) * sizeof(region));
    g_regions.count--;
  }
  pthread_rwlock_unlock(&g_regions.lock);
  return raw;
}

bool rtgpu_registry_check(const void* p, size_t bytes, rtgpu_region* out) {
  const char* a = p;
  bool bad = false;
  pthread_rwlock_rdlock(&g_regions.lock);
  size_t i = upper_bound(a);
  if (i > 0) {
    const region* r = &g_regions.items[i - 1];
    if (a < r->base + r->size) {
      bad = bytes > (size_t)(r->base + r->size - a);  // starts inside, runs past the end
    } else if (a < r->base + r->size + RTGPU_RED_ZONE) {
      bad = true;  // just past the end
    }
    if (bad) *out = (rtgpu_region){r->base, r->size};
  }
  if (!bad && i < g_regions.count) {
    const region* r = &g_regions.items[i];
    if (a + bytes > r->base - RTGPU_RED_ZONE) {  // just before the start, or running into it
      bad = true;
      *out = (rtgpu_region){r->base, r->size};
    }
  }
  pthread_rwlock_unlock(&g_regions.lock);
  return bad;
}

// Whether [p, p + bytes) lies inside one gpu.alloc block.
static bool registry_contains(const char* p, size_t bytes) {
  pthread_rwlock_rdlock(&g_regions.lock);
  size_t i = upper_bound(p);
  bool ok = i > 0 && p + bytes <= g_regions.items[i - 1].base + g_regions.items[i - 1].size;
  pthread_rwlock_unlock(&g_regions.lock);
  return ok;
}

// --- What the compiler calls --------------------------------------------------------------------

void rt_gpu_launch_kernel(rt_ptr launch) {
  const rt_gpu_launch* l = launch;
  char what[160];
  snprintf(what, sizeof what, "launch of kernel `%s`", l->kernel->name);
  rt_gpu_device* d = device_for(what, l->loc);
  if (d->launch(d, l)) gpu_die(what, l->loc, rt_gpu_last_error());
}

rt_bool rt_gpu_api_available(void) {
  rt_gpu_device* d = rt_gpu_current();
  return d && d != rt_gpu_cpu_device();
}

rt_ptr rt_gpu_api_device_name(void) {
  rt_gpu_device* d = device_for("gpu.device_name", NULL);
  return d->name;
}

rt_ptr rt_gpu_api_alloc(rt_u64 bytes, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.alloc", loc);
  void* raw = NULL;
  if (bytes > SIZE_MAX / 2) {
    char msg[96];
    snprintf(msg, sizeof msg, "%llu bytes is more than any device has", (unsigned long long)bytes);
    gpu_die("gpu.alloc", loc, msg);
  }
  if (d->alloc(d, bytes + 2 * RTGPU_RED_ZONE, NULL, &raw)) gpu_die("gpu.alloc", loc, rt_gpu_last_error());
  char* base = (char*)raw + RTGPU_RED_ZONE;
  if (!registry_add(base, bytes, raw)) gpu_die("gpu.alloc", loc, "out of memory recording the allocation");
  return base;
}

void rt_gpu_api_free(rt_ptr p, rt_loc loc) {
  if (!p) return;
  void* raw = registry_remove(p);
  if (!raw) {
    char msg[128];
    snprintf(msg, sizeof msg, "%p is not a pointer that gpu.alloc returned (or it was freed already)", p);
    gpu_die("gpu.free", loc, msg);
  }
  rt_gpu_device* d = device_for("gpu.free", loc);
  if (d->free(d, raw, NULL)) gpu_die("gpu.free", loc, rt_gpu_last_error());
}

// kind: 0 host to device, 1 device to host (rt_gpu_copy_kind). The device side must lie inside
// one gpu.alloc block.
void rt_gpu_api_copy(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_i32 kind, rt_loc loc) {
  const char* what = kind == RT_GPU_HOST_TO_DEVICE ? "gpu.copy_to_device" : "gpu.copy_to_host";
  rt_gpu_device* d = device_for(what, loc);
  if (bytes == 0) return;
  const char* device_side = kind == RT_GPU_HOST_TO_DEVICE ? dst : src;
  if (!registry_contains(device_side, bytes)) {
    char msg[200];
    snprintf(msg, sizeof msg, "the device pointer %p with %llu bytes is not inside one gpu.alloc block", (void*)device_side,
             (unsigned long long)bytes);
    gpu_die(what, loc, msg);
  }
  if (d->copy(d, (void*)dst, src, bytes, (rt_gpu_copy_kind)kind, NULL)) gpu_die(what, loc, rt_gpu_last_error());
  if (kind == RT_GPU_DEVICE_TO_HOST && d->sync(d)) gpu_die(what, loc, rt_gpu_last_error());
}

void rt_gpu_api_sync(rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.sync", loc);
  if (d->sync(d)) gpu_die("gpu.sync", loc, rt_gpu_last_error());
}
