// The C reference for sgemm.fu: the same cublasSgemm call on cudaMalloc memory, timed the same
// way (each call alone, best of REPS after one warm-up call).
#include "common.h"
#include <cublas_v2.h>

#define REPS 10

static float a_at(long long i, long long j) { return (float)((i + 2 * j) % 3 - 1); }
static float b_at(long long i, long long j) { return (float)((3 * i + j) % 3 - 1); }

int main(int argc, char** argv) {
  long long n = size_arg(argc, argv, 4096);
  size_t bytes = n * n * sizeof(float);
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    fprintf(stderr, "cublasCreate failed\n");
    return 1;
  }
  float* a = (float*)malloc(bytes);
  float* b = (float*)malloc(bytes);
  float* c = (float*)malloc(bytes);
  for (long long j = 0; j < n; j++)
    for (long long i = 0; i < n; i++) a[j * n + i] = a_at(i, j), b[j * n + i] = b_at(i, j);
  float *da, *db, *dc;
  CHECK_CUDA(cudaMalloc(&da, bytes));
  CHECK_CUDA(cudaMalloc(&db, bytes));
  CHECK_CUDA(cudaMalloc(&dc, bytes));
  CHECK_CUDA(cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice));
  float alpha = 1.0f, beta = 0.0f;
  int ni = (int)n;
  cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &alpha, da, ni, db, ni, &beta, dc, ni);
  CHECK_CUDA(cudaDeviceSynchronize());
  long long best = 0;
  for (int rep = 0; rep < REPS; rep++) {
    long long t0 = monotonic_ns();
    if (cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &alpha, da, ni, db, ni, &beta, dc, ni) !=
        CUBLAS_STATUS_SUCCESS) {
      fprintf(stderr, "cublasSgemm failed\n");
      return 1;
    }
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best) best = ns;
  }
  printf("bench sgemm_c n %lld best_ns %lld gflops %.3f\n", n, best, 2.0 * n * n * n / best);
  CHECK_CUDA(cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost));
  int wrong = 0;
  for (long long s = 0; s < 64; s++) {
    long long i = (s * 7919) % n, j = (s * 104729 + 13) % n;
    float expected = 0.0f;
    for (long long p = 0; p < n; p++) expected += a_at(i, p) * b_at(p, j);
    if (c[j * n + i] != expected) wrong++;
  }
  cublasDestroy(handle);
  printf(wrong == 0 ? "check sgemm_c ok\n" : "check sgemm_c FAILED: %d wrong\n", wrong);
  return wrong != 0;
}
