// A test double of the CUDA driver (libcuda.so.1) for the host side of Fusion's CUDA device: it
// exports the driver entry points runtime/src/gpu/gpu_cuda.c uses, checks their arguments as the
// driver documents, and records them. It is NOT a GPU and tests nothing of what a GPU does:
//  - "device" memory is host memory it hands out and tracks (filled with 0xA5, as real memory is
//    not zeroed); every device pointer passed in must lie inside a block it handed out;
//  - a current context is needed where the driver needs one; streams, events, modules and
//    functions must be live; launch sizes must be within the limits it reports (an H200: sm_90,
//    132 SMs, 48 KiB of shared memory per block, 227 KiB with cuFuncSetAttribute);
//  - the linker (cuLinkCreate … cuLinkComplete) "makes a cubin" of one PTX input: a tagged copy
//    of the PTX (test-only), which cuModuleLoadData recognises and loads;
//  - the PTX of cuModuleLoadDataEx must be one ptxas accepts for sm_90 (it runs
//    $FUSION_CUDA_DOUBLE_PTXAS, else $CUDA_HOME/bin/ptxas or /usr/local/cuda/bin/ptxas, when
//    present), in a PTX ISA the driver version it reports can compile;
//  - a launch runs the kernel synchronously on Fusion's CPU executor, through the hook the Fusion
//    runtime passes to fusion_cuda_double_attach (see gpu_cuda_driver.h);
//  - every call is traced to $FUSION_CUDA_DOUBLE_TRACE (a path, or `stderr`), one line each;
//  - $FUSION_CUDA_DOUBLE_FAIL=WHAT[@N] makes the Nth (default first) WHAT fail: `cuInit` (no
//    device), `cuMemAllocAsync` (out of memory), `module` (PTX rejected, with a log), `launch`
//    (cuLaunchKernel: out of resources), `fault` (the launch runs, then an illegal address is
//    reported at the next synchronisation and by every call after it, as the driver does), or
//    any other entry point's name (CUDA_ERROR_UNKNOWN);
//  - $FUSION_CUDA_DOUBLE_DRIVER_VERSION (default 13000) and $FUSION_CUDA_DOUBLE_DEVICES (default
//    1) are what cuDriverGetVersion and cuDeviceGetCount report.
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpu_cuda_driver.h"

#define EXPORT __attribute__((visibility("default")))

// --- What it reports ----------------------------------------------------------------------------

enum {
  MAX_THREADS = 1024,
  SHARED_DEFAULT = 48 * 1024,
  SHARED_OPTIN = 227 * 1024,
  SM_COUNT = 132,
  CC_MAJOR = 9,
  CC_MINOR = 0,
  MAX_DEVICES = 8,
};
static const char kName[] = "Fusion CUDA test double (H200-like)";
static const char kArch[] = "sm_90";
static const unsigned long long kTotalMemory = 141ull << 30;

// --- State --------------------------------------------------------------------------------------

typedef enum { MEM_DEVICE, MEM_HOST } mem_kind;

typedef struct block {
  char* base;
  size_t size;
  mem_kind kind;
  int id;
} block;

typedef struct object {  // a stream, event, module or function: live until destroyed
  int id;
  int kind;              // 's', 'e', 'm', 'f'
  bool live;
  // events
  bool recorded;
  double ms;
  // modules: the PTX's entries; functions: the entry, the module, the attribute
  char* ptx;
  struct object* module;
  char name[128];
  int params;
  int max_dynamic;
} object;

struct CUctx_st {
  int device;
  int retained;
};
struct CUmemPoolHandle_st {
  int device;
};

static struct {
  pthread_mutex_t lock;
  bool initialized;
  int devices, version;
  FILE* trace;
  char fail_what[64];
  int fail_nth, fail_seen;
  CUresult pending, sticky;  // a fault waiting for the next synchronisation; then every call's
  struct CUctx_st ctx[MAX_DEVICES];
  struct CUmemPoolHandle_st pool[MAX_DEVICES];
  block* blocks;
  size_t nblocks, capacity;
  int next_block_id;
  object** objects;
  size_t nobjects;
  int next_id[128];
  fusion_cuda_double_run_fn run;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local struct CUctx_st* tl_current;

// --- Trace and failure injection ----------------------------------------------------------------

static void configure(void) {
  static bool done;
  if (done) return;
  done = true;
  const char* v = getenv("FUSION_CUDA_DOUBLE_DRIVER_VERSION");
  g.version = v && *v ? atoi(v) : 13000;
  v = getenv("FUSION_CUDA_DOUBLE_DEVICES");
  g.devices = v && *v ? atoi(v) : 1;
  if (g.devices > MAX_DEVICES) g.devices = MAX_DEVICES;
  v = getenv("FUSION_CUDA_DOUBLE_TRACE");
  if (v && strcmp(v, "stderr") == 0) g.trace = stderr;
  else if (v && *v) g.trace = fopen(v, "w");
  v = getenv("FUSION_CUDA_DOUBLE_FAIL");
  if (v && *v) {
    snprintf(g.fail_what, sizeof g.fail_what, "%s", v);
    char* at = strchr(g.fail_what, '@');
    g.fail_nth = 1;
    if (at) *at = 0, g.fail_nth = atoi(at + 1);
  }
}

__attribute__((format(printf, 1, 2))) static void trace(const char* fmt, ...) {
  if (!g.trace) return;
  fputs("cuda-double: ", g.trace);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(g.trace, fmt, ap);
  va_end(ap);
  fputc('\n', g.trace);
  fflush(g.trace);
}

// Whether this call of `what` is the one FUSION_CUDA_DOUBLE_FAIL asks to fail.
static bool inject(const char* what) {
  if (!g.fail_what[0] || strcmp(g.fail_what, what) != 0) return false;
  return ++g.fail_seen == g.fail_nth;
}

static const struct {
  CUresult code;
  const char* name;
  const char* text;
} kErrors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {CUDA_ERROR_UNSUPPORTED_PTX_VERSION, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
     "the provided PTX was compiled with an unsupported toolchain."},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY", "device not ready"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static const char* error_name(CUresult r) {
  for (size_t i = 0; i < sizeof kErrors / sizeof kErrors[0]; i++)
    if (kErrors[i].code == r) return kErrors[i].name;
  return "CUDA_ERROR_?";
}

