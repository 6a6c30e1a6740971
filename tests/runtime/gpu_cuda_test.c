// The CUDA device through the driver's test double (tests/cuda_double, loaded with
// FUSION_CUDA_DRIVER): properties, zeroed allocations, fills of every width, host memory, copies
// on streams, events, a launch of a C kernel with hand-written PTX, the driver's errors for a
// destroyed stream, an event never recorded and host memory freed as device memory, and a fault
// reported at a stream's synchronisation naming the last kernel launched on it (last: the
// context is unusable after it).
#include <dlfcn.h>
#include <stdint.h>

#include "../../runtime/src/gpu/gpu_cuda_driver.h"  // CUresult, CUcontext
#include "gpu_test_util.h"

// The PTX the double checks with ptxas: one entry that takes a pointer and a number.
static const char kPtx[] =
    ".version 7.0\n"
    ".target sm_80\n"
    ".address_size 64\n"
    "\n"
    ".visible .entry put(\n"
    "\t.param .u64 put_param_0,\n"
    "\t.param .u32 put_param_1\n"
    ")\n"
    "{\n"
    "\tret;\n"
    "}\n";

// out[global x] = value
static void put(rt_gpu_thread* t, void* const* args) {
  uint32_t* out = *(uint32_t**)args[0];
  out[gx(t)] = *(uint32_t*)args[1];
}

static const rt_gpu_kernel k_put = {.name = "put", .cpu = put, .ptx = kPtx};
static const rt_src_loc kLoc = {.file = "test.fu", .line = 7, .col = 3};

static rt_gpu_device* d;

static void check_properties(void) {
  CHECK(rt_gpu_cuda_device_count() == 1, "count %d: %s", rt_gpu_cuda_device_count(), rt_gpu_last_error());
  CHECK(strcmp(d->name, "Fusion CUDA test double (H200-like)") == 0, "name %s", d->name);
  CHECK(d->sm_count == 132 && d->compute_capability == 90, "%d SMs, cc %d", d->sm_count, d->compute_capability);
  CHECK(d->total_memory == 141ull << 30, "%llu bytes", (unsigned long long)d->total_memory);
  CHECK(rt_gpu_cuda_device(1) == NULL, "device 1");
  CHECK(strcmp(rt_gpu_last_error(), "there is no CUDA device 1 (the driver reports 1)") == 0, "%s", rt_gpu_last_error());
}

// Allocations are zeroed; fills of 1, 2, 4 and 8 bytes write their patterns and nothing more.
static void check_memory(void) {
  void* p = NULL;
  CHECK(d->alloc(d, 64, NULL, &p) == 0, "%s", rt_gpu_last_error());
  unsigned char h[64];
  memset(h, 0xff, sizeof h);
  CHECK(d->copy(d, h, p, 64, RT_GPU_DEVICE_TO_HOST, NULL) == 0 && d->sync(d) == 0, "%s", rt_gpu_last_error());
  for (int i = 0; i < 64; i++) CHECK(h[i] == 0, "byte %d is %#x", i, h[i]);
  CHECK(d->fill(d, p, 0xab, 1, 3, NULL) == 0, "%s", rt_gpu_last_error());
  CHECK(d->fill(d, (char*)p + 4, 0xbeef, 2, 2, NULL) == 0, "%s", rt_gpu_last_error());
  CHECK(d->fill(d, (char*)p + 8, 0xdeadbeef, 4, 2, NULL) == 0, "%s", rt_gpu_last_error());
  CHECK(d->fill(d, (char*)p + 16, 0x1122334455667788ull, 8, 3, NULL) == 0, "%s", rt_gpu_last_error());
  CHECK(d->copy(d, h, p, 64, RT_GPU_DEVICE_TO_HOST, NULL) == 0 && d->sync(d) == 0, "%s", rt_gpu_last_error());
  CHECK(h[0] == 0xab && h[2] == 0xab && h[3] == 0, "bytes %#x %#x %#x", h[0], h[2], h[3]);
  uint16_t u16[2];
  uint32_t u32[2];
  uint64_t u64[4];
  memcpy(u16, h + 4, 4), memcpy(u32, h + 8, 8), memcpy(u64, h + 16, 32);
  CHECK(u16[0] == 0xbeef && u16[1] == 0xbeef, "%#x %#x", u16[0], u16[1]);
  CHECK(u32[0] == 0xdeadbeef && u32[1] == 0xdeadbeef, "%#x %#x", u32[0], u32[1]);
  for (int i = 0; i < 3; i++) CHECK(u64[i] == 0x1122334455667788ull, "%d: %#llx", i, (unsigned long long)u64[i]);
  CHECK(u64[3] == 0, "past the fill: %#llx", (unsigned long long)u64[3]);
  // Device to device, on a stream; host memory.
  void* q = NULL;
  void* s = NULL;
  void* pinned = NULL;
  CHECK(d->alloc(d, 64, NULL, &q) == 0 && d->stream_create(d, &s) == 0, "%s", rt_gpu_last_error());
  CHECK(d->alloc_host(d, 64, &pinned) == 0, "%s", rt_gpu_last_error());
  CHECK(d->copy(d, q, p, 64, RT_GPU_DEVICE_TO_DEVICE, s) == 0, "%s", rt_gpu_last_error());
  CHECK(d->copy(d, pinned, q, 64, RT_GPU_DEVICE_TO_HOST, s) == 0 && d->stream_sync(d, s) == 0, "%s",
        rt_gpu_last_error());
  CHECK(memcmp(pinned, h, 64) == 0, "device to device to pinned host memory");
  // Device memory is not host memory to free.
  CHECK(d->free_host(d, q) != 0, "free_host of device memory");
  CHECK(strcmp(rt_gpu_last_error(), "cuMemFreeHost: CUDA_ERROR_INVALID_VALUE (1): invalid argument") == 0, "%s",
        rt_gpu_last_error());
  CHECK(d->free_host(d, pinned) == 0 && d->free(d, q, s) == 0 && d->free(d, p, NULL) == 0, "%s", rt_gpu_last_error());
  CHECK(d->stream_destroy(d, s) == 0, "%s", rt_gpu_last_error());
  CHECK(d->stream_sync(d, s) != 0, "sync of a destroyed stream");
  CHECK(strcmp(rt_gpu_last_error(), "cuStreamSynchronize: CUDA_ERROR_INVALID_HANDLE (400): invalid resource handle") == 0,
        "%s", rt_gpu_last_error());
}

