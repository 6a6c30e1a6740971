// The CUDA device: rt_gpu_device through the CUDA driver API, with libcuda.so.1 (or
// FUSION_CUDA_DRIVER) opened by dlopen on first use, so that Fusion needs no CUDA at build time.
// Each device uses its primary context (shared with the CUDA runtime, cuBLAS and NCCL in the same
// process), made current on any thread that calls; memory comes from the device's default memory
// pool; the program's PTX is loaded once per device and function handles are cached per kernel.
// A kernel's fault surfaces at a later call (usually a synchronisation): the message then names
// the last kernel launched on that stream and its launch site.
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion/rt_cache.h"
#include "gpu_cuda_driver.h"
#include "gpu_internal.h"

#ifndef FUSION_RT_VERSION
#define FUSION_RT_VERSION "unknown"  // a runtime built on its own
#endif

// --- The driver ---------------------------------------------------------------------------------

static struct {
#define FIELD(name, params) CUresult(*name) params;
  FUSION_CUDA_ENTRY_POINTS(FIELD)
  FUSION_CUDA_OPTIONAL_ENTRY_POINTS(FIELD)
#undef FIELD
  void* lib;
  int version;      // cuDriverGetVersion: 1000 * major + 10 * minor
  int count;        // devices; -1 when there is no usable driver (then `error` says why)
  char error[512];
} g_cu = {.count = -1};

static pthread_once_t g_cu_once = PTHREAD_ONCE_INIT;

// "CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", from the driver's own tables.
static void describe(CUresult r, char* buf, size_t size) {
  const char* name = NULL;
  const char* text = NULL;
  if (!g_cu.cuGetErrorName || g_cu.cuGetErrorName(r, &name) != CUDA_SUCCESS || !name) name = "CUDA_ERROR_?";
  if (!g_cu.cuGetErrorString || g_cu.cuGetErrorString(r, &text) != CUDA_SUCCESS || !text) text = "unknown error";
  snprintf(buf, size, "%s (%d): %s", name, r, text);
}

// The API's documented name: cuMemcpyHtoDAsync for the exported cuMemcpyHtoDAsync_v2.
static const char* api_name(const char* exported, char* buf, size_t size) {
  size_t n = strlen(exported);
  if (n > 3 && strcmp(exported + n - 3, "_v2") == 0) n -= 3;
  snprintf(buf, size, "%.*s", (int)n, exported);
  return buf;
}

static void load_driver(void) {
  const char* path = getenv("FUSION_CUDA_DRIVER");
  if (!path || !*path) path = "libcuda.so.1";
  g_cu.lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!g_cu.lib) {
    snprintf(g_cu.error, sizeof g_cu.error, "cannot load the CUDA driver %s: %s", path, dlerror());
    return;
  }
#define LOAD(name, params)                                                                                     \
  g_cu.name = (CUresult(*) params)dlsym(g_cu.lib, #name);                                                      \
  if (!g_cu.name) {                                                                                            \
    snprintf(g_cu.error, sizeof g_cu.error, "the CUDA driver %s has no `%s` (it is older than this Fusion needs)", \
             path, #name);                                                                                     \
    return;                                                                                                    \
  }
  FUSION_CUDA_ENTRY_POINTS(LOAD)
#undef LOAD
#define LOAD_OPTIONAL(name, params) g_cu.name = (CUresult(*) params)dlsym(g_cu.lib, #name);
  FUSION_CUDA_OPTIONAL_ENTRY_POINTS(LOAD_OPTIONAL)
#undef LOAD_OPTIONAL
  char what[200];
  const char* step = "cuInit";
  CUresult r = g_cu.cuInit(0);
  if (r == CUDA_SUCCESS) step = "cuDriverGetVersion", r = g_cu.cuDriverGetVersion(&g_cu.version);
  int count = 0;
  if (r == CUDA_SUCCESS) step = "cuDeviceGetCount", r = g_cu.cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS) {
    describe(r, what, sizeof what);
    snprintf(g_cu.error, sizeof g_cu.error, "%s: %s", step, what);
    return;
  }
  g_cu.count = count;
}

// Records "cuXxx: CUDA_ERROR_NAME (n): text" for rt_gpu_last_error and returns 1.
static int cu_fail(const char* exported, CUresult r) {
  char name[64], what[200];
  describe(r, what, sizeof what);
  return rtgpu_fail("%s: %s", api_name(exported, name, sizeof name), what);
}

int rt_gpu_cuda_device_count(void) {
  pthread_once(&g_cu_once, load_driver);
  if (g_cu.count < 0) rtgpu_fail("%s", g_cu.error);
  return g_cu.count;
}

// --- A device -----------------------------------------------------------------------------------

// The last kernel launched (on a stream, or on the device), for reporting a fault.
typedef struct last_launch {
  const char* kernel;  // NULL: none yet
  rt_loc loc;
} last_launch;