// Ends a call: traces "call(arguments) = RESULT", unlocks, returns the result.
__attribute__((format(printf, 2, 3))) static CUresult finish(CUresult r, const char* fmt, ...) {
  if (g.trace) {
    fputs("cuda-double: ", g.trace);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(g.trace, fmt, ap);
    va_end(ap);
    fprintf(g.trace, " = %s\n", error_name(r));
    fflush(g.trace);
  }
  pthread_mutex_unlock(&g.lock);
  return r;
}

// What every call but cuInit checks first: initialised, the sticky error of a fault, a failure
// asked for. `needs_ctx`: a current, active context.
static CUresult enter(const char* name, bool needs_ctx) {
  pthread_mutex_lock(&g.lock);
  if (!g.initialized) return CUDA_ERROR_NOT_INITIALIZED;
  if (g.sticky) return g.sticky;
  if (needs_ctx && (!tl_current || tl_current->retained == 0)) return CUDA_ERROR_INVALID_CONTEXT;
  if (inject(name)) return strcmp(name, "cuMemAllocAsync") == 0 ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_ERROR_UNKNOWN;
  return CUDA_SUCCESS;
}

// A synchronising call: a pending fault is reported now, and by every call after it.
static CUresult synchronise(void) {
  if (!g.pending) return CUDA_SUCCESS;
  g.sticky = g.pending;
  g.pending = CUDA_SUCCESS;
  return g.sticky;
}

// --- Memory blocks ------------------------------------------------------------------------------

static block* add_block(size_t size, mem_kind kind) {
  if (g.nblocks == g.capacity) {
    size_t cap = g.capacity ? 2 * g.capacity : 64;
    block* b = realloc(g.blocks, cap * sizeof *b);
    if (!b) return NULL;
    g.blocks = b, g.capacity = cap;
  }
  size_t rounded = (size + 255) / 256 * 256;
  char* p = aligned_alloc(256, rounded ? rounded : 256);
  if (!p) return NULL;
  memset(p, 0xA5, rounded ? rounded : 256);
  block* b = &g.blocks[g.nblocks++];
  *b = (block){p, size, kind, ++g.next_block_id};
  return b;
}

// The live block of `kind` that holds [p, p + bytes), or NULL.
static block* find_block(const void* p, size_t bytes, mem_kind kind) {
  const char* c = p;
  for (size_t i = 0; i < g.nblocks; i++) {
    block* b = &g.blocks[i];
    if (b->kind == kind && c >= b->base && c < b->base + b->size && bytes <= (size_t)(b->base + b->size - c)) return b;
  }
  return NULL;
}

static void remove_block(block* b) {
  free(b->base);
  *b = g.blocks[--g.nblocks];
}

// "dev#3+256": a device pointer as the block it is in and the offset, for the trace.
static const char* show_ptr(CUdeviceptr p, char* buf, size_t size) {
  const char* c = (const char*)(uintptr_t)p;
  for (size_t i = 0; i < g.nblocks; i++) {
    block* b = &g.blocks[i];
    if (c >= b->base && c < b->base + (b->size ? b->size : 1)) {
      snprintf(buf, size, "%s#%d+%zu", b->kind == MEM_DEVICE ? "dev" : "host", b->id, (size_t)(c - b->base));
      return buf;
    }
  }
  snprintf(buf, size, "%#llx", (unsigned long long)p);
  return buf;
}

// --- Objects: streams, events, modules, functions -----------------------------------------------

static object* new_object(int kind) {
  object* o = calloc(1, sizeof *o);
  if (!o) return NULL;
  object** all = realloc(g.objects, (g.nobjects + 1) * sizeof *all);
  if (!all) {
    free(o);
    return NULL;
  }
  g.objects = all;
  g.objects[g.nobjects++] = o;
  o->kind = kind;
  o->id = ++g.next_id[kind];
  o->live = true;
  return o;
}

// Whether `p` is a live object of `kind` (never dereferenced otherwise).
static object* live(const void* p, int kind) {
  for (size_t i = 0; i < g.nobjects; i++)
    if (g.objects[i] == p) return g.objects[i]->live && g.objects[i]->kind == kind ? g.objects[i] : NULL;
  return NULL;
}

static const char* show_stream(CUstream s, char* buf, size_t size) {
  object* o = live(s, 's');
  if (!s) snprintf(buf, size, "0");
  else if (o) snprintf(buf, size, "s%d", o->id);
  else snprintf(buf, size, "%p", (void*)s);
  return buf;
}

static CUresult check_stream(CUstream s) { return !s || live(s, 's') ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

// --- Initialisation, devices, contexts ----------------------------------------------------------

EXPORT CUresult cuInit(unsigned int flags) {
  pthread_mutex_lock(&g.lock);
  configure();
  CUresult r = CUDA_SUCCESS;
  if (flags != 0) r = CUDA_ERROR_INVALID_VALUE;
  else if (inject("cuInit") || g.devices <= 0) r = CUDA_ERROR_NO_DEVICE;
  else g.initialized = true;
  return finish(r, "cuInit(%u)", flags);
}

EXPORT CUresult cuDriverGetVersion(int* version) {
  pthread_mutex_lock(&g.lock);
  configure();
  if (!version) return finish(CUDA_ERROR_INVALID_VALUE, "cuDriverGetVersion(NULL)");
  *version = g.version;
  return finish(CUDA_SUCCESS, "cuDriverGetVersion() -> %d", g.version);
}

EXPORT CUresult cuGetErrorName(CUresult error, const char** name) {
  for (size_t i = 0; i < sizeof kErrors / sizeof kErrors[0]; i++)
    if (kErrors[i].code == error && name) return *name = kErrors[i].name, CUDA_SUCCESS;
  if (name) *name = NULL;
  return CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuGetErrorString(CUresult error, const char** text) {
  for (size_t i = 0; i < sizeof kErrors / sizeof kErrors[0]; i++)
    if (kErrors[i].code == error && text) return *text = kErrors[i].text, CUDA_SUCCESS;
  if (text) *text = NULL;
  return CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuDeviceGetCount(int* count) {
  CUresult r = enter("cuDeviceGetCount", false);
  if (!r && !count) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) *count = g.devices;
  return finish(r, "cuDeviceGetCount() -> %d", r ? -1 : g.devices);
}

EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  CUresult r = enter("cuDeviceGet", false);
  if (!r && !device) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && (ordinal < 0 || ordinal >= g.devices)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r) *device = ordinal;
  return finish(r, "cuDeviceGet(%d)", ordinal);
}

