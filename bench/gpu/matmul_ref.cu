// The C reference for matmul.fu: the tiled kernel of examples/gpu_matmul written in CUDA C, line
// for line (64-bit indices, as the Fusion kernel computes them), timed the same way.
#include "common.h"

#define TILE 16
#define REPS 5

__global__ void matmul(long long m, long long k, long long n, const float* a, const float* b, float* c) {
  __shared__ float ta[TILE * TILE];
  __shared__ float tb[TILE * TILE];
  long long tx = threadIdx.x, ty = threadIdx.y;
  long long row = (long long)blockIdx.y * TILE + ty;
  long long col = (long long)blockIdx.x * TILE + tx;
  float acc = 0.0f;
  for (long long t = 0; t < k; t += TILE) {
    long long ak = t + tx, bk = t + ty;
    float av = 0.0f, bv = 0.0f;
    if (row < m && ak < k) av = a[row * k + ak];
    if (bk < k && col < n) bv = b[bk * n + col];
    ta[ty * TILE + tx] = av;
    tb[ty * TILE + tx] = bv;
    __syncthreads();
    for (long long j = 0; j < TILE; j++) acc += ta[ty * TILE + j] * tb[j * TILE + tx];
    __syncthreads();
  }
  if (row < m && col < n) c[row * n + col] = acc;
}

static float a_at(long long i, long long j) { return (float)((i + 2 * j) % 7 - 2); }
static float b_at(long long i, long long j) { return (float)((3 * i + j) % 5 - 1); }

int main(int argc, char** argv) {
  long long n = size_arg(argc, argv, 2048);
  size_t bytes = n * n * sizeof(float);
  float* a = (float*)malloc(bytes);
  float* b = (float*)malloc(bytes);
  float* c = (float*)malloc(bytes);
  for (long long i = 0; i < n; i++)
    for (long long j = 0; j < n; j++) a[i * n + j] = a_at(i, j), b[i * n + j] = b_at(i, j);
  float *da, *db, *dc;
  CHECK_CUDA(cudaMalloc(&da, bytes));
  CHECK_CUDA(cudaMalloc(&db, bytes));
  CHECK_CUDA(cudaMalloc(&dc, bytes));
  CHECK_CUDA(cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice));
  unsigned blocks = (unsigned)((n + TILE - 1) / TILE);
  long long best = 0;
  for (int rep = 0; rep < REPS; rep++) {
    long long t0 = monotonic_ns();
    matmul<<<dim3(blocks, blocks, 1), dim3(TILE, TILE, 1)>>>(n, n, n, da, db, dc);
    CHECK_CUDA(cudaDeviceSynchronize());
    long long ns = monotonic_ns() - t0;
    if (rep == 0 || ns < best) best = ns;
  }
  CHECK_CUDA(cudaGetLastError());
  printf("bench matmul_c n %lld best_ns %lld gflops %.3f\n", n, best, 2.0 * n * n * n / best);
  CHECK_CUDA(cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost));
  int wrong = 0;
  for (long long s = 0; s < 64; s++) {
    long long i = (s * 7919) % n, j = (s * 104729 + 13) % n;
    float expected = 0.0f;
    for (long long p = 0; p < n; p++) expected += a_at(i, p) * b_at(p, j);
    if (c[i * n + j] != expected) wrong++;
  }
  printf(wrong == 0 ? "check matmul_c ok\n" : "check matmul_c FAILED: %d wrong\n", wrong);
  return wrong != 0;
}