// A stream the program created (the default stream has its record in the device).
typedef struct cuda_stream {
  CUstream handle;
  last_launch last;
  struct cuda_stream* next;
} cuda_stream;

typedef struct cuda_event {
  CUevent handle;
  struct cuda_event* next;
} cuda_event;

typedef struct cuda_module {
  const char* ptx;  // the program's PTX, as the kernels point to it
  CUmodule handle;
  struct cuda_module* next;
} cuda_module;

// A kernel's function handle, and the dynamic shared memory the function may use now (raised with
// cuFuncSetAttribute when a launch needs more).
typedef struct cuda_function {
  const rt_gpu_kernel* kernel;
  CUfunction handle;
  uint32_t dynamic_limit;
  uint32_t static_shared;  // the kernel's __shared__ bytes: the compiler's, or the driver's for CUDA C
  struct cuda_function* next;
} cuda_function;

enum { FUNCTION_BUCKETS = 64 };

typedef struct cuda_device {
  rt_gpu_device base;  // first: the device table is the device
  int ordinal;
  CUdevice dev;
  CUcontext ctx;       // the primary context
  CUmemoryPool pool;   // NULL: no memory pools, so cuMemAlloc
  char name[128];
  // Limits, from cuDeviceGetAttribute.
  int max_threads, max_block[3], max_grid[3], shared_default, shared_optin;
  pthread_mutex_t lock;  // guards everything below
  cuda_module* modules;
  cuda_function* functions[FUNCTION_BUCKETS];
  cuda_stream* streams;
  cuda_event* events;
  last_launch default_last;  // on the default stream
  last_launch device_last;   // on any stream
} cuda_device;

static cuda_device* as_cuda(rt_gpu_device* d) { return (cuda_device*)d; }

// The context current on this thread, as far as this device layer made it so.
static _Thread_local CUcontext tl_ctx;

static int make_current(cuda_device* d) {
  // Other code on this thread (cudaSetDevice, a library) may have made another context current
  // since: ask the driver (a thread-local read there), and set ours again when it differs.
  CUcontext current = NULL;
  if (tl_ctx == d->ctx && g_cu.cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == d->ctx) return 0;
  CUresult r = g_cu.cuCtxSetCurrent(d->ctx);
  if (r != CUDA_SUCCESS) return cu_fail("cuCtxSetCurrent", r);
  tl_ctx = d->ctx;
  return 0;
}

// The errors a kernel causes while it runs (cuda.h: 700 illegal address, 702 launch timeout, 710
// assert, 714 hardware stack error, 715 illegal instruction, 716 misaligned address, 717 invalid
// address space, 718 invalid PC, 719 launch failed); the others of 700-719 (out of resources at a
// launch, peer access, contexts, host registration) are not.
static bool is_kernel_fault(CUresult r) {
  switch ((int)r) {
    case 700: case 702: case 710: case 714: case 715: case 716: case 717: case 718: case 719: return true;
    default: return false;
  }
}

// cu_fail, and for a kernel's fault the last kernel launched (on `stream` when stream_known, else
// on the device).
static int cu_fail_on(cuda_device* d, const char* exported, CUresult r, bool stream_known, CUstream stream) {
  cu_fail(exported, r);
  if (!is_kernel_fault(r)) return 1;
  last_launch last = {0};
  pthread_mutex_lock(&d->lock);
  last_launch device_last = d->device_last;
  if (!stream_known) last = d->device_last;
  else if (!stream) last = d->default_last;
  else
    for (cuda_stream* s = d->streams; s; s = s->next)
      if (s->handle == stream) last = s->last;
  pthread_mutex_unlock(&d->lock);
  char message[512];
  snprintf(message, sizeof message, "%s", rt_gpu_last_error());
  const char* on = stream_known ? " on this stream" : "";
  // A fault sticks to the whole context, so any call may report it: when the stream's last kernel
  // is not the device's, name the device's too.
  char also[256] = "";
  if (stream_known && device_last.kernel && (device_last.kernel != last.kernel || device_last.loc != last.loc)) {
    if (device_last.loc)
      snprintf(also, sizeof also, "; the last on the device: `%s`, at %s:%d:%d", device_last.kernel, device_last.loc->file,
               device_last.loc->line, device_last.loc->col);
    else
      snprintf(also, sizeof also, "; the last on the device: `%s`", device_last.kernel);
  }
  if (!last.kernel) return rtgpu_fail("%s (no kernel was launched%s%s)", message, on, also);
  if (!last.loc) return rtgpu_fail("%s (the last kernel launched%s: `%s`%s)", message, on, last.kernel, also);
  return rtgpu_fail("%s (the last kernel launched%s: `%s`, at %s:%d:%d%s)", message, on, last.kernel, last.loc->file,
                    last.loc->line, last.loc->col, also);
}