static bool valid_device(CUdevice dev) { return dev >= 0 && dev < g.devices; }

EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  CUresult r = enter("cuDeviceGetName", false);
  if (!r && (!name || len <= 0)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r) snprintf(name, (size_t)len, "%s", kName);
  return finish(r, "cuDeviceGetName(len=%d, dev=%d)", len, dev);
}

static const char* attribute_name(CUdevice_attribute a) {
  switch (a) {
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: return "MAX_THREADS_PER_BLOCK";
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: return "MAX_BLOCK_DIM_X";
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: return "MAX_BLOCK_DIM_Y";
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: return "MAX_BLOCK_DIM_Z";
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: return "MAX_GRID_DIM_X";
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: return "MAX_GRID_DIM_Y";
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: return "MAX_GRID_DIM_Z";
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: return "MAX_SHARED_MEMORY_PER_BLOCK";
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: return "MULTIPROCESSOR_COUNT";
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: return "COMPUTE_CAPABILITY_MAJOR";
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: return "COMPUTE_CAPABILITY_MINOR";
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: return "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN";
    case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: return "MEMORY_POOLS_SUPPORTED";
  }
  return "?";
}

EXPORT CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attrib, CUdevice dev) {
  CUresult r = enter("cuDeviceGetAttribute", false);
  if (!r && !value) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  int v = 0;
  if (!r) switch (attrib) {
      case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: v = MAX_THREADS; break;
      case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: v = 1024; break;
      case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: v = 1024; break;
      case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: v = 64; break;
      case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: v = 2147483647; break;
      case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: v = 65535; break;
      case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: v = 65535; break;
      case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: v = SHARED_DEFAULT; break;
      case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: v = SM_COUNT; break;
      case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: v = CC_MAJOR; break;
      case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: v = CC_MINOR; break;
      case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: v = SHARED_OPTIN; break;
      case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: v = 1; break;
      default: r = CUDA_ERROR_INVALID_VALUE;  // one this double does not know: the caller's mistake or ours
    }
  if (!r) *value = v;
  return finish(r, "cuDeviceGetAttribute(%s (%d), dev=%d) -> %d", attribute_name(attrib), (int)attrib, dev, v);
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  CUresult r = enter("cuDeviceTotalMem_v2", false);
  if (!r && !bytes) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r) *bytes = kTotalMemory;
  return finish(r, "cuDeviceTotalMem(dev=%d)", dev);
}

EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice dev) {
  CUresult r = enter("cuDevicePrimaryCtxRetain", false);
  if (!r && !ctx) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r) {
    g.ctx[dev].device = dev;
    g.ctx[dev].retained++;
    *ctx = &g.ctx[dev];
  }
  return finish(r, "cuDevicePrimaryCtxRetain(dev=%d) -> retained %d", dev, r ? 0 : g.ctx[dev].retained);
}

EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  CUresult r = enter("cuDevicePrimaryCtxRelease_v2", false);
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r && g.ctx[dev].retained == 0) r = CUDA_ERROR_INVALID_CONTEXT;
  if (!r) g.ctx[dev].retained--;
  return finish(r, "cuDevicePrimaryCtxRelease(dev=%d) -> retained %d", dev, valid_device(dev) ? g.ctx[dev].retained : 0);
}

EXPORT CUresult cuCtxSetCurrent(CUcontext ctx) {
  CUresult r = enter("cuCtxSetCurrent", false);
  bool known = false;
  for (int i = 0; i < g.devices; i++) known |= ctx == &g.ctx[i];
  if (!r && ctx && (!known || ctx->retained == 0)) r = CUDA_ERROR_INVALID_CONTEXT;
  if (!r) tl_current = ctx;
  return finish(r, "cuCtxSetCurrent(%s)", !ctx ? "NULL" : known ? "primary" : "unknown");
}

// Not traced: the CUDA device asks before every call that needs its context (make_current), and
// a line each would drown the trace.
EXPORT CUresult cuCtxGetCurrent(CUcontext* ctx) {
  if (!ctx) return CUDA_ERROR_INVALID_VALUE;
  *ctx = tl_current;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxSynchronize(void) {
  CUresult r = enter("cuCtxSynchronize", true);
  if (!r) r = synchronise();
  return finish(r, "cuCtxSynchronize()");
}

// --- Memory -------------------------------------------------------------------------------------

EXPORT CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool, CUdevice dev) {
  CUresult r = enter("cuDeviceGetDefaultMemPool", false);
  if (!r && !pool) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !valid_device(dev)) r = CUDA_ERROR_INVALID_DEVICE;
  if (!r) g.pool[dev].device = dev, *pool = &g.pool[dev];
  return finish(r, "cuDeviceGetDefaultMemPool(dev=%d)", dev);
}

static bool valid_pool(CUmemoryPool pool) {
  for (int i = 0; i < g.devices; i++)
    if (pool == &g.pool[i]) return true;
  return false;
}

