// Placeholder until the CUDA device lands: no driver is ever loaded.
#include "gpu_internal.h"

int rt_gpu_cuda_device_count(void) {
  rtgpu_fail("this Fusion has no CUDA device yet");
  return -1;
}

rt_gpu_device* rt_gpu_cuda_device(int ordinal) {
  (void)ordinal;
  rtgpu_fail("this Fusion has no CUDA device yet");
  return NULL;
}