// Calls the driver's `name` with `args` and returns 1 from the enclosing function if it fails.
#define CU_CALL(d, name, args)                                                            \
  do {                                                                                    \
    CUresult r_ = g_cu.name args;                                                         \
    if (r_ != CUDA_SUCCESS) return cu_fail_on((d), #name, r_, false, NULL);                \
  } while (0)
#define CU_CALL_ON(d, stream, name, args)                                                 \
  do {                                                                                    \
    CUresult r_ = g_cu.name args;                                                         \
    if (r_ != CUDA_SUCCESS) return cu_fail_on((d), #name, r_, true, (CUstream)(stream));   \
  } while (0)

// --- Memory -------------------------------------------------------------------------------------

static int cuda_alloc(rt_gpu_device* base, size_t bytes, void* stream, void** out) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CUdeviceptr p = 0;
  size_t size = bytes ? bytes : 1;
  if (d->pool) CU_CALL_ON(d, stream, cuMemAllocAsync, (&p, size, (CUstream)stream));
  else CU_CALL(d, cuMemAlloc_v2, (&p, size));
  // gpu.alloc memory is zeroed on every device, so that results never depend on what was there.
  CU_CALL_ON(d, stream, cuMemsetD8Async, (p, 0, size, (CUstream)stream));
  *out = (void*)(uintptr_t)p;
  return 0;
}

static int cuda_free(rt_gpu_device* base, void* p, void* stream) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  if (d->pool) CU_CALL_ON(d, stream, cuMemFreeAsync, ((CUdeviceptr)(uintptr_t)p, (CUstream)stream));
  else CU_CALL(d, cuMemFree_v2, ((CUdeviceptr)(uintptr_t)p));
  return 0;
}

static int cuda_alloc_host(rt_gpu_device* base, size_t bytes, void** out) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL(d, cuMemAllocHost_v2, (out, bytes ? bytes : 1));
  memset(*out, 0, bytes ? bytes : 1);  // zeroed on every device, as gpu.alloc memory is
  return 0;
}

static int cuda_free_host(rt_gpu_device* base, void* p) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL(d, cuMemFreeHost, (p));
  return 0;
}

static int cuda_copy(rt_gpu_device* base, void* dst, const void* src, size_t bytes, rt_gpu_copy_kind kind,
                     void* stream) {
  cuda_device* d = as_cuda(base);
  if (bytes == 0) return 0;
  if (make_current(d)) return 1;
  CUstream s = stream;
  switch (kind) {
    case RT_GPU_HOST_TO_DEVICE: CU_CALL_ON(d, s, cuMemcpyHtoDAsync_v2, ((CUdeviceptr)(uintptr_t)dst, src, bytes, s)); break;
    case RT_GPU_DEVICE_TO_HOST: CU_CALL_ON(d, s, cuMemcpyDtoHAsync_v2, (dst, (CUdeviceptr)(uintptr_t)src, bytes, s)); break;
    case RT_GPU_DEVICE_TO_DEVICE:
      CU_CALL_ON(d, s, cuMemcpyDtoDAsync_v2, ((CUdeviceptr)(uintptr_t)dst, (CUdeviceptr)(uintptr_t)src, bytes, s));
      break;
  }
  return 0;
}

static int cuda_fill(rt_gpu_device* base, void* p, uint64_t pattern, uint32_t elem_size, size_t count, void* stream) {
  cuda_device* d = as_cuda(base);
  if (count == 0) return 0;
  if (make_current(d)) return 1;
  CUdeviceptr dst = (CUdeviceptr)(uintptr_t)p;
  CUstream s = stream;
  switch (elem_size) {
    case 1: CU_CALL_ON(d, s, cuMemsetD8Async, (dst, (unsigned char)pattern, count, s)); break;
    case 2: CU_CALL_ON(d, s, cuMemsetD16Async, (dst, (unsigned short)pattern, count, s)); break;
    case 4: CU_CALL_ON(d, s, cuMemsetD32Async, (dst, (unsigned int)pattern, count, s)); break;
    case 8:
      // No 64-bit memset: the low and the high halves as two columns of 32-bit values with a
      // pitch of 8 bytes (little-endian: the low half first).
      CU_CALL_ON(d, s, cuMemsetD2D32Async, (dst, 8, (unsigned int)pattern, 1, count, s));
      CU_CALL_ON(d, s, cuMemsetD2D32Async, (dst + 4, 8, (unsigned int)(pattern >> 32), 1, count, s));
      break;
    default: return rtgpu_fail("gpu fill of %u-byte values: only 1, 2, 4 and 8 bytes", elem_size);
  }
  return 0;
}

// --- The program's PTX --------------------------------------------------------------------------

// The newest PTX ISA (major * 10 + minor) a driver of `version` (1000 * major + 10 * minor) can
// compile, from the CUDA release notes.
static int driver_ptx_isa(int version) {
  int major = version / 1000, minor = version % 1000 / 10;
  if (major > 13) return 99;            // newer than this table: assume every ISA LLVM writes
  if (major == 13) return 90 + minor;   // 13.0: 9.0
  if (major == 12) return minor <= 5 ? 80 + minor : 79 + minor;  // 12.5: 8.5, 12.6: 8.5, 12.8: 8.7
  if (major == 11) return 70 + minor;   // 11.0: 7.0 … 11.8: 7.8
  if (major == 10) return 63 + minor;   // 10.0: 6.3 … 10.2: 6.5
  return 60;
}