EXPORT CUresult cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void* value) {
  CUresult r = enter("cuMemPoolSetAttribute", false);
  if (!r && !valid_pool(pool)) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && (attr != CU_MEMPOOL_ATTR_RELEASE_THRESHOLD || !value)) r = CUDA_ERROR_INVALID_VALUE;
  unsigned long long v = !r ? *(uint64_t*)value : 0;
  if (v == UINT64_MAX) return finish(r, "cuMemPoolSetAttribute(RELEASE_THRESHOLD, UINT64_MAX)");
  return finish(r, "cuMemPoolSetAttribute(%d, %llu)", (int)attr, v);
}

EXPORT CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t keep) {
  CUresult r = enter("cuMemPoolTrimTo", false);
  if (!r && !valid_pool(pool)) r = CUDA_ERROR_INVALID_HANDLE;
  return finish(r, "cuMemPoolTrimTo(%zu)", keep);
}

static CUresult alloc_device(const char* name, CUdeviceptr* dptr, size_t bytes, CUstream stream, bool async) {
  CUresult r = enter(name, true);
  char s[32];
  if (!r && (!dptr || bytes == 0)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && async) r = check_stream(stream);
  block* b = NULL;
  if (!r && !(b = add_block(bytes, MEM_DEVICE))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *dptr = (CUdeviceptr)(uintptr_t)b->base;
  if (!async) return finish(r, "%s(bytes=%zu) -> dev#%d", name, bytes, b ? b->id : 0);
  return finish(r, "%s(bytes=%zu, stream=%s) -> dev#%d", name, bytes, show_stream(stream, s, sizeof s), b ? b->id : 0);
}

EXPORT CUresult cuMemAllocAsync(CUdeviceptr* dptr, size_t bytes, CUstream stream) {
  return alloc_device("cuMemAllocAsync", dptr, bytes, stream, true);
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) { return alloc_device("cuMemAlloc_v2", dptr, bytes, NULL, false); }

static CUresult free_device(const char* name, CUdeviceptr dptr, CUstream stream, bool async) {
  CUresult r = enter(name, true);
  char p[64], s[32];
  show_ptr(dptr, p, sizeof p);
  if (!r && async) r = check_stream(stream);
  block* b = r ? NULL : find_block((void*)(uintptr_t)dptr, 0, MEM_DEVICE);
  if (!r && (!b || b->base != (char*)(uintptr_t)dptr)) r = CUDA_ERROR_INVALID_VALUE;  // not a block's start
  if (!r) remove_block(b);
  if (!async) return finish(r, "%s(%s)", name, p);
  return finish(r, "%s(%s, stream=%s)", name, p, show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream stream) { return free_device("cuMemFreeAsync", dptr, stream, true); }
EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) { return free_device("cuMemFree_v2", dptr, NULL, false); }

EXPORT CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
  CUresult r = enter("cuMemAllocHost_v2", true);
  if (!r && (!p || bytes == 0)) r = CUDA_ERROR_INVALID_VALUE;
  block* b = NULL;
  if (!r && !(b = add_block(bytes, MEM_HOST))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *p = b->base;
  return finish(r, "cuMemAllocHost(bytes=%zu) -> host#%d", bytes, b ? b->id : 0);
}

EXPORT CUresult cuMemFreeHost(void* p) {
  CUresult r = enter("cuMemFreeHost", true);
  char buf[64];
  show_ptr((CUdeviceptr)(uintptr_t)p, buf, sizeof buf);
  block* b = r ? NULL : find_block(p, 0, MEM_HOST);
  if (!r && (!b || b->base != p)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) remove_block(b);
  return finish(r, "cuMemFreeHost(%s)", buf);
}

// A device range must lie inside one block this double handed out; host pointers only be non-NULL.
static CUresult check_device_range(CUdeviceptr p, size_t bytes) {
  return find_block((void*)(uintptr_t)p, bytes, MEM_DEVICE) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, CUstream stream) {
  CUresult r = enter("cuMemcpyHtoDAsync_v2", true);
  char d[64], s[32];
  if (!r) r = check_stream(stream);
  if (!r && (!src || check_device_range(dst, bytes))) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) memmove((void*)(uintptr_t)dst, src, bytes);
  return finish(r, "cuMemcpyHtoDAsync(%s, bytes=%zu, stream=%s)", show_ptr(dst, d, sizeof d), bytes,
                show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  CUresult r = enter("cuMemcpyDtoHAsync_v2", true);
  char p[64], s[32];
  if (!r) r = check_stream(stream);
  if (!r && (!dst || check_device_range(src, bytes))) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) memmove(dst, (void*)(uintptr_t)src, bytes);
  return finish(r, "cuMemcpyDtoHAsync(%s, bytes=%zu, stream=%s)", show_ptr(src, p, sizeof p), bytes,
                show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream stream) {
  CUresult r = enter("cuMemcpyDtoDAsync_v2", true);
  char d[64], p[64], s[32];
  if (!r) r = check_stream(stream);
  if (!r && (check_device_range(dst, bytes) || check_device_range(src, bytes))) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) memmove((void*)(uintptr_t)dst, (void*)(uintptr_t)src, bytes);
  return finish(r, "cuMemcpyDtoDAsync(%s, %s, bytes=%zu, stream=%s)", show_ptr(dst, d, sizeof d),
                show_ptr(src, p, sizeof p), bytes, show_stream(stream, s, sizeof s));
}

