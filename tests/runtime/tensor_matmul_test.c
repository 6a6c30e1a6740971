// Matrix products on the CPU device against a naive triple loop: f32 (within a tolerance) and f64,
// sizes that are not multiples of the tiles, a transposed operand, vectors on either side, and an
// inner size of 0.
#include "tensor_test_kernels.h"

static const rt_src_loc here = {"m.fu", 5, 7};

static double entry(int64_t i, int64_t j, int salt) { return (double)(((i * 31 + j * 17 + salt) % 23) - 11) / 8; }

// a [m, k] times b [k, n] (b given transposed when `bt`, i.e. stored [n, k]).
static void check_product(int32_t dtype, int64_t m, int64_t k, int64_t n, bool bt) {
  bool f64 = dtype == RT_DTYPE_F64;
  size_t es = f64 ? 8 : 4;
  void* ha = malloc((size_t)(m * k) * es);
  void* hb = malloc((size_t)(k * n) * es);
  for (int64_t i = 0; i < m * k; i++) {
    if (f64) ((double*)ha)[i] = entry(i / k, i % k, 1);
    else ((float*)ha)[i] = (float)entry(i / k, i % k, 1);
  }
  // b's element (p, j) is entry(p, j, 2), stored row-major as [k, n], or as [n, k] when bt
  for (int64_t p = 0; p < k; p++)
    for (int64_t j = 0; j < n; j++) {
      int64_t at = bt ? j * k + p : p * n + j;
      if (f64) ((double*)hb)[at] = entry(p, j, 2);
      else ((float*)hb)[at] = (float)entry(p, j, 2);
    }
  rt_tensor* a = (rt_tensor*)rt_tensor_from_host(dtype, ha, 2, (int64_t[]){m, k}, &here);
  rt_tensor* b_stored = (rt_tensor*)rt_tensor_from_host(dtype, hb, 2, bt ? (int64_t[]){n, k} : (int64_t[]){k, n}, &here);
  rt_tensor* b = bt ? (rt_tensor*)rt_tensor_transpose(b_stored, 0, 1, &here) : b_stored;
  rt_tensor* c = (rt_tensor*)rt_tensor_matmul(a, b, &here);
  CHECK(tk_shape_is(c, 2, (int64_t[]){m, n}) && c->dtype == dtype, "result shape");
  void* hc = tk_host(c);
  int bad = 0;
  for (int64_t i = 0; i < m && bad < 5; i++)
    for (int64_t j = 0; j < n && bad < 5; j++) {
      double want = 0;
      for (int64_t p = 0; p < k; p++) want += entry(i, p, 1) * entry(p, j, 2);
      double got = f64 ? ((double*)hc)[i * n + j] : ((float*)hc)[i * n + j];
      double tol = f64 ? 1e-12 * (1 + fabs(want)) : 1e-4 * (double)k;
      if (fabs(got - want) > tol) {
        bad++;
        CHECK(false, "%s [%lld x %lld] x [%lld x %lld]: c[%lld][%lld] = %.9g, want %.9g", f64 ? "f64" : "f32",
              (long long)m, (long long)k, (long long)k, (long long)n, (long long)i, (long long)j, got, want);
      }
    }
  free(ha), free(hb), free(hc);
  rt_tensor_release(c);
  if (bt) rt_tensor_release(b);
  rt_tensor_release(b_stored);
  rt_tensor_release(a);
}

static void check_vectors(void) {
  rt_tensor* m = tk_f64(2, (int64_t[]){2, 3}, (double[]){1, 2, 3, 4, 5, 6});
  rt_tensor* v3 = tk_f64(1, (int64_t[]){3}, (double[]){1, 0, -1});
  rt_tensor* v2 = tk_f64(1, (int64_t[]){2}, (double[]){1, 1});
  rt_tensor* mv = (rt_tensor*)rt_tensor_matmul(m, v3, &here);  // [2, 3] x [3] = [2]
  rt_tensor* vm = (rt_tensor*)rt_tensor_matmul(v2, m, &here);  // [2] x [2, 3] = [3]
  rt_tensor* vv = (rt_tensor*)rt_tensor_matmul(v3, v3, &here);  // [3] x [3] = []
  double *h1 = tk_host(mv), *h2 = tk_host(vm), *h3 = tk_host(vv);
  CHECK(tk_shape_is(mv, 1, (int64_t[]){2}) && h1[0] == -2 && h1[1] == -2, "matrix x vector");
  CHECK(tk_shape_is(vm, 1, (int64_t[]){3}) && h2[0] == 5 && h2[1] == 7 && h2[2] == 9, "vector x matrix");
  CHECK(vv->rank == 0 && h3[0] == 2, "vector x vector is rank 0");
  free(h1), free(h2), free(h3);
  rt_tensor* e1 = tk_f64(2, (int64_t[]){2, 0}, NULL);
  rt_tensor* e2 = tk_f64(2, (int64_t[]){0, 3}, NULL);
  rt_tensor* z = (rt_tensor*)rt_tensor_matmul(e1, e2, &here);
  double* hz = tk_host(z);
  CHECK(tk_shape_is(z, 2, (int64_t[]){2, 3}) && hz[0] == 0 && hz[5] == 0, "an inner size of 0 gives zeros");
  free(hz);
  rt_tensor* tensors[] = {m, v3, v2, mv, vm, vv, e1, e2, z};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

int main(void) {
  tk_setup();
  check_product(RT_DTYPE_F64, 1, 1, 1, false);
  check_product(RT_DTYPE_F64, 7, 5, 3, false);
  check_product(RT_DTYPE_F64, 70, 300, 290, false);  // more than one tile each way, k in steps
  check_product(RT_DTYPE_F32, 33, 129, 257, false);
  check_product(RT_DTYPE_F32, 65, 40, 300, true);     // a transposed operand: made contiguous
  check_product(RT_DTYPE_F64, 1, 500, 1, true);
  check_vectors();
  CHECK(rt_tensor_live() == 0, "%lld tensors were never released", (long long)rt_tensor_live());
  return finish("tensor_matmul_test");
}
