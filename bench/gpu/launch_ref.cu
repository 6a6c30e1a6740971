// The C reference for launch.fu: the same empty kernel, launched N times with cuLaunchKernel (the
// driver API call Fusion's CUDA device makes) in a loop, then one synchronisation; best of 3.
#include "common.h"

__global__ void empty() {}

int main(int argc, char** argv) {
  long long n = size_arg(argc, argv, 200000);
  CHECK_CUDA(cudaFree(0));  // creates the primary context
  cudaFunction_t fn;
  CHECK_CUDA(cudaGetFuncBySymbol(&fn, (const void*)empty));
  CUfunction f = (CUfunction)fn;
  for (int i = 0; i < 100; i++) CHECK_CU(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL));
  CHECK_CUDA(cudaDeviceSynchronize());
  long long best = 0;
  for (int rep = 0; rep < 3; rep++) {
    long long t0 = monotonic_ns();
    for (long long i = 0; i < n; i++) CHECK_CU(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, NULL));
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best) best = ns;
  }
  printf("bench launch_c n %lld best_ns %lld ns_per_launch %.3f\n", n, best, (double)best / n);
  return 0;
}
