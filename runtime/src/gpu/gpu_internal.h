// Private to runtime/src/gpu: fibers, error reporting.
#ifndef FUSION_RT_GPU_INTERNAL_H
#define FUSION_RT_GPU_INTERNAL_H

#include <stdarg.h>

#include "fusion/rt_gpu.h"

// A fiber: a stack and the saved stack pointer of a suspended context. Switching saves the
// callee-saved registers, MXCSR and the x87 control word on the old stack and restores them from
// the new one (x86-64 SysV), which is all a cooperative switch between C calls needs.
typedef struct rtgpu_fiber {
  void* sp;             // saved stack pointer while suspended
  void* stack;          // mmap'd, with a guard page below
  size_t stack_size;
  void (*entry)(void* arg);
  void* arg;
  const void* asan_stack;  // for AddressSanitizer's fiber annotations
  size_t asan_size;
} rtgpu_fiber;

// Prepares `f` to run entry(arg) on its own stack when first switched to; false if out of memory.
// The stack is reused by later calls with the same fiber.
bool rtgpu_fiber_init(rtgpu_fiber* f, size_t stack_size, void (*entry)(void*), void* arg);
void rtgpu_fiber_release(rtgpu_fiber* f);
// Suspends the running context into `from` and resumes `to`. `from` describes the running
// context's stack for the sanitizer (a worker thread's own stack: leave stack NULL).
void rtgpu_fiber_switch(rtgpu_fiber* from, rtgpu_fiber* to);

// Records the message for rt_gpu_last_error and returns 1.
__attribute__((format(printf, 1, 2))) int rtgpu_fail(const char* fmt, ...);

// Reports a kernel hazard (what a GPU would hang on or corrupt) and ends the program.
__attribute__((noreturn, format(printf, 2, 3))) void rtgpu_hazard(const rt_gpu_launch* launch, const char* fmt, ...);

// The tensor cores (gpu_mma.c): rt_gpu_mma_kind `kind` for a whole warp's 32 records (rt_gpu.h),
// each lane's result written into its record. -1, or for an ldmatrix the first lane whose row
// address is not 16-byte aligned inside [shared, shared + shared_bytes) (nothing is then read).
int rtgpu_tensor_core(int kind, uint32_t (*lanes)[RT_GPU_MMA_WORDS], const char* shared, size_t shared_bytes);

// Runs a launch on the CPU: checks it, then runs every block (on the worker pool).
int rtgpu_cpu_launch(const rt_gpu_launch* launch);
// The same, with `print` in the kernel muted on every worker (check mode's second run).
int rtgpu_cpu_launch_muted(const rt_gpu_launch* launch);

// The blocks gpu.alloc handed out (gpu_api.c), for checked mode. Each is followed and preceded by
// a red zone of RTGPU_RED_ZONE bytes that belongs to no block.
enum { RTGPU_RED_ZONE = 256 };
// The alignment of a block's shared memory on the CPU executor: the largest `@align(N)`.
enum { RTGPU_SHARED_ALIGN = 4096 };
typedef struct rtgpu_region {
  const char* base;
  size_t size;
} rtgpu_region;
// Whether [p, p + bytes) touches a gpu.alloc block or its red zones without lying inside the
// block; `out` is that block. Pointers elsewhere (host memory, shared memory) are not checked.
bool rtgpu_registry_check(const void* p, size_t bytes, rtgpu_region* out);

// A live block, for `--device check`: its base and size as the program sees them, and where it was
// allocated; `host` for gpu.alloc_host's page-locked memory, which a CUDA kernel may also reach.
typedef struct rtgpu_block_record {
  char* base;
  size_t size;
  rt_loc loc;
  bool host;
} rtgpu_block_record;
// Every live block, device blocks (sorted by base) first, in a malloc'd array the caller frees;
// NULL with `count` 0 when out of memory.
rtgpu_block_record* rtgpu_registry_list(size_t* count);

// Check mode (gpu_check.c). rtgpu_check_start reads FUSION_CHECK_ULPS and FUSION_CHECK_INJECT and
// has rt_exit print the summary (and exit 101 when a launch differed); rtgpu_check_launch runs a
// launch on `device` and again on the CPU executor (or, when `device` is the CPU, by its two
// strategies) and compares every live block. Returns what device->launch would.
void rtgpu_check_start(void);
// Whether rtgpu_check_start ran (FUSION_DEVICE=check): the CPU executor then reports hazards that
// only a GPU would hit, as a misaligned vector access (rt_gpu_misaligned).
bool rtgpu_check_mode(void);
int rtgpu_check_launch(rt_gpu_device* device, const rt_gpu_launch* launch);

#endif