// cuMemsetD8/16/32Async and cuMemsetD2D32Async: `height` rows of `width` values of `size` bytes,
// rows `pitch` bytes apart; the start aligned to the value's size, as the driver requires.
static CUresult memset_rows(const char* name, CUdeviceptr dst, size_t pitch, uint32_t value, unsigned size,
                            size_t width, size_t height, CUstream stream) {
  CUresult r = enter(name, true);
  char d[64], s[32];
  if (!r) r = check_stream(stream);
  size_t span = height ? (height - 1) * pitch + width * size : 0;
  if (!r && (dst % size || pitch < width * size || check_device_range(dst, span))) r = CUDA_ERROR_INVALID_VALUE;
  if (!r)
    for (size_t y = 0; y < height; y++)
      for (size_t x = 0; x < width; x++) memcpy((char*)(uintptr_t)dst + y * pitch + x * size, &value, size);
  if (pitch == width * size)
    return finish(r, "%s(%s, %#x, count=%zu, stream=%s)", name, show_ptr(dst, d, sizeof d), value, width * height,
                  show_stream(stream, s, sizeof s));
  return finish(r, "%s(%s, pitch=%zu, %#x, width=%zu, height=%zu, stream=%s)", name, show_ptr(dst, d, sizeof d), pitch,
                value, width, height, show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count, CUstream stream) {
  return memset_rows("cuMemsetD8Async", dst, count, value, 1, count, 1, stream);
}
EXPORT CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short value, size_t count, CUstream stream) {
  return memset_rows("cuMemsetD16Async", dst, 2 * count, value, 2, count, 1, stream);
}
EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t count, CUstream stream) {
  return memset_rows("cuMemsetD32Async", dst, 4 * count, value, 4, count, 1, stream);
}
EXPORT CUresult cuMemsetD2D32Async(CUdeviceptr dst, size_t pitch, unsigned int value, size_t width, size_t height,
                                   CUstream stream) {
  return memset_rows("cuMemsetD2D32Async", dst, pitch, value, 4, width, height, stream);
}

// --- Modules and functions ----------------------------------------------------------------------

// The newest PTX ISA (major * 10 + minor) a driver of `version` compiles (CUDA release notes).
static int driver_ptx_isa(int version) {
  int major = version / 1000, minor = version % 1000 / 10;
  if (major > 13) return 99;
  if (major == 13) return 90 + minor;
  if (major == 12) return minor <= 5 ? 80 + minor : 79 + minor;
  if (major == 11) return 70 + minor;
  if (major == 10) return 63 + minor;
  return 60;
}

static const char* ptxas_path(void) {
  static char path[4096];
  const char* env = getenv("FUSION_CUDA_DOUBLE_PTXAS");
  if (env && *env) return env;
  const char* home = getenv("CUDA_HOME");
  snprintf(path, sizeof path, "%s/bin/ptxas", home && *home ? home : "/usr/local/cuda");
  return path;
}

// Copies `text` into a JIT log buffer of the options, and its size back, as the driver does.
static void write_log(unsigned count, CUjit_option* options, void** values, CUjit_option buffer_opt,
                      CUjit_option size_opt, const char* text) {
  char* buffer = NULL;
  size_t size = 0;
  int size_at = -1;
  for (unsigned i = 0; i < count; i++) {
    if (options[i] == buffer_opt) buffer = values[i];
    if (options[i] == size_opt) size = (size_t)(uintptr_t)values[i], size_at = (int)i;
  }
  if (!buffer || !size) return;
  snprintf(buffer, size, "%s", text);
  size_t n = strlen(buffer);
  if (size_at >= 0) values[size_at] = (void*)(uintptr_t)n;
}

