// The C reference for saxpy.fu: the same kernel (one element per thread, 256-thread blocks,
// 64-bit index as Fusion computes it), timed the same way (each launch alone, best of REPS), and
// cudaMemcpy device to device of the same N floats (8 bytes an element: read and write).
#include "common.h"

#define REPS 10

__device__ float axpy(float a, float x, float y) { return a * x + y; }

__global__ void saxpy(long long n, float a, const float* x, float* y) {
  long long i = (long long)(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) y[i] = axpy(a, x[i], y[i]);
}

static float x_at(long long i) { return (float)(i % 1000); }
static float y_at(long long i) { return (float)(i % 7) - 3.0f; }

int main(int argc, char** argv) {
  long long n = size_arg(argc, argv, 1LL << 28);
  float a = 0.5f;
  long long block = 256, grid = (n + block - 1) / block;
  float* host = (float*)malloc(n * sizeof(float));
  float *dx, *dy, *dz;
  CHECK_CUDA(cudaMalloc(&dx, n * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&dy, n * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&dz, n * sizeof(float)));
  for (long long i = 0; i < n; i++) host[i] = x_at(i);
  CHECK_CUDA(cudaMemcpy(dx, host, n * sizeof(float), cudaMemcpyHostToDevice));
  for (long long i = 0; i < n; i++) host[i] = y_at(i);
  CHECK_CUDA(cudaMemcpy(dy, host, n * sizeof(float), cudaMemcpyHostToDevice));
  long long best = 0;
  for (int rep = 0; rep < REPS; rep++) {
    long long t0 = monotonic_ns();
    saxpy<<<(unsigned)grid, (unsigned)block>>>(n, a, dx, dy);
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best) best = ns;
  }
  CHECK_CUDA(cudaGetLastError());
  printf("bench saxpy_c n %lld best_ns %lld gbps %.3f\n", n, best, 12.0 * n / best);
  long long best_copy = 0;
  for (int rep = 0; rep < REPS; rep++) {
    long long t0 = monotonic_ns();
    CHECK_CUDA(cudaMemcpy(dz, dx, n * sizeof(float), cudaMemcpyDeviceToDevice));
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best_copy) best_copy = ns;
  }
  printf("bench memcpy_d2d n %lld best_ns %lld gbps %.3f\n", n, best_copy, 8.0 * n / best_copy);
  CHECK_CUDA(cudaMemcpy(host, dy, n * sizeof(float), cudaMemcpyDeviceToHost));
  long long wrong = 0;
  for (long long i = 0; i < n; i++)
    if (host[i] != y_at(i) + (float)REPS * a * x_at(i)) wrong++;
  printf(wrong == 0 ? "check saxpy_c ok\n" : "check saxpy_c FAILED: %lld wrong\n", wrong);
  return wrong != 0;
}
