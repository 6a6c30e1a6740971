// What `launch` and the host's gpu.* compile to (one rt_gpu_api_NAME per entry of the compiler's
// base/gpu_api.def): the current device, chosen by FUSION_DEVICE and gpu.set_device; the blocks
// gpu.alloc and gpu.alloc_host handed out (so that a free can refuse a pointer it never gave, a
// copy a range outside its block, `--check-kernels` an access out of a block's bounds, and
// `--device check` copy and compare every live block); and the stream and event objects the
// program holds. Every misuse ends the program (exit 101) naming the
// call and its Fusion source location, on every device.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

// Written once by choose_device and then by gpu.set_device; read by every call, on any thread.
static rt_gpu_device* _Atomic g_device;
static bool g_check;  // FUSION_DEVICE=check: launches go through rtgpu_check_launch
static char g_device_error[768];
static pthread_once_t g_device_once = PTHREAD_ONCE_INIT;

// FUSION_DEVICE: auto (or unset) is CUDA device FUSION_CUDA_DEVICE (default 0) when the driver
// loads and reports a device, else the CPU; cuda is that device or an error saying what was tried
// and what the driver said; cpu is the CPU; check is the device auto picks, with every launch run
// twice and compared (gpu_check.c).
static void choose_device(void) {
  const char* want = getenv("FUSION_DEVICE");
  if (want && strcmp(want, "check") == 0) {
    g_check = true;
    rtgpu_check_start();
    want = "auto";
  }
  bool is_auto = !want || !*want || strcmp(want, "auto") == 0;
  if (!is_auto && strcmp(want, "cpu") == 0) {
    g_device = rt_gpu_cpu_device();
    return;
  }
  if (!is_auto && strcmp(want, "cuda") != 0) {
    snprintf(g_device_error, sizeof g_device_error, "FUSION_DEVICE=%s is not a device; use cpu, cuda, auto or check", want);
    return;
  }
  const char* chosen = g_check ? "FUSION_DEVICE=check" : is_auto ? "FUSION_DEVICE=auto" : "FUSION_DEVICE=cuda";
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

// --- The blocks gpu.alloc and gpu.alloc_host handed out ----------------------------------------

typedef struct region {
  char* base;  // what the program got
  size_t size;
  void* raw;   // what the device gave: base - RTGPU_RED_ZONE for device memory
  rt_loc loc;  // the gpu.alloc (or alloc_async, alloc_host) that made it
  rt_gpu_device* device;  // the device it belongs to
} region;

typedef struct registry {
  pthread_rwlock_t lock;
  region* items;  // sorted by base
  size_t count, capacity;
} registry;

static registry g_device_blocks = {.lock = PTHREAD_RWLOCK_INITIALIZER};
static registry g_host_blocks = {.lock = PTHREAD_RWLOCK_INITIALIZER};

// The index of the first region whose base is above `p`.
static size_t upper_bound(const registry* r, const char* p) {
  size_t lo = 0, hi = r->count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->items[mid].base <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static bool registry_add(registry* r, char* base, size_t size, void* raw, rt_loc loc, rt_gpu_device* device) {
  pthread_rwlock_wrlock(&r->lock);
  bool ok = true;
  if (r->count == r->capacity) {
    size_t cap = r->capacity ? 2 * r->capacity : 64;
    region* items = realloc(r->items, cap * sizeof *items);
    if (items) r->items = items, r->capacity = cap;
    else ok = false;
  }
  if (ok) {
    size_t i = upper_bound(r, base);
    memmove(&r->items[i + 1], &r->items[i], (r->count - i) * sizeof(region));
    r->items[i] = (region){base, size, raw, loc, device};
    r->count++;
  }
  pthread_rwlock_unlock(&r->lock);
  return ok;
}

// Removes the region that starts at `base`; its raw pointer, or NULL when there is none.
static void* registry_remove(registry* r, const char* base) {
  pthread_rwlock_wrlock(&r->lock);
  void* raw = NULL;
  size_t i = upper_bound(r, base);
  if (i > 0 && r->items[i - 1].base == base) {
    raw = r->items[i - 1].raw;
    memmove(&r->items[i - 1], &r->items[i], (r->count - i) * sizeof(region));
    r->count--;
  }
  pthread_rwlock_unlock(&r->lock);
  return raw;
}

// The region `p` lies in (false when none); `out` gets it.
static bool registry_find(registry* r, const char* p, region* out) {
  pthread_rwlock_rdlock(&r->lock);
  size_t i = upper_bound(r, p);
  bool found = i > 0 && p < r->items[i - 1].base + r->items[i - 1].size;
  if (found) *out = r->items[i - 1];
  pthread_rwlock_unlock(&r->lock);
  return found;
}

bool rtgpu_registry_check(const void* p, size_t bytes, rtgpu_region* out) {
  registry* r = &g_device_blocks;
  const char* a = p;
  bool bad = false;
  pthread_rwlock_rdlock(&r->lock);
  size_t i = upper_bound(r, a);
  if (i > 0) {
    const region* g = &r->items[i - 1];
    if (a < g->base + g->size) {
      bad = bytes > (size_t)(g->base + g->size - a);  // starts inside, runs past the end
    } else if (a < g->base + g->size + RTGPU_RED_ZONE) {
      bad = true;  // just past the end
    }
    if (bad) *out = (rtgpu_region){g->base, g->size};
  }
  if (!bad && i < r->count) {
    const region* g = &r->items[i];
    if (a + bytes > g->base - RTGPU_RED_ZONE) {  // just before the start, or running into it
      bad = true;
      *out = (rtgpu_region){g->base, g->size};
    }
  }
  pthread_rwlock_unlock(&r->lock);
  return bad;
}

// Appends every block of `r` to `out` (room for `r->count` more); the number appended.
static size_t registry_append(registry* r, bool host, rtgpu_block_record* out) {
  for (size_t i = 0; i < r->count; i++)
    out[i] = (rtgpu_block_record){r->items[i].base, r->items[i].size, r->items[i].loc, host};
  return r->count;
}

rtgpu_block_record* rtgpu_registry_list(size_t* count) {
  pthread_rwlock_rdlock(&g_device_blocks.lock);
  pthread_rwlock_rdlock(&g_host_blocks.lock);
  size_t n = g_device_blocks.count + g_host_blocks.count;
  rtgpu_block_record* list = malloc((n ? n : 1) * sizeof *list);
  if (list) {
    size_t k = registry_append(&g_device_blocks, false, list);
    registry_append(&g_host_blocks, true, list + k);
  }
  pthread_rwlock_unlock(&g_host_blocks.lock);
  pthread_rwlock_unlock(&g_device_blocks.lock);
  *count = list ? n : 0;
  return list;
}

// --- Checking what a call was given -------------------------------------------------------------

// `bytes` at `p` must lie inside one block that gpu.alloc (device) or gpu.alloc_host handed out,
// or, for host memory, anywhere that is not device memory.
typedef enum memory_kind { DEVICE_MEMORY, HOST_MEMORY } memory_kind;

static void check_owner(const char* what, rt_gpu_device* d, const rt_gpu_device* owner, const char* noun, rt_loc loc);

static void check_range(const char* what, rt_gpu_device* d, rt_loc loc, const char* role, const void* p, size_t bytes,
                        memory_kind kind) {
  char msg[320];
  region r;
  bool in_device = registry_find(&g_device_blocks, p, &r);
  if (kind == DEVICE_MEMORY) {
    if (!in_device) {
      snprintf(msg, sizeof msg, "the %s is not inside a block from gpu.alloc%s", role,
               registry_find(&g_host_blocks, p, &r) ? " (it is host memory from gpu.alloc_host)" : "");
      gpu_die(what, loc, msg);
    }
    check_owner(what, d, r.device, role, loc);
  } else if (in_device) {
    snprintf(msg, sizeof msg, "the %s is device memory (from gpu.alloc); this call copies %s host memory", role,
             strcmp(role, "source") == 0 ? "from" : "to");
    gpu_die(what, loc, msg);
  }
  // Host memory is checked where the runtime knows its bounds: a gpu.alloc_host block.
  bool in_host = !in_device && registry_find(&g_host_blocks, p, &r);
  if ((in_device || in_host) && bytes > (size_t)(r.base + r.size - (const char*)p)) {
    snprintf(msg, sizeof msg,
             "%zu bytes at the %s run past the end of its %s block (the %s starts %zu bytes into the block of %zu)",
             bytes, role, in_device ? "gpu.alloc" : "gpu.alloc_host", role, (size_t)((const char*)p - r.base), r.size);
    gpu_die(what, loc, msg);
  }
}

static void check_device_bytes(const char* what, rt_loc loc, rt_u64 bytes) {
  if (bytes <= SIZE_MAX / 2) return;
  char msg[96];
  snprintf(msg, sizeof msg, "%llu bytes is more than any device has", (unsigned long long)bytes);
  gpu_die(what, loc, msg);
}

// --- Streams and events -------------------------------------------------------------------------

// What a gpu_stream or gpu_event value points to. A destroyed one keeps its record (marked dead,
// its device handle released), so that a later use is reported instead of reaching freed memory:
// a few bytes per stream or event a program creates.
typedef struct handle_obj {
  rt_gpu_device* device;
  void* handle;
  bool live;
} handle_obj;

typedef handle_obj stream_obj;

typedef struct event_obj {
  handle_obj h;  // first: an event is a handle_obj too
  bool recorded;
} event_obj;

// `noun` (memory, a stream or an event) made on device `owner` is used on `d`: only there.
static void check_owner(const char* what, rt_gpu_device* d, const rt_gpu_device* owner, const char* noun, rt_loc loc) {
  if (owner == d) return;
  char msg[256];
  snprintf(msg, sizeof msg, "the %s belongs to device %d (%s), not to the current device %d (gpu.set_device)", noun,
           owner->ordinal, owner->name, d->ordinal);
  gpu_die(what, loc, msg);
}

// A live stream or event of device `d`; `noun` is "stream" or "event".
static handle_obj* live_handle(const char* what, rt_gpu_device* d, handle_obj* o, const char* noun, rt_loc loc) {
  if (!o->live) {
    char msg[128];
    snprintf(msg, sizeof msg, "the %s was destroyed (gpu.%s_destroy)", noun, noun);
    gpu_die(what, loc, msg);
  }
  check_owner(what, d, o->device, noun, loc);
  return o;
}

// A new stream or event record of `size` bytes, its handle from `create`.
static void* new_handle(const char* what, rt_gpu_device* d, size_t size, int (*create)(rt_gpu_device*, void**),
                        rt_loc loc) {
  handle_obj* o = calloc(1, size);
  if (!o) gpu_die(what, loc, "out of memory");
  if (create(d, &o->handle)) gpu_die(what, loc, rt_gpu_last_error());
  o->device = d;
  o->live = true;
  return o;
}

// The device handle of stream `s` (NULL, the default stream, for a null gpu_stream), checked.
static void* stream_handle(const char* what, rt_gpu_device* d, rt_ptr s, rt_loc loc) {
  return s ? live_handle(what, d, (handle_obj*)s, "stream", loc)->handle : NULL;
}

static event_obj* event_checked(const char* what, rt_gpu_device* d, rt_ptr e, bool recorded, rt_loc loc) {
  event_obj* o = (event_obj*)e;
  if (!o) gpu_die(what, loc, "the event is null; gpu.event_create makes one");
  live_handle(what, d, &o->h, "event", loc);
  if (recorded && !o->recorded) gpu_die(what, loc, "the event was never recorded (gpu.event_record)");
  return o;
}

// --- What the compiler calls --------------------------------------------------------------------

void rt_gpu_launch_kernel(rt_ptr launch) {
  const rt_gpu_launch* l = launch;
  char what[160];
  snprintf(what, sizeof what, "launch of kernel `%s`", l->kernel->name);
  rt_gpu_device* d = device_for(what, l->loc);
  rt_gpu_launch on_device = *l;
  on_device.stream = stream_handle(what, d, l->stream, l->loc);
  if (g_check ? rtgpu_check_launch(d, &on_device) : d->launch(d, &on_device)) gpu_die(what, l->loc, rt_gpu_last_error());
}

rt_bool rt_gpu_api_available(rt_loc loc) {
  (void)loc;
  rt_gpu_device* d = rt_gpu_current();
  return d && d != rt_gpu_cpu_device();
}

rt_ptr rt_gpu_api_device_name(rt_loc loc) { return device_for("gpu.device_name", loc)->name; }

rt_i32 rt_gpu_api_device_count(rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.device_count", loc);
  if (d == rt_gpu_cpu_device()) return 0;
  int n = rt_gpu_cuda_device_count();
  return n > 0 ? n : 0;
}

void rt_gpu_api_set_device(rt_i32 ordinal, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.set_device", loc);
  char msg[200];
  if (d == rt_gpu_cpu_device()) {
    if (ordinal == 0) return;
    snprintf(msg, sizeof msg, "device %d does not exist: the program runs on the CPU device, device 0", ordinal);
    gpu_die("gpu.set_device", loc, msg);
  }
  int n = rt_gpu_cuda_device_count();
  if (ordinal < 0 || ordinal >= n) {
    snprintf(msg, sizeof msg, "device %d does not exist: there %s %d CUDA device%s (0 to %d)", ordinal,
             n == 1 ? "is" : "are", n, n == 1 ? "" : "s", n - 1);
    gpu_die("gpu.set_device", loc, msg);
  }
  rt_gpu_device* next = rt_gpu_cuda_device(ordinal);
  if (!next) gpu_die("gpu.set_device", loc, rt_gpu_last_error());
  g_device = next;
}

rt_i32 rt_gpu_api_sm_count(rt_loc loc) { return device_for("gpu.sm_count", loc)->sm_count; }
rt_i32 rt_gpu_api_compute_capability(rt_loc loc) { return device_for("gpu.compute_capability", loc)->compute_capability; }
rt_u64 rt_gpu_api_total_memory(rt_loc loc) { return device_for("gpu.total_memory", loc)->total_memory; }

void rt_gpu_api_sync(rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.sync", loc);
  if (d->sync(d)) gpu_die("gpu.sync", loc, rt_gpu_last_error());
}

// Device memory, with a red zone before and after each block (for `--check-kernels`).
static rt_ptr alloc_device(const char* what, rt_u64 bytes, rt_ptr stream, rt_loc loc) {
  rt_gpu_device* d = device_for(what, loc);
  void* s = stream_handle(what, d, stream, loc);
  check_device_bytes(what, loc, bytes);
  void* raw = NULL;
  if (d->alloc(d, bytes + 2 * RTGPU_RED_ZONE, s, &raw)) gpu_die(what, loc, rt_gpu_last_error());
  char* base = (char*)raw + RTGPU_RED_ZONE;
  if (!registry_add(&g_device_blocks, base, bytes, raw, loc, d)) gpu_die(what, loc, "out of memory recording the allocation");
  return base;
}

static void free_device(const char* what, rt_ptr p, rt_ptr stream, rt_loc loc) {
  if (!p) return;
  rt_gpu_device* d = device_for(what, loc);
  void* s = stream_handle(what, d, stream, loc);
  region owner;
  if (registry_find(&g_device_blocks, p, &owner) && owner.base == p) check_owner(what, d, owner.device, "memory", loc);
  void* raw = registry_remove(&g_device_blocks, p);
  if (!raw) {
    char msg[200];
    region r;
    snprintf(msg, sizeof msg, "the pointer is not one that gpu.alloc returned (or it was freed already)%s",
             registry_find(&g_host_blocks, p, &r) ? "; it is host memory from gpu.alloc_host: use gpu.free_host" : "");
    gpu_die(what, loc, msg);
  }
  if (d->free(d, raw, s)) gpu_die(what, loc, rt_gpu_last_error());
}

rt_ptr rt_gpu_api_alloc(rt_u64 bytes, rt_loc loc) { return alloc_device("gpu.alloc", bytes, NULL, loc); }
void rt_gpu_api_free(rt_ptr p, rt_loc loc) { free_device("gpu.free", p, NULL, loc); }
rt_ptr rt_gpu_api_alloc_async(rt_u64 bytes, rt_ptr stream, rt_loc loc) {
  return alloc_device("gpu.alloc_async", bytes, stream, loc);
}
void rt_gpu_api_free_async(rt_ptr p, rt_ptr stream, rt_loc loc) { free_device("gpu.free_async", p, stream, loc); }

rt_ptr rt_gpu_api_alloc_host(rt_u64 bytes, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.alloc_host", loc);
  check_device_bytes("gpu.alloc_host", loc, bytes);
  void* p = NULL;
  if (d->alloc_host(d, bytes ? bytes : 1, &p)) gpu_die("gpu.alloc_host", loc, rt_gpu_last_error());
  if (!registry_add(&g_host_blocks, p, bytes, p, loc, d)) gpu_die("gpu.alloc_host", loc, "out of memory recording the allocation");
  return p;
}

void rt_gpu_api_free_host(rt_ptr p, rt_loc loc) {
  if (!p) return;
  rt_gpu_device* d = device_for("gpu.free_host", loc);
  void* raw = registry_remove(&g_host_blocks, p);
  if (!raw) {
    char msg[200];
    region r;
    snprintf(msg, sizeof msg, "the pointer is not one that gpu.alloc_host returned (or it was freed already)%s",
             registry_find(&g_device_blocks, p, &r) ? "; it is device memory from gpu.alloc: use gpu.free" : "");
    gpu_die("gpu.free_host", loc, msg);
  }
  if (d->free_host(d, raw)) gpu_die("gpu.free_host", loc, rt_gpu_last_error());
}

// A copy of `bytes` from src to dst, its ranges checked, ordered on `stream`; a synchronous one
// (sync) waits for it, as cudaMemcpy does.
static void copy(const char* what, rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_gpu_copy_kind kind, rt_ptr stream,
                 bool sync, rt_loc loc) {
  rt_gpu_device* d = device_for(what, loc);
  void* s = stream_handle(what, d, stream, loc);
  if (bytes == 0) return;
  check_range(what, d, loc, "destination", dst, bytes, kind == RT_GPU_DEVICE_TO_HOST ? HOST_MEMORY : DEVICE_MEMORY);
  check_range(what, d, loc, "source", src, bytes, kind == RT_GPU_HOST_TO_DEVICE ? HOST_MEMORY : DEVICE_MEMORY);
  if (d->copy(d, (void*)dst, src, bytes, kind, s)) gpu_die(what, loc, rt_gpu_last_error());
  if (sync && d->stream_sync(d, s)) gpu_die(what, loc, rt_gpu_last_error());
}

void rt_gpu_api_copy_to_device(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_loc loc) {
  copy("gpu.copy_to_device", dst, src, bytes, RT_GPU_HOST_TO_DEVICE, NULL, true, loc);
}
void rt_gpu_api_copy_to_host(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_loc loc) {
  copy("gpu.copy_to_host", dst, src, bytes, RT_GPU_DEVICE_TO_HOST, NULL, true, loc);
}
void rt_gpu_api_copy(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_loc loc) {
  copy("gpu.copy", dst, src, bytes, RT_GPU_DEVICE_TO_DEVICE, NULL, true, loc);
}
void rt_gpu_api_copy_to_device_async(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_ptr stream, rt_loc loc) {
  copy("gpu.copy_to_device_async", dst, src, bytes, RT_GPU_HOST_TO_DEVICE, stream, false, loc);
}
void rt_gpu_api_copy_to_host_async(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_ptr stream, rt_loc loc) {
  copy("gpu.copy_to_host_async", dst, src, bytes, RT_GPU_DEVICE_TO_HOST, stream, false, loc);
}
void rt_gpu_api_copy_async(rt_ptr dst, rt_ptr src, rt_u64 bytes, rt_ptr stream, rt_loc loc) {
  copy("gpu.copy_async", dst, src, bytes, RT_GPU_DEVICE_TO_DEVICE, stream, false, loc);
}

// Ordered on the default stream, as cudaMemset is: later copies and launches see the values.
void rt_gpu_api_fill(rt_ptr p, rt_u64 bits, rt_i32 size, rt_u64 bytes, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.fill", loc);
  if (bytes == 0) return;
  check_range("gpu.fill", d, loc, "destination", p, bytes, DEVICE_MEMORY);
  if (d->fill(d, (void*)p, bits, (uint32_t)size, bytes / (uint64_t)size, NULL)) gpu_die("gpu.fill", loc, rt_gpu_last_error());
}

rt_ptr rt_gpu_api_stream_create(rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.stream_create", loc);
  return new_handle("gpu.stream_create", d, sizeof(stream_obj), d->stream_create, loc);
}

void rt_gpu_api_stream_sync(rt_ptr s, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.stream_sync", loc);
  if (d->stream_sync(d, stream_handle("gpu.stream_sync", d, s, loc))) gpu_die("gpu.stream_sync", loc, rt_gpu_last_error());
}

void rt_gpu_api_stream_destroy(rt_ptr s, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.stream_destroy", loc);
  if (!s) gpu_die("gpu.stream_destroy", loc, "the default stream (a null gpu_stream) cannot be destroyed");
  void* h = stream_handle("gpu.stream_destroy", d, s, loc);
  if (d->stream_destroy(d, h)) gpu_die("gpu.stream_destroy", loc, rt_gpu_last_error());
  stream_obj* o = (stream_obj*)s;
  o->live = false;
  o->handle = NULL;
}

void rt_gpu_api_stream_wait_event(rt_ptr s, rt_ptr e, rt_loc loc) {
  const char* what = "gpu.stream_wait_event";
  rt_gpu_device* d = device_for(what, loc);
  void* h = stream_handle(what, d, s, loc);
  event_obj* o = event_checked(what, d, e, true, loc);
  if (d->stream_wait_event(d, h, o->h.handle)) gpu_die(what, loc, rt_gpu_last_error());
}

rt_ptr rt_gpu_api_stream_handle(rt_ptr s, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.stream_handle", loc);
  return stream_handle("gpu.stream_handle", d, s, loc);
}

rt_ptr rt_gpu_api_event_create(rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.event_create", loc);
  return new_handle("gpu.event_create", d, sizeof(event_obj), d->event_create, loc);
}

void rt_gpu_api_event_record(rt_ptr e, rt_ptr s, rt_loc loc) {
  const char* what = "gpu.event_record";
  rt_gpu_device* d = device_for(what, loc);
  event_obj* o = event_checked(what, d, e, false, loc);
  void* h = stream_handle(what, d, s, loc);
  if (d->event_record(d, o->h.handle, h)) gpu_die(what, loc, rt_gpu_last_error());
  o->recorded = true;
}

void rt_gpu_api_event_sync(rt_ptr e, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.event_sync", loc);
  event_obj* o = event_checked("gpu.event_sync", d, e, true, loc);
  if (d->event_sync(d, o->h.handle)) gpu_die("gpu.event_sync", loc, rt_gpu_last_error());
}

rt_f32 rt_gpu_api_event_elapsed_ms(rt_ptr start, rt_ptr end, rt_loc loc) {
  const char* what = "gpu.event_elapsed_ms";
  rt_gpu_device* d = device_for(what, loc);
  event_obj* a = event_checked(what, d, start, true, loc);
  event_obj* b = event_checked(what, d, end, true, loc);
  float ms = 0;
  // The end event must have completed (a CUDA device says "not ready" otherwise; the CPU device
  // always has): wait for it, so that the call means the same on every device.
  if (d->event_sync(d, b->h.handle) || d->event_elapsed_ms(d, a->h.handle, b->h.handle, &ms))
    gpu_die(what, loc, rt_gpu_last_error());
  return ms;
}

void rt_gpu_api_event_destroy(rt_ptr e, rt_loc loc) {
  rt_gpu_device* d = device_for("gpu.event_destroy", loc);
  event_obj* o = event_checked("gpu.event_destroy", d, e, false, loc);
  if (d->event_destroy(d, o->h.handle)) gpu_die("gpu.event_destroy", loc, rt_gpu_last_error());
  o->h.live = false;
  o->h.handle = NULL;
}