// Runs ptxas on `ptx`: 0 if it accepts it; its output in `log`. -1 when ptxas is not there.
static int run_ptxas(const char* ptx, char* log, size_t log_size) {
  const char* ptxas = ptxas_path();
  log[0] = 0;
  if (access(ptxas, X_OK) != 0) return -1;
  const char* tmp = getenv("TMPDIR");
  char file[4096];
  snprintf(file, sizeof file, "%s/fusion-cuda-double-XXXXXX.ptx", tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemps(file, 4);
  if (fd < 0) {
    snprintf(log, log_size, "the test double cannot write a temporary file: %s", strerror(errno));
    return 1;
  }
  size_t len = strlen(ptx);
  bool ok = write(fd, ptx, len) == (ssize_t)len;
  close(fd);
  char command[9000];
  snprintf(command, sizeof command, "'%s' -arch=%s '%s' -o /dev/null 2>&1", ptxas, kArch, file);
  FILE* out = ok ? popen(command, "r") : NULL;
  int status = 1;
  if (out) {
    size_t n = fread(log, 1, log_size - 1, out);
    log[n] = 0;
    status = pclose(out);
  }
  unlink(file);
  return status == 0 ? 0 : 1;
}

// Records the entries (`.entry NAME(` and the count of its `.param`s) of a module's PTX.
// A cubin ptxas made (an ELF image for EM_CUDA): the SM it is for, or 0 when `image` is not one.
static int cubin_sm(const void* image) {
  const unsigned char* e = image;
  if (memcmp(e, "\x7f" "ELF", 4) != 0 || e[4] != 2 || e[18] != 190) return 0;  // 64-bit, EM_CUDA
  uint32_t flags;
  memcpy(&flags, e + 48, 4);  // e_flags of an Elf64_Ehdr
  return e[8] >= 8 ? (int)((flags >> 8) & 0xff) : (int)(flags & 0xff);  // by the ELF ABI version
}

// A function's parameter count from the module's PTX; -1 when it has no such entry; -2 when the
// module is a cubin and has the entry (its parameters are not read from the ELF image).
static int count_params(const char* ptx, const char* name) {
  if (strncmp(ptx, "\x7f" "ELF", 4) == 0) return -2;
  char pattern[160];
  snprintf(pattern, sizeof pattern, ".entry %s(", name);
  const char* e = strstr(ptx, pattern);
  if (!e) return -1;
  const char* end = strchr(e, ')');
  int n = 0;
  for (const char* p = strstr(e, ".param"); p && end && p < end; p = strstr(p + 1, ".param")) n++;
  return n;
}

// Checks PTX as the driver's JIT would (its ISA, then ptxas); the JIT's log in `log`.
static CUresult check_ptx(const char* ptx, char* log, size_t log_size, int* major, int* minor) {
  const char* v = strstr(ptx, ".version ");
  if (!v || sscanf(v + 9, "%d.%d", major, minor) != 2) return CUDA_ERROR_INVALID_IMAGE;  // not PTX
  if (*major * 10 + *minor > driver_ptx_isa(g.version)) {
    int max = driver_ptx_isa(g.version);
    snprintf(log, log_size, "ptxas application ptx input, line 1; fatal   : Unsupported .version %d.%d; current version is '%d.%d'",
             *major, *minor, max / 10, max % 10);
    return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
  }
  if (inject("module")) {
    snprintf(log, log_size, "ptxas application ptx input, line 1; error   : rejected on request "
                            "(FUSION_CUDA_DOUBLE_FAIL=module)\nptxas fatal   : Ptx assembly aborted due to errors");
    return CUDA_ERROR_INVALID_PTX;
  }
  int checked = run_ptxas(ptx, log, log_size);
  if (checked < 0) trace("ptxas not found at %s: the PTX is not checked", ptxas_path());
  return checked > 0 ? CUDA_ERROR_INVALID_PTX : CUDA_SUCCESS;
}

EXPORT CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned int count, CUjit_option* options,
                                   void** values) {
  CUresult r = enter("cuModuleLoadDataEx", true);
  if (!r && (!module || !image || (count && (!options || !values)))) r = CUDA_ERROR_INVALID_VALUE;
  const char* ptx = image;
  char log[8192] = "";
  int major = 0, minor = 0;
  if (!r) r = check_ptx(ptx, log, sizeof log, &major, &minor);  // and cubins are not what Fusion loads here
  object* m = NULL;
  if (!r && (!(m = new_object('m')) || !(m->ptx = strdup(ptx)))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *module = (CUmodule)m;
  if (count) {
    write_log(count, options, values, CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, r ? log : "");
    write_log(count, options, values, CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, r ? "" : log);
  }
  return finish(r, "cuModuleLoadDataEx(PTX ISA %d.%d, %zu bytes, %u options) -> m%d", major, minor,
                image ? strlen(ptx) : 0, count, m ? m->id : 0);
}

EXPORT CUresult cuModuleGetFunction(CUfunction* fn, CUmodule module, const char* name) {
  CUresult r = enter("cuModuleGetFunction", true);
  object* m = live(module, 'm');
  if (!r && (!fn || !name)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && !m) r = CUDA_ERROR_INVALID_HANDLE;
  int params = r ? -1 : count_params(m->ptx, name);
  if (!r && params == -1) r = CUDA_ERROR_NOT_FOUND;
  if (params == -2) params = 0;  // a cubin's: not checked
  object* f = NULL;
  if (!r && !(f = new_object('f'))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) {
    f->module = m;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->params = params;
    f->max_dynamic = SHARED_DEFAULT;  // the static shared memory is not known here: taken as none
    *fn = (CUfunction)f;
  }
  return finish(r, "cuModuleGetFunction(m%d, %s)", m ? m->id : 0, name ? name : "NULL");
}

EXPORT CUresult cuModuleUnload(CUmodule module) {
  CUresult r = enter("cuModuleUnload", true);
  object* m = live(module, 'm');
  if (!r && !m) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) {
    m->live = false;
    for (size_t i = 0; i < g.nobjects; i++)  // its functions go with it
      if (g.objects[i]->kind == 'f' && g.objects[i]->module == m) g.objects[i]->live = false;
  }
  return finish(r, "cuModuleUnload(m%d)", m ? m->id : 0);
}

// --- The linker, and cubins --------------------------------------------------------------------
// The double's "cubin" (test-only; no real driver reads it) is the PTX behind a tag line naming
// the architecture it was "made" for: cuModuleLoadData recognises the tag and loads the PTX after
// it without checking it again, as the driver loads a cubin without its JIT.

static const char kCubinTag[] = "FUSION CUDA DOUBLE CUBIN sm_90\n";

EXPORT CUresult cuLinkCreate_v2(unsigned int count, CUjit_option* options, void** values, CUlinkState* state) {
  CUresult r = enter("cuLinkCreate_v2", true);
  if (!r && (!state || (count && (!options || !values)))) r = CUDA_ERROR_INVALID_VALUE;
  object* l = NULL;
  if (!r && !(l = new_object('l'))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *state = (CUlinkState)l;
  return finish(r, "cuLinkCreate(%u options) -> l%d", count, l ? l->id : 0);
}

EXPORT CUresult cuLinkAddData_v2(CUlinkState state, CUjitInputType type, void* data, size_t size, const char* name,
                                 unsigned int count, CUjit_option* options, void** values) {
  CUresult r = enter("cuLinkAddData_v2", true);
  object* l = live(state, 'l');
  if (!r && !l) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && (!data || !size || (count && (!options || !values)) || type != CU_JIT_INPUT_PTX || l->ptx))
    r = CUDA_ERROR_INVALID_VALUE;  // the double links one PTX input
  if (!r && ((const char*)data)[size - 1] != 0) r = CUDA_ERROR_INVALID_VALUE;  // PTX must end in a NUL
  char log[8192] = "";
  int major = 0, minor = 0;
  if (!r) r = check_ptx(data, log, sizeof log, &major, &minor);
  if (!r && !(l->ptx = strdup(data))) r = CUDA_ERROR_OUT_OF_MEMORY;
  return finish(r, "cuLinkAddData(l%d, PTX ISA %d.%d, %zu bytes, %s)", l ? l->id : 0, major, minor, size,
                name ? name : "NULL");
}

EXPORT CUresult cuLinkComplete(CUlinkState state, void** cubin, size_t* size) {
  CUresult r = enter("cuLinkComplete", true);
  object* l = live(state, 'l');
  if (!r && !l) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && (!cubin || !size || !l->ptx)) r = CUDA_ERROR_INVALID_VALUE;
  char* image = NULL;
  if (!r) {
    size_t n = strlen(kCubinTag) + strlen(l->ptx) + 1;
    if ((image = malloc(n))) {
      snprintf(image, n, "%s%s", kCubinTag, l->ptx);
      free(l->ptx);
      l->ptx = image;  // owned by the link state, as the driver's cubin is
      *cubin = image;
      *size = n;
    } else {
      r = CUDA_ERROR_OUT_OF_MEMORY;
    }
  }
  return finish(r, "cuLinkComplete(l%d) -> %zu bytes", l ? l->id : 0, image ? strlen(image) + 1 : 0);
}