// Whether the driver can compile the program's PTX: its `.version` must be an ISA the driver
// knows. LLVM's NVPTX back end writes the oldest ISA in which the `.target` exists (7.0 for
// sm_80, 7.8 for sm_90), so a newer ISA than the driver's means the target is newer than the
// driver too, and lowering the `.version` line would not help: say so instead.
static int check_ptx_version(const char* ptx, const char* kernel) {
  const char* v = strncmp(ptx, ".version ", 9) == 0 ? ptx - 1 : strstr(ptx, "\n.version ");
  int major = 0, minor = 0;
  if (!v || sscanf(v + 10, "%d.%d", &major, &minor) != 2) return 0;  // the driver will say what is wrong
  int max = driver_ptx_isa(g_cu.version);
  if (major * 10 + minor <= max) return 0;
  char target[32] = "?";
  const char* t = strstr(ptx, "\n.target ");
  if (t) sscanf(t + 9, "%31[a-z0-9_]", target);
  return rtgpu_fail("the program's PTX (loading kernel `%s`) is PTX ISA %d.%d for %s, but the CUDA driver (version "
                    "%d.%d) compiles PTX ISA %d.%d at most: update the driver, or compile for an older --gpu-arch",
                    kernel, major, minor, target, g_cu.version / 1000, g_cu.version % 1000 / 10, max / 10, max % 10);
}

enum { JIT_LOG = 4096 };

