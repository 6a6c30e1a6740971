// The C reference for reduction.fu: the block reduction of examples/gpu_reduction written in CUDA
// C, line for line, timed the same way (each launch alone, best of REPS).
#include "common.h"

#define BLOCK 256
#define FULL_MASK 0xffffffffu
#define GRID 1024
#define REPS 10

__global__ void block_sum(long long n, const float* input, float* total) {
  __shared__ float partial[256];
  unsigned tid = threadIdx.x;
  float sum = 0.0f;
  long long i = (long long)(blockIdx.x * blockDim.x + tid);
  long long stride = (long long)(gridDim.x * blockDim.x);
  while (i < n) {
    sum += input[i];
    i += stride;
  }
  partial[tid] = sum;
  __syncthreads();
  unsigned active = blockDim.x / 2;
  while (active >= 64) {
    if (tid < active) partial[tid] += partial[tid + active];
    __syncthreads();
    active /= 2;
  }
  if (tid < 32) {
    float v = partial[tid] + partial[tid + 32];
    unsigned offset = 16;
    while (offset > 0) {
      v += __shfl_down_sync(FULL_MASK, v, offset);
      offset /= 2;
    }
    if (tid == 0) atomicAdd(total, v);
  }
}

int main(int argc, char** argv) {
  long long n = size_arg(argc, argv, 1LL << 26);
  float* input = (float*)malloc(n * sizeof(float));
  for (long long i = 0; i < n; i++) input[i] = i % 8 == 0 ? 1.0f : 0.0f;
  float *d_input, *d_total;
  CHECK_CUDA(cudaMalloc(&d_input, n * sizeof(float)));
  CHECK_CUDA(cudaMalloc(&d_total, sizeof(float)));
  CHECK_CUDA(cudaMemcpy(d_input, input, n * sizeof(float), cudaMemcpyHostToDevice));
  long long best = 0;
  int wrong = 0;
  float total = 0.0f;
  for (int rep = 0; rep < REPS; rep++) {
    float zero = 0.0f;
    CHECK_CUDA(cudaMemcpy(d_total, &zero, sizeof(float), cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaDeviceSynchronize());
    long long t0 = monotonic_ns();
    block_sum<<<GRID, BLOCK>>>(n, d_input, d_total);
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best) best = ns;
    CHECK_CUDA(cudaMemcpy(&total, d_total, sizeof(float), cudaMemcpyDeviceToHost));
    if ((long long)total != (n + 7) / 8) wrong++;
  }
  printf("bench reduction_c n %lld best_ns %lld gbps %.3f\n", n, best, 4.0 * n / best);
  printf(wrong == 0 ? "check reduction_c ok\n" : "check reduction_c FAILED: %d wrong\n", wrong);
  return wrong != 0;
}
