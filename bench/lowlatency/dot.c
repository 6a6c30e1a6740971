/* Twin of dot.fu: the same dot product with AVX intrinsics (build with -O2 -march=native). */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>

#define N 256
#define ROUNDS 10000000

static __attribute__((noinline, hot)) float dot(const float *a, const float *b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  __m256 v = _mm256_add_ps(acc0, acc1);
  /* The upper half into the lower, as vec's sum(): (0+4, 1+5, 2+6, 3+7), (0+2, 1+3), 0+1. */
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

int main(void) {
  static float a[N], b[N];
  for (int i = 0; i < N; i++) {
    a[i] = (float)(i % 7) * 0.25f;
    b[i] = (float)(i % 5) * 0.5f;
  }
  double total = 0.0;
  for (int64_t r = 0; r < ROUNDS; r++) {
    a[r & 255] += 0.125f;
    total += (double)dot(a, b, N);
  }
  /* As Fusion prints an f64: the shortest digits that read back (Python's repr). */
  char buf[64];
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, total);
    double back;
    sscanf(buf, "%lf", &back);
    if (back == total) break;
  }
  printf("%s\n", buf);
  return 0;
}