EXPORT CUresult cuLinkDestroy(CUlinkState state) {
  CUresult r = enter("cuLinkDestroy", false);
  object* l = live(state, 'l');
  if (!r && !l) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) {
    l->live = false;
    free(l->ptx);  // the cubin it returned goes with it
    l->ptx = NULL;
  }
  return finish(r, "cuLinkDestroy(l%d)", l ? l->id : 0);
}

EXPORT CUresult cuModuleLoadData(CUmodule* module, const void* image) {
  CUresult r = enter("cuModuleLoadData", true);
  if (!r && (!module || !image)) r = CUDA_ERROR_INVALID_VALUE;
  const char* text = image;
  // A cubin from ptxas (`fusion build --gpu-arch sm_80,sm_90`): it must be for this device's SM
  // (sm_90; a cubin runs on its own major version, at its minor or later), as the driver checks.
  int elf_sm = r ? 0 : cubin_sm(image);
  if (elf_sm) {
    if (elf_sm / 10 != 9 || elf_sm > 90) r = CUDA_ERROR_NO_BINARY_FOR_GPU;
    object* em = NULL;
    if (!r && (!(em = new_object('m')) || !(em->ptx = strdup("\x7f" "ELF")))) r = CUDA_ERROR_OUT_OF_MEMORY;
    if (!r) *module = (CUmodule)em;
    return finish(r, "cuModuleLoadData(cubin (ELF) for sm_%d) -> m%d", elf_sm, em ? em->id : 0);
  }
  bool cubin = !r && strncmp(text, kCubinTag, strlen(kCubinTag)) == 0;
  char log[8192] = "";
  int major = 0, minor = 0;
  if (!r && !cubin) r = check_ptx(text, log, sizeof log, &major, &minor);  // PTX: through the JIT
  const char* ptx = cubin ? text + strlen(kCubinTag) : text;
  object* m = NULL;
  if (!r && (!(m = new_object('m')) || !(m->ptx = strdup(ptx)))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *module = (CUmodule)m;
  return finish(r, "cuModuleLoadData(%s, %zu bytes) -> m%d", cubin ? "cubin for sm_90" : "PTX",
                image ? strlen(text) : 0, m ? m->id : 0);
}

EXPORT CUresult cuFuncSetAttribute(CUfunction fn, CUfunction_attribute attrib, int value) {
  CUresult r = enter("cuFuncSetAttribute", true);
  object* f = live(fn, 'f');
  if (!r && !f) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && (attrib != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES || value < 0 || value > SHARED_OPTIN))
    r = CUDA_ERROR_INVALID_VALUE;
  if (!r) f->max_dynamic = value;
  return finish(r, "cuFuncSetAttribute(%s, MAX_DYNAMIC_SHARED_SIZE_BYTES, %d)", f ? f->name : "?", value);
}

// The double cannot tell a function's static shared memory from its PTX: it reports none.
EXPORT CUresult cuFuncGetAttribute(int* value, CUfunction_attribute attrib, CUfunction fn) {
  CUresult r = enter("cuFuncGetAttribute", true);
  object* f = live(fn, 'f');
  if (!r && !f) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && (!value || attrib != CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r) *value = 0;
  return finish(r, "cuFuncGetAttribute(%s, SHARED_SIZE_BYTES) -> 0", f ? f->name : "?");
}

// --- Launches -----------------------------------------------------------------------------------

EXPORT void fusion_cuda_double_attach(fusion_cuda_double_run_fn run) {
  pthread_mutex_lock(&g.lock);
  g.run = run;
  finish(CUDA_SUCCESS, "fusion_cuda_double_attach()");
}

EXPORT CUresult cuLaunchKernel(CUfunction fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                               unsigned int by, unsigned int bz, unsigned int shared, CUstream stream, void** params,
                               void** extra) {
  CUresult r = enter("cuLaunchKernel", true);
  object* f = live(fn, 'f');
  char s[32], name[128];
  snprintf(name, sizeof name, "%s", f ? f->name : "?");
  if (!r && !f) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) r = check_stream(stream);
  if (!r && (!gx || !gy || !gz || gy > 65535 || gz > 65535 || gx > 2147483647u)) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && (!bx || !by || !bz || bx > 1024 || by > 1024 || bz > 64 || (uint64_t)bx * by * bz > MAX_THREADS))
    r = CUDA_ERROR_INVALID_VALUE;
  if (!r && shared > (unsigned)f->max_dynamic) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && extra) r = CUDA_ERROR_INVALID_VALUE;  // Fusion passes kernelParams, never `extra`
  if (!r && f->params > 0 && !params) r = CUDA_ERROR_INVALID_VALUE;
  for (int i = 0; !r && i < f->params; i++)
    if (!params[i]) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && inject("launch")) r = CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
  if (!r && !g.run) r = CUDA_ERROR_NOT_SUPPORTED;  // no Fusion runtime attached: nothing can run it
  fusion_cuda_double_run_fn run = g.run;
  bool fault = !r && inject("fault");
  if (g.trace)
    fprintf(g.trace, "cuda-double: cuLaunchKernel(%s, grid=(%u, %u, %u), block=(%u, %u, %u), shared=%u, stream=%s) = %s\n",
            name, gx, gy, gz, bx, by, bz, shared, show_stream(stream, s, sizeof s), error_name(r));
  pthread_mutex_unlock(&g.lock);
  if (r) return r;
  // The kernel runs now, on the CPU executor, with the lock released (it may take a while, and
  // a panic in it ends the process from inside).
  char error[512] = "";
  unsigned grid[3] = {gx, gy, gz}, block_dims[3] = {bx, by, bz};
  int failed = run(name, grid, block_dims, shared, params, error, sizeof error);
  pthread_mutex_lock(&g.lock);
  if (failed) {
    // A GPU reports a kernel that cannot run at a later synchronisation; say why here.
    fprintf(stderr, "cuda-double: kernel `%s` did not run on the CPU executor: %s\n", name, error);
    g.pending = CUDA_ERROR_LAUNCH_FAILED;
  } else if (fault) {
    g.pending = CUDA_ERROR_ILLEGAL_ADDRESS;
  }
  trace("kernel %s ran%s", name, failed ? ": failed" : fault ? ": faults (FUSION_CUDA_DOUBLE_FAIL=fault)" : "");
  pthread_mutex_unlock(&g.lock);
  return CUDA_SUCCESS;
}