// `k`'s PTX loaded by the driver's JIT, or 1 with the driver's log in the error.
static int load_ptx(const rt_gpu_kernel* k, CUmodule* out) {
  char info[JIT_LOG] = "", error[JIT_LOG] = "";
  CUjit_option options[] = {CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void* values[] = {info, (void*)(uintptr_t)sizeof info, error, (void*)(uintptr_t)sizeof error};
  CUresult r = g_cu.cuModuleLoadDataEx(out, k->ptx, 4, options, values);
  if (r != CUDA_SUCCESS) {
    char what[200];
    describe(r, what, sizeof what);
    error[sizeof error - 1] = 0;
    size_t len = strlen(error);
    while (len && (error[len - 1] == '\n' || error[len - 1] == ' ')) error[--len] = 0;
    return rtgpu_fail("cuModuleLoadDataEx: %s: the driver rejected the program's PTX (loading kernel `%s`)%s%s", what,
                      k->name, len ? "; its log:\n" : " and wrote no log", error);
  }
  return 0;
}

// The cache key of the cubin the driver makes of `ptx` for device `d` (docs/cache.md).
static void cubin_key(const cuda_device* d, const char* ptx, uint8_t key[RT_CACHE_KEY_SIZE]) {
  rt_cache_hash h;
  rt_cache_hash_init(&h);
  rt_cache_hash_str(&h, "fusion cubin entry 1");
  rt_cache_hash_str(&h, FUSION_RT_VERSION);
  int facts[2] = {d->base.compute_capability, g_cu.version};
  rt_cache_hash_field(&h, facts, sizeof facts);
  rt_cache_hash_str(&h, ptx);
  rt_cache_hash_final(&h, key);
}

// Loads `ptx` as a cubin: the cache's, or one the driver's linker makes (then stored). False,
// with nothing loaded and no error recorded, when the cache is off, the driver has no linker or
// the linker failed: the caller then loads the PTX itself (and reports its errors).
static bool load_cubin(cuda_device* d, const char* ptx, CUmodule* out) {
  char dir[4096];
  if (!g_cu.cuLinkCreate_v2 || !g_cu.cuLinkAddData_v2 || !g_cu.cuLinkComplete || !g_cu.cuLinkDestroy ||
      !g_cu.cuModuleLoadData || !rt_cache_dir(dir, sizeof dir))
    return false;
  uint8_t key[RT_CACHE_KEY_SIZE];
  cubin_key(d, ptx, key);
  size_t size = 0;
  void* cached = rt_cache_get("cubin", key, &size);
  if (cached) {
    CUresult r = g_cu.cuModuleLoadData(out, cached);
    free(cached);
    if (r == CUDA_SUCCESS) return true;  // else made again, and the entry replaced
  }
  CUlinkState link = NULL;
  if (g_cu.cuLinkCreate_v2(0, NULL, NULL, &link) != CUDA_SUCCESS) return false;
  void* cubin = NULL;
  bool ok = g_cu.cuLinkAddData_v2(link, CU_JIT_INPUT_PTX, (void*)ptx, strlen(ptx) + 1, "fusion", 0, NULL, NULL) ==
                CUDA_SUCCESS &&
            g_cu.cuLinkComplete(link, &cubin, &size) == CUDA_SUCCESS && g_cu.cuModuleLoadData(out, cubin) == CUDA_SUCCESS;
  if (ok) rt_cache_put("cubin", key, cubin, size);
  g_cu.cuLinkDestroy(link);  // owns the cubin
  return ok;
}

// The embedded cubin (`fusion build --gpu-arch sm_80,sm_90`) that runs on the device: one of its
// major version and of the newest minor not above the device's (a cubin runs on its own and later
// minors), or NULL.
static const rt_gpu_cubin* embedded_cubin(const cuda_device* d, const rt_gpu_kernel* k) {
  const rt_gpu_cubin* best = NULL;
  int cc = d->base.compute_capability;
  for (const rt_gpu_cubin* c = k->cubins; c && c->sm; c++)
    if (c->sm / 10 == cc / 10 && c->sm <= cc && (!best || c->sm > best->sm)) best = c;
  return best;
}

// The module that holds `k`'s PTX, loaded on first use: from an embedded cubin for this GPU, else
// a cached cubin of the PTX, else the PTX through the driver's JIT. Called with d->lock held.
static int module_for(cuda_device* d, const rt_gpu_kernel* k, CUmodule* out) {
  for (cuda_module* m = d->modules; m; m = m->next)
    if (m->ptx == k->ptx) return *out = m->handle, 0;
  CUmodule handle = NULL;
  const rt_gpu_cubin* cubin = embedded_cubin(d, k);
  bool loaded = cubin && g_cu.cuModuleLoadData && g_cu.cuModuleLoadData(&handle, cubin->data) == CUDA_SUCCESS;
  if (!loaded && check_ptx_version(k->ptx, k->name)) return 1;
  if (!loaded && !load_cubin(d, k->ptx, &handle) && load_ptx(k, &handle)) return 1;
  cuda_module* m = calloc(1, sizeof *m);
  if (!m) {
    g_cu.cuModuleUnload(handle);
    return rtgpu_fail("out of memory recording a module");
  }
  *m = (cuda_module){k->ptx, handle, d->modules};
  d->modules = m;
  *out = handle;
  return 0;
}

// `k`'s function, from the cache or the module. Called with d->lock held.
static int function_for(cuda_device* d, const rt_gpu_kernel* k, cuda_function** out) {
  size_t bucket = ((uintptr_t)k >> 4) % FUNCTION_BUCKETS;
  for (cuda_function* f = d->functions[bucket]; f; f = f->next)
    if (f->kernel == k) return *out = f, 0;
  if (!k->ptx) return rtgpu_fail("kernel `%s` has no PTX (the program was built without device code)", k->name);
  CUmodule m = NULL;
  if (module_for(d, k, &m)) return 1;
  CUfunction handle;
  const char* entry = k->entry ? k->entry : k->name;
  CUresult r = g_cu.cuModuleGetFunction(&handle, m, entry);
  if (r != CUDA_SUCCESS) {
    cu_fail("cuModuleGetFunction", r);
    char message[512];
    snprintf(message, sizeof message, "%s", rt_gpu_last_error());
    return rtgpu_fail("%s (kernel `%s`, entry `%s`, in %s)", message, k->name, entry,
                      k->cpu ? "the program's PTX" : "NVRTC's PTX for its CUDA C source");
  }
  // A CUDA C kernel's static shared memory is known only to the driver.
  uint32_t fixed = k->static_shared;
  if (!k->cpu) {
    int bytes = 0;
    if ((r = g_cu.cuFuncGetAttribute(&bytes, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, handle)) != CUDA_SUCCESS)
      return cu_fail("cuFuncGetAttribute", r);
    fixed = (uint32_t)bytes;
  }
  cuda_function* f = calloc(1, sizeof *f);
  if (!f) return rtgpu_fail("out of memory recording a function");
  // Without the attribute a launch may use what the device gives every block, less static memory.
  uint32_t limit = (uint32_t)d->shared_default > fixed ? (uint32_t)d->shared_default - fixed : 0;
  *f = (cuda_function){k, handle, limit, fixed, d->functions[bucket]};
  d->functions[bucket] = f;
  *out = f;
  return 0;
}

// --- Launch -------------------------------------------------------------------------------------

// The launch this thread is making, for the test double's hook (which runs it on the CPU).
static _Thread_local const rt_gpu_launch* tl_launch;

static int check_launch(const cuda_device* d, const rt_gpu_launch* l) {
  const rt_gpu_kernel* k = l->kernel;
  rt_dim3 g = l->grid, b = l->block;
  if (!g.x || !g.y || !g.z || !b.x || !b.y || !b.z)
    return rtgpu_fail("grid (%u, %u, %u) and block (%u, %u, %u) must not be empty", g.x, g.y, g.z, b.x, b.y, b.z);
  uint64_t threads = (uint64_t)b.x * b.y * b.z;
  if (threads > (uint64_t)d->max_threads || b.x > (uint32_t)d->max_block[0] || b.y > (uint32_t)d->max_block[1] ||
      b.z > (uint32_t)d->max_block[2])
    return rtgpu_fail("a block of (%u, %u, %u) = %llu threads is over the device's limit of %d (and %d, %d, %d per "
                      "dimension)",
                      b.x, b.y, b.z, (unsigned long long)threads, d->max_threads, d->max_block[0], d->max_block[1],
                      d->max_block[2]);
  if (k->max_threads && threads > k->max_threads)
    return rtgpu_fail("a block of %llu threads is over the kernel's max_threads of %u", (unsigned long long)threads,
                      k->max_threads);
  if (k->threads.x && (b.x != k->threads.x || b.y != k->threads.y || b.z != k->threads.z))
    return rtgpu_fail("a block of (%u, %u, %u) threads, but the kernel is declared @kernel(threads: (%u, %u, %u))", b.x,
                      b.y, b.z, k->threads.x, k->threads.y, k->threads.z);
  if (g.x > (uint32_t)d->max_grid[0] || g.y > (uint32_t)d->max_grid[1] || g.z > (uint32_t)d->max_grid[2])
    return rtgpu_fail("grid (%u, %u, %u) is over the device's limits (%d, %d, %d)", g.x, g.y, g.z, d->max_grid[0],
                      d->max_grid[1], d->max_grid[2]);
  return 0;
}

// Static and dynamic shared memory together within what the device gives a block that opts in.
static int check_shared(const cuda_device* d, const cuda_function* f, const rt_gpu_launch* l) {
  uint64_t shared = (uint64_t)f->static_shared + l->dynamic_shared;
  if (shared > (uint64_t)d->shared_optin)
    return rtgpu_fail("%llu bytes of shared memory (%u static + %u dynamic) are over the device's limit of %d",
                      (unsigned long long)shared, f->static_shared, l->dynamic_shared, d->shared_optin);
  return 0;
}

static void set_last(cuda_device* d, const rt_gpu_launch* l) {
  last_launch last = {l->kernel->name, l->loc};
  d->device_last = last;
  if (!l->stream) {
    d->default_last = last;
    return;
  }
  for (cuda_stream* s = d->streams; s; s = s->next)
    if (s->handle == l->stream) s->last = last;
}

static int cuda_launch(rt_gpu_device* base, const rt_gpu_launch* l) {
  cuda_device* d = as_cuda(base);
  if (make_current(d) || check_launch(d, l)) return 1;
  pthread_mutex_lock(&d->lock);
  cuda_function* f;
  int failed = function_for(d, l->kernel, &f) || check_shared(d, f, l);
  CUfunction handle = failed ? NULL : f->handle;
  if (!failed && l->dynamic_shared > f->dynamic_limit) {
    // Over 48 KiB of shared memory a block must opt in, per function.
    CUresult r = g_cu.cuFuncSetAttribute(handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, (int)l->dynamic_shared);
    if (r == CUDA_SUCCESS) f->dynamic_limit = l->dynamic_shared;
    else failed = cu_fail("cuFuncSetAttribute", r);
  }
  if (!failed) set_last(d, l);
  pthread_mutex_unlock(&d->lock);
  if (failed) return 1;
  tl_launch = l;
  CUresult r = g_cu.cuLaunchKernel(handle, l->grid.x, l->grid.y, l->grid.z, l->block.x, l->block.y, l->block.z,
                                   l->dynamic_shared, (CUstream)l->stream, (void**)l->args, NULL);
  tl_launch = NULL;
  if (r != CUDA_SUCCESS) return cu_fail_on(d, "cuLaunchKernel", r, true, l->stream);
  return 0;
}

// --- Synchronisation, streams and events --------------------------------------------------------

static int cuda_sync(rt_gpu_device* base) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL(d, cuCtxSynchronize, ());
  return 0;
}

