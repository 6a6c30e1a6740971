// bench/kernels_cpu: the C baselines for kernels.fu, the same computations as plain loops (one
// thread), the same sizes, inputs and checksums:
//   saxpy   y[i] = a * x[i] + y[i], 10^7 floats
//   matmul  a naive i-j-k triple loop, 512 x 512 floats, a float accumulator per element
//   reduce  the sum of 2^24 floats into a double, in order
// Each loop is timed alone with clock_gettime(CLOCK_MONOTONIC), best of REPS (inputs are reset
// between repetitions, outside the timed part).
//
// Build: clang-19 -O2 kernels.c -o kernels_c
// Prints one line per loop: NAME SIZE BEST_NS CHECKSUM
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REPS = 5 };

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// noinline and the empty asm with a memory clobber: each timed loop is a real call that the
// optimizer can neither fold into the setup around it nor drop as pure (reduce() reads only).
#define OPAQUE() __asm__ volatile("" ::: "memory")

__attribute__((noinline)) static void saxpy(int64_t n, float a, const float* x, float* y) {
  OPAQUE();
  for (int64_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

static void bench_saxpy(void) {
  const int64_t n = 10000000;
  const float a = 2.5f;
  float* x = malloc(n * sizeof *x);
  float* y0 = malloc(n * sizeof *y0);
  float* y = malloc(n * sizeof *y);
  for (int64_t i = 0; i < n; i++) {
    x[i] = (float)(i % 1000);
    y0[i] = (float)(i % 7 - 3);
  }
  int64_t best = INT64_MAX;
  for (int r = 0; r < REPS; r++) {
    memcpy(y, y0, n * sizeof *y);
    int64_t t0 = now_ns();
    saxpy(n, a, x, y);
    int64_t t = now_ns() - t0;
    if (t < best) best = t;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += y[i];
  printf("saxpy %lld %lld %lld\n", (long long)n, (long long)best, (long long)sum);
  free(x), free(y0), free(y);
}

__attribute__((noinline)) static void matmul(int64_t n, const float* a, const float* b, float* c) {
  OPAQUE();
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      float acc = 0;
      for (int64_t k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
      c[i * n + j] = acc;
    }
}

static void bench_matmul(void) {
  const int64_t n = 512;
  float* a = malloc(n * n * sizeof *a);
  float* b = malloc(n * n * sizeof *b);
  float* c = calloc(n * n, sizeof *c);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      a[i * n + j] = (float)((i + 2 * j) % 7 - 3);
      b[i * n + j] = (float)((3 * i + j) % 5 - 1);
    }
  int64_t best = INT64_MAX;
  for (int r = 0; r < REPS; r++) {
    int64_t t0 = now_ns();
    matmul(n, a, b, c);
    int64_t t = now_ns() - t0;
    if (t < best) best = t;
  }
  double sum = 0;  // weighted, as kernels.fu does
  for (int64_t i = 0; i < n * n; i++) sum += (double)c[i] * (double)(i % 13 + 1);
  printf("matmul %lld %lld %lld\n", (long long)n, (long long)best, (long long)sum);
  free(a), free(b), free(c);
}

__attribute__((noinline)) static double reduce(int64_t n, const float* x) {
  OPAQUE();
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += x[i];
  return s;
}

static void bench_reduce(void) {
  const int64_t n = (int64_t)1 << 24;
  float* x = malloc(n * sizeof *x);
  for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 7 + 3) % 16);
  int64_t best = INT64_MAX;
  double total = 0;
  for (int r = 0; r < REPS; r++) {
    int64_t t0 = now_ns();
    total = reduce(n, x);
    int64_t t = now_ns() - t0;
    if (t < best) best = t;
  }
  printf("reduce %lld %lld %lld\n", (long long)n, (long long)best, (long long)total);
  free(x);
}

int main(void) {
  bench_saxpy();
  bench_matmul();
  bench_reduce();
  return 0;
}