// --- Streams and events -------------------------------------------------------------------------

EXPORT CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  CUresult r = enter("cuStreamCreate", true);
  if (!r && (!stream || flags > 1)) r = CUDA_ERROR_INVALID_VALUE;  // CU_STREAM_DEFAULT or NON_BLOCKING
  object* o = NULL;
  if (!r && !(o = new_object('s'))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *stream = (CUstream)o;
  return finish(r, "cuStreamCreate(flags=%u) -> s%d", flags, o ? o->id : 0);
}

EXPORT CUresult cuStreamDestroy_v2(CUstream stream) {
  CUresult r = enter("cuStreamDestroy_v2", true);
  char s[32];
  show_stream(stream, s, sizeof s);
  object* o = live(stream, 's');
  if (!r && !o) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) o->live = false;
  return finish(r, "cuStreamDestroy(%s)", s);
}

EXPORT CUresult cuStreamSynchronize(CUstream stream) {
  CUresult r = enter("cuStreamSynchronize", true);
  char s[32];
  if (!r) r = check_stream(stream);
  if (!r) r = synchronise();
  return finish(r, "cuStreamSynchronize(%s)", show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int flags) {
  CUresult r = enter("cuStreamWaitEvent", true);
  char s[32];
  object* e = live(event, 'e');
  if (!r) r = check_stream(stream);
  if (!r && !e) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r && flags) r = CUDA_ERROR_INVALID_VALUE;
  return finish(r, "cuStreamWaitEvent(%s, e%d)", show_stream(stream, s, sizeof s), e ? e->id : 0);
}

EXPORT CUresult cuEventCreate(CUevent* event, unsigned int flags) {
  CUresult r = enter("cuEventCreate", true);
  if (!r && (!event || flags > 0xf)) r = CUDA_ERROR_INVALID_VALUE;
  object* o = NULL;
  if (!r && !(o = new_object('e'))) r = CUDA_ERROR_OUT_OF_MEMORY;
  if (!r) *event = (CUevent)o;
  return finish(r, "cuEventCreate(flags=%u) -> e%d", flags, o ? o->id : 0);
}

EXPORT CUresult cuEventDestroy_v2(CUevent event) {
  CUresult r = enter("cuEventDestroy_v2", true);
  object* e = live(event, 'e');
  if (!r && !e) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) e->live = false;
  return finish(r, "cuEventDestroy(e%d)", e ? e->id : 0);
}

EXPORT CUresult cuEventRecord(CUevent event, CUstream stream) {
  CUresult r = enter("cuEventRecord", true);
  char s[32];
  object* e = live(event, 'e');
  if (!r && !e) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) r = check_stream(stream);
  if (!r) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    e->recorded = true;
    e->ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
  }
  return finish(r, "cuEventRecord(e%d, %s)", e ? e->id : 0, show_stream(stream, s, sizeof s));
}

EXPORT CUresult cuEventSynchronize(CUevent event) {
  CUresult r = enter("cuEventSynchronize", true);
  object* e = live(event, 'e');
  if (!r && !e) r = CUDA_ERROR_INVALID_HANDLE;
  if (!r) r = synchronise();
  return finish(r, "cuEventSynchronize(e%d)", e ? e->id : 0);
}

static CUresult elapsed(const char* name, float* ms, CUevent start, CUevent end) {
  CUresult r = enter(name, true);
  object* a = live(start, 'e');
  object* b = live(end, 'e');
  if (!r && !ms) r = CUDA_ERROR_INVALID_VALUE;
  if (!r && (!a || !b || !a->recorded || !b->recorded)) r = CUDA_ERROR_INVALID_HANDLE;  // also: never recorded
  if (!r) *ms = (float)(b->ms - a->ms);
  return finish(r, "%s(e%d, e%d)", name, a ? a->id : 0, b ? b->id : 0);
}

EXPORT CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
  return elapsed("cuEventElapsedTime", ms, start, end);
}
EXPORT CUresult cuEventElapsedTime_v2(float* ms, CUevent start, CUevent end) {
  return elapsed("cuEventElapsedTime_v2", ms, start, end);
}

// --- At exit ------------------------------------------------------------------------------------

// What the program left behind, for tests of clean-up (after the runtime's atexit handlers).
__attribute__((destructor)) static void report_at_exit(void) {
  if (!g.trace || !g.initialized) return;
  int streams = 0, events = 0, modules = 0, device = 0, host = 0, retained = 0;
  for (size_t i = 0; i < g.nobjects; i++) {
    object* o = g.objects[i];
    if (!o->live) continue;
    streams += o->kind == 's', events += o->kind == 'e', modules += o->kind == 'm';
  }
  for (size_t i = 0; i < g.nblocks; i++) g.blocks[i].kind == MEM_DEVICE ? device++ : host++;
  for (int i = 0; i < g.devices; i++) retained += g.ctx[i].retained;
  trace("at exit: %d streams, %d events, %d modules, %d device blocks, %d host blocks, %d context references", streams,
        events, modules, device, host, retained);
}