static int cuda_stream_create(rt_gpu_device* base, void** out) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  cuda_stream* s = calloc(1, sizeof *s);
  if (!s) return rtgpu_fail("out of memory creating a stream");
  // A blocking stream: it waits for the default stream, and the default stream for it.
  CUresult r = g_cu.cuStreamCreate(&s->handle, CU_STREAM_DEFAULT);
  if (r != CUDA_SUCCESS) {
    free(s);
    return cu_fail_on(d, "cuStreamCreate", r, false, NULL);
  }
  pthread_mutex_lock(&d->lock);
  s->next = d->streams;
  d->streams = s;
  pthread_mutex_unlock(&d->lock);
  *out = s->handle;
  return 0;
}

static int cuda_stream_destroy(rt_gpu_device* base, void* stream) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  pthread_mutex_lock(&d->lock);
  for (cuda_stream** p = &d->streams; *p; p = &(*p)->next)
    if ((*p)->handle == stream) {
      cuda_stream* s = *p;
      *p = s->next;
      free(s);
      break;
    }
  pthread_mutex_unlock(&d->lock);
  CU_CALL(d, cuStreamDestroy_v2, ((CUstream)stream));
  return 0;
}

static int cuda_stream_sync(rt_gpu_device* base, void* stream) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL_ON(d, stream, cuStreamSynchronize, ((CUstream)stream));
  return 0;
}