static void check_events(void) {
  void *s = NULL, *a = NULL, *b = NULL;
  float ms = -1;
  CHECK(d->stream_create(d, &s) == 0 && d->event_create(d, &a) == 0 && d->event_create(d, &b) == 0, "%s",
        rt_gpu_last_error());
  CHECK(d->event_elapsed_ms(d, a, b, &ms) != 0, "elapsed time of events never recorded");
  CHECK(strstr(rt_gpu_last_error(), "cuEventElapsedTime: CUDA_ERROR_INVALID_HANDLE (400)") != NULL, "%s",
        rt_gpu_last_error());
  CHECK(d->event_record(d, a, s) == 0 && d->event_record(d, b, s) == 0, "%s", rt_gpu_last_error());
  CHECK(d->stream_wait_event(d, NULL, b) == 0 && d->event_sync(d, b) == 0, "%s", rt_gpu_last_error());
  CHECK(d->event_elapsed_ms(d, a, b, &ms) == 0 && ms >= 0, "%s (%f ms)", rt_gpu_last_error(), ms);
  CHECK(d->event_destroy(d, a) == 0 && d->event_destroy(d, b) == 0 && d->stream_destroy(d, s) == 0, "%s",
        rt_gpu_last_error());
}

// Launches on a stream run the C body; the second launch faults (FUSION_CUDA_DOUBLE_FAIL=fault@2),
// which the stream's synchronisation reports with the kernel and its launch site.
static void check_launch_and_fault(void) {
  void* p = NULL;
  void* s = NULL;
  CHECK(d->alloc(d, 256 * 4, NULL, &p) == 0 && d->stream_create(d, &s) == 0, "%s", rt_gpu_last_error());
  uint32_t value = 42;
  void* args[] = {&p, &value};
  rt_gpu_launch l = {.kernel = &k_put, .grid = dim(2, 1, 1), .block = dim(128, 1, 1), .stream = s, .args = args,
                     .loc = &kLoc};
  CHECK(d->launch(d, &l) == 0 && d->stream_sync(d, s) == 0, "%s", rt_gpu_last_error());
  uint32_t h[256];
  CHECK(d->copy(d, h, p, sizeof h, RT_GPU_DEVICE_TO_HOST, NULL) == 0 && d->sync(d) == 0, "%s", rt_gpu_last_error());
  CHECK(h[0] == 42 && h[255] == 42, "%u %u", h[0], h[255]);
  // Over the device's limits: refused before the driver is asked.
  l.block = dim(2048, 1, 1);
  CHECK(d->launch(d, &l) != 0, "2048 threads");
  l.block = dim(128, 1, 1);
  CHECK(d->launch(d, &l) == 0, "%s", rt_gpu_last_error());  // the one that faults
  CHECK(d->stream_sync(d, s) != 0, "the fault is reported at the next synchronisation");
  CHECK(strcmp(rt_gpu_last_error(), "cuStreamSynchronize: CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access "
                                    "was encountered (the last kernel launched on this stream: `put`, at test.fu:7:3)") == 0,
        "%s", rt_gpu_last_error());
  CHECK(d->sync(d) != 0, "every later call reports it");
}

// Other code on the thread (cudaSetDevice, a library) makes no context or another one current: the
// device notices and makes its own current again before its next call.
static void check_context_changed_behind_its_back(void) {
  void* lib = dlopen(CUDA_DOUBLE_LIB, RTLD_NOW | RTLD_NOLOAD);
  CHECK(lib != NULL, "the double is loaded");
  if (!lib) return;
  CUresult (*set_current)(CUcontext) = (CUresult(*)(CUcontext))dlsym(lib, "cuCtxSetCurrent");
  CHECK(set_current && set_current(NULL) == CUDA_SUCCESS, "cuCtxSetCurrent(NULL)");
  void* p = NULL;
  CHECK(d->alloc(d, 16, NULL, &p) == 0, "after another context was made current: %s", rt_gpu_last_error());
  CHECK(d->free(d, p, NULL) == 0 && d->sync(d) == 0, "%s", rt_gpu_last_error());
}

int main(void) {
  setenv("FUSION_CUDA_DRIVER", CUDA_DOUBLE_LIB, 1);
  setenv("FUSION_CUDA_DOUBLE_FAIL", "fault@2", 1);
  d = rt_gpu_cuda_device(0);
  CHECK(d != NULL, "%s", rt_gpu_last_error());
  if (!d) return finish("gpu_cuda_test");
  check_properties();
  check_memory();
  check_events();
  check_context_changed_behind_its_back();
  check_launch_and_fault();
  return finish("gpu_cuda_test");
}
