// A kernel whose header is in inputs/ too; NVRTC warns about `unused`.
#include "scale.cuh"
extern "C" __global__ void scale(int n, float a, float* x) {
  int unused;
  int i = threadIdx.x;
  if (i < n) x[i] = SCALE_BY(x[i], a);
}