static int cuda_stream_wait_event(rt_gpu_device* base, void* stream, void* event) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL_ON(d, stream, cuStreamWaitEvent, ((CUstream)stream, (CUevent)event, 0));
  return 0;
}

static int cuda_event_create(rt_gpu_device* base, void** out) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  cuda_event* e = calloc(1, sizeof *e);
  if (!e) return rtgpu_fail("out of memory creating an event");
  CUresult r = g_cu.cuEventCreate(&e->handle, CU_EVENT_DEFAULT);  // with timing
  if (r != CUDA_SUCCESS) {
    free(e);
    return cu_fail_on(d, "cuEventCreate", r, false, NULL);
  }
  pthread_mutex_lock(&d->lock);
  e->next = d->events;
  d->events = e;
  pthread_mutex_unlock(&d->lock);
  *out = e->handle;
  return 0;
}

static int cuda_event_destroy(rt_gpu_device* base, void* event) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  pthread_mutex_lock(&d->lock);
  for (cuda_event** p = &d->events; *p; p = &(*p)->next)
    if ((*p)->handle == event) {
      cuda_event* e = *p;
      *p = e->next;
      free(e);
      break;
    }
  pthread_mutex_unlock(&d->lock);
  CU_CALL(d, cuEventDestroy_v2, ((CUevent)event));
  return 0;
}

static int cuda_event_record(rt_gpu_device* base, void* event, void* stream) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL_ON(d, stream, cuEventRecord, ((CUevent)event, (CUstream)stream));
  return 0;
}

static int cuda_event_sync(rt_gpu_device* base, void* event) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  CU_CALL(d, cuEventSynchronize, ((CUevent)event));
  return 0;
}

static int cuda_event_elapsed_ms(rt_gpu_device* base, void* start, void* end, float* out) {
  cuda_device* d = as_cuda(base);
  if (make_current(d)) return 1;
  if (g_cu.cuEventElapsedTime_v2) CU_CALL(d, cuEventElapsedTime_v2, (out, (CUevent)start, (CUevent)end));
  else CU_CALL(d, cuEventElapsedTime, (out, (CUevent)start, (CUevent)end));
  return 0;
}

// --- The devices --------------------------------------------------------------------------------

enum { MAX_DEVICES = 64 };
static cuda_device* g_devices[MAX_DEVICES];
static pthread_mutex_t g_devices_lock = PTHREAD_MUTEX_INITIALIZER;

// At a normal exit: what the devices still hold, silently (a failure now has no one to tell; an
// exit after an error is _exit and comes nowhere near here).
static void release_devices(void) {
  for (int i = 0; i < MAX_DEVICES; i++) {
    cuda_device* d = g_devices[i];
    if (!d || g_cu.cuCtxSetCurrent(d->ctx) != CUDA_SUCCESS) continue;
    tl_ctx = d->ctx;
    // An error found only now (a kernel that failed after the last synchronising call) is the
    // program's failure, not a normal exit: report it as a synchronising call would have.
    CUresult r = g_cu.cuCtxSynchronize();
    if (r != CUDA_SUCCESS) {
      cu_fail_on(d, "cuCtxSynchronize", r, false, NULL);
      rt_die_begin();
      fprintf(stderr, "gpu error: the program ended with work still on the device, which failed: %s\n", rt_gpu_last_error());
      rt_die_exit();
    }
    for (cuda_stream* s = d->streams; s; s = s->next) g_cu.cuStreamDestroy_v2(s->handle);
    for (cuda_event* e = d->events; e; e = e->next) g_cu.cuEventDestroy_v2(e->handle);
    for (cuda_module* m = d->modules; m; m = m->next) g_cu.cuModuleUnload(m->handle);
    d->streams = NULL, d->events = NULL, d->modules = NULL;
    if (d->pool) g_cu.cuMemPoolTrimTo(d->pool, 0);
    g_cu.cuDevicePrimaryCtxRelease_v2(d->dev);
  }
}

// The test double's hook: runs the launch of kernel `name` on the CPU executor. The launch being
// made on this thread supplies the kernel (and its location, for hazard reports).
static int run_on_cpu(const char* name, const unsigned grid[3], const unsigned block[3], unsigned dynamic_shared,
                      void** params, char* error, size_t error_size) {
  const rt_gpu_launch* made = tl_launch;
  const rt_gpu_kernel* k = made ? made->kernel : NULL;
  if (!k || strcmp(k->entry ? k->entry : k->name, name) != 0) {
    snprintf(error, error_size, "kernel `%s` is not the launch this thread is making", name);
    return 1;
  }
  if (!k->cpu) {
    snprintf(error, error_size, "kernel `%s` is CUDA C: it has no CPU body for the test double to run", k->name);
    return 1;
  }
  rt_gpu_launch l = *made;
  l.grid = (rt_dim3){grid[0], grid[1], grid[2]};
  l.block = (rt_dim3){block[0], block[1], block[2]};
  l.dynamic_shared = dynamic_shared;
  l.stream = NULL;
  l.args = (void* const*)params;
  if (rtgpu_cpu_launch(&l)) {
    snprintf(error, error_size, "%s", rt_gpu_last_error());
    return 1;
  }
  return 0;
}

static int attribute(cuda_device* d, CUdevice_attribute a, int* out) {
  CUresult r = g_cu.cuDeviceGetAttribute(out, a, d->dev);
  return r == CUDA_SUCCESS ? 0 : cu_fail("cuDeviceGetAttribute", r);
}

static int open_device(cuda_device* d) {
  CUresult r = g_cu.cuDeviceGet(&d->dev, d->ordinal);
  if (r != CUDA_SUCCESS) return cu_fail("cuDeviceGet", r);
  if ((r = g_cu.cuDeviceGetName(d->name, sizeof d->name, d->dev)) != CUDA_SUCCESS) return cu_fail("cuDeviceGetName", r);
  int major, minor, sms, pools;
  if (attribute(d, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &d->max_threads) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, &d->max_block[0]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, &d->max_block[1]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, &d->max_block[2]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, &d->max_grid[0]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, &d->max_grid[1]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, &d->max_grid[2]) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, &d->shared_default) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &d->shared_optin) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &sms) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &major) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &minor) ||
      attribute(d, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, &pools))
    return 1;
  if (d->shared_optin < d->shared_default) d->shared_optin = d->shared_default;
  size_t total = 0;
  if ((r = g_cu.cuDeviceTotalMem_v2(&total, d->dev)) != CUDA_SUCCESS) return cu_fail("cuDeviceTotalMem", r);
  if ((r = g_cu.cuDevicePrimaryCtxRetain(&d->ctx, d->dev)) != CUDA_SUCCESS) return cu_fail("cuDevicePrimaryCtxRetain", r);
  if (make_current(d)) return 1;
  if (pools) {
    if ((r = g_cu.cuDeviceGetDefaultMemPool(&d->pool, d->dev)) != CUDA_SUCCESS)
      return cu_fail("cuDeviceGetDefaultMemPool", r);
    // Keep freed memory in the pool (by default it goes back to the system at every
    // synchronisation), so that a loop of gpu.alloc and gpu.free reuses it.
    uint64_t keep = UINT64_MAX;
    if ((r = g_cu.cuMemPoolSetAttribute(d->pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep)) != CUDA_SUCCESS)
      return cu_fail("cuMemPoolSetAttribute", r);
  }
  d->base = (rt_gpu_device){
      .name = d->name,
      .ordinal = d->ordinal,
      .alloc = cuda_alloc,
      .free = cuda_free,
      .alloc_host = cuda_alloc_host,
      .free_host = cuda_free_host,
      .copy = cuda_copy,
      .fill = cuda_fill,
      .launch = cuda_launch,
      .sync = cuda_sync,
      .stream_create = cuda_stream_create,
      .stream_destroy = cuda_stream_destroy,
      .stream_sync = cuda_stream_sync,
      .stream_wait_event = cuda_stream_wait_event,
      .event_create = cuda_event_create,
      .event_destroy = cuda_event_destroy,
      .event_record = cuda_event_record,
      .event_sync = cuda_event_sync,
      .event_elapsed_ms = cuda_event_elapsed_ms,
      .sm_count = sms,
      .compute_capability = major * 10 + minor,
      .total_memory = total,
  };
  return 0;
}

rt_gpu_device* rt_gpu_cuda_device(int ordinal) {
  int count = rt_gpu_cuda_device_count();
  if (count < 0) return NULL;
  if (ordinal < 0 || ordinal >= count || ordinal >= MAX_DEVICES) {
    rtgpu_fail("there is no CUDA device %d (the driver reports %d)", ordinal, count);
    return NULL;
  }
  pthread_mutex_lock(&g_devices_lock);
  cuda_device* d = g_devices[ordinal];
  if (!d) {
    d = calloc(1, sizeof *d);
    if (!d) {
      rtgpu_fail("out of memory opening CUDA device %d", ordinal);
    } else {
      d->ordinal = ordinal;
      pthread_mutex_init(&d->lock, NULL);
      if (open_device(d)) {
        if (d->ctx) g_cu.cuDevicePrimaryCtxRelease_v2(d->dev);
        tl_ctx = NULL;
        free(d);
        d = NULL;
      } else {
        static bool registered;
        if (!registered) {
          registered = true;
          atexit(release_devices);
          fusion_cuda_double_attach_fn attach = (fusion_cuda_double_attach_fn)dlsym(g_cu.lib, FUSION_CUDA_DOUBLE_ATTACH);
          if (attach) attach(run_on_cpu);
        }
        g_devices[ordinal] = d;
      }
    }
  }
  pthread_mutex_unlock(&g_devices_lock);
  return d ? &d->base : NULL;
}
