// The group runner on the CPU device: broadcasting ([3, 1] + [4] is [3, 4]), the flat kernel for
// contiguous inputs of the output's shape and the strided one otherwise (a transposed input, a
// broadcast one), scalars and chained nodes, the plan cache and its log, and reductions (sum, max,
// min, argmax, argmin, mean; over an axis and over everything; keepdim; lines split into parts
// and combined; strided inputs; empty and rank-0 tensors).
#include "tensor_test_kernels.h"

static const rt_src_loc here = {"r.fu", 4, 1};

static rt_tensor* run(const rt_tensor_group* g, rt_tensor* a, rt_tensor* b, int64_t axis) {
  const rt_tensor* ins[] = {a, b};
  return (rt_tensor*)rt_tensor_run(g, ins, NULL, axis, &here);
}

static void check_broadcast(void) {
  rt_tensor* col = tk_f64(2, (int64_t[]){3, 1}, (double[]){10, 20, 30});
  rt_tensor* row = tk_f64(1, (int64_t[]){4}, (double[]){1, 2, 3, 4});
  int64_t strided = tk_strided_threads;
  rt_tensor* out = run(&tk_add, col, row, 0);
  CHECK(tk_shape_is(out, 2, (int64_t[]){3, 4}), "[3, 1] + [4] is [3, 4]");
  CHECK(tk_strided_threads - strided == 12, "broadcast inputs run the strided kernel");
  double* h = tk_host(out);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      CHECK(h[i * 4 + j] == (i + 1) * 10 + j + 1, "out[%d][%d] = %g", i, j, h[i * 4 + j]);
  free(h);
  rt_tensor* out2 = run(&tk_add, row, col, 0);  // the other order: the same shape
  CHECK(tk_shape_is(out2, 2, (int64_t[]){3, 4}), "[4] + [3, 1] is [3, 4]");
  rt_tensor* tensors[] = {col, row, out, out2};
  for (size_t i = 0; i < 4; i++) rt_tensor_release(tensors[i]);
}

static void check_flat_and_strided(void) {
  double v[6] = {1, 2, 3, 4, 5, 6};
  rt_tensor* a = tk_f64(2, (int64_t[]){2, 3}, v);
  rt_tensor* b = tk_f64(2, (int64_t[]){2, 3}, v);
  int64_t flat = tk_flat_threads, strided = tk_strided_threads;
  rt_tensor* sum = run(&tk_add, a, b, 0);
  CHECK(tk_flat_threads - flat == 6 && tk_strided_threads == strided, "contiguous, same shape: flat");
  double* h = tk_host(sum);
  CHECK(h[5] == 12, "flat sum");
  free(h);
  // a transposed input: [3, 2]^T is [2, 3] with strides (1, 2)
  rt_tensor* c = tk_f64(2, (int64_t[]){3, 2}, v);
  rt_tensor* ct = (rt_tensor*)rt_tensor_transpose(c, 0, 1, &here);
  flat = tk_flat_threads;
  rt_tensor* mixed = run(&tk_add, a, ct, 0);
  CHECK(tk_flat_threads == flat && tk_strided_threads - strided == 6, "a transposed input: strided");
  h = tk_host(mixed);
  double want[6] = {1 + 1, 2 + 3, 3 + 5, 4 + 2, 5 + 4, 6 + 6};
  for (int i = 0; i < 6; i++) CHECK(h[i] == want[i], "a + c^T [%d] = %g, want %g", i, h[i], want[i]);
  free(h);
  // a scalar and two nodes: 2 * a + c^T
  double two = 2;
  uint64_t slot = 0;
  memcpy(&slot, &two, sizeof two);
  const rt_tensor* ins[] = {a, ct};
  rt_tensor* axpy = (rt_tensor*)rt_tensor_run(&tk_axpy, ins, &slot, 0, &here);
  h = tk_host(axpy);
  for (int i = 0; i < 6; i++) CHECK(h[i] == v[i] + want[i], "2a + c^T [%d] = %g", i, h[i]);
  free(h);
  // rank 0 with rank 0: flat, one element
  rt_tensor* s1 = tk_f64(0, NULL, (double[]){1.5});
  rt_tensor* s2 = tk_f64(0, NULL, (double[]){2});
  rt_tensor* s = run(&tk_add, s1, s2, 0);
  uint64_t bits = rt_tensor_item(s, &here);
  double sv;
  memcpy(&sv, &bits, sizeof sv);
  CHECK(s->rank == 0 && sv == 3.5, "rank 0 + rank 0 = %g", sv);
  // rank 0 broadcast over a matrix: strided
  rt_tensor* sa = run(&tk_add, s1, a, 0);
  h = tk_host(sa);
  CHECK(tk_shape_is(sa, 2, (int64_t[]){2, 3}) && h[0] == 2.5 && h[5] == 7.5, "scalar tensor + matrix");
  free(h);
  rt_tensor* tensors[] = {a, b, sum, c, ct, mixed, axpy, s1, s2, s, sa};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

static void check_empty(void) {
  rt_tensor* e = tk_f64(2, (int64_t[]){0, 3}, NULL);
  rt_tensor* r = tk_f64(1, (int64_t[]){3}, (double[]){1, 2, 3});
  int64_t before = tk_flat_threads + tk_strided_threads;
  rt_tensor* out = run(&tk_add, e, r, 0);
  CHECK(tk_shape_is(out, 2, (int64_t[]){0, 3}) && out->numel == 0, "[0, 3] + [3] is [0, 3]");
  CHECK(tk_flat_threads + tk_strided_threads == before, "no launch for an empty result");
  rt_tensor* sum = run(&tk_sum, e, NULL, 0);
  double* h = tk_host(sum);
  CHECK(tk_shape_is(sum, 1, (int64_t[]){3}) && h[0] == 0 && h[2] == 0, "sum over an empty axis is 0");
  free(h);
  rt_tensor* sum1 = run(&tk_sum, e, NULL, 1);
  CHECK(tk_shape_is(sum1, 1, (int64_t[]){0}), "sum of no lines is empty");
  rt_tensor* tensors[] = {e, r, out, sum, sum1};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

// The value at i of the reduction test data: small integers with ties, so that every sum is exact.
static double value(int64_t i) { return (double)((i * 7) % 13) - 6; }

typedef struct reduced {
  double sum, max, min;
  int64_t argmax, argmin;
} reduced;

static reduced reduce_host(const double* v, int64_t start, int64_t len, int64_t step) {
  reduced r = {0, -INFINITY, INFINITY, -1, -1};
  for (int64_t k = 0; k < len; k++) {
    double x = v[start + k * step];
    r.sum += x;
    if (x > r.max) r.max = x, r.argmax = k;
    if (x < r.min) r.min = x, r.argmin = k;
  }
  return r;
}

static void check_reduce_axis(int64_t rows, int64_t cols, bool transposed) {
  int64_t n = rows * cols;
  double* v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = value(i);
  // the data is [rows, cols]; transposed, the tensor reduced is its [cols, rows] transpose
  rt_tensor* base = tk_f64(2, (int64_t[]){rows, cols}, v);
  rt_tensor* t = transposed ? (rt_tensor*)rt_tensor_transpose(base, 0, 1, &here) : base;
  int64_t t_rows = transposed ? cols : rows, t_cols = transposed ? rows : cols;
  int64_t launches = tk_partial_launches;
  rt_tensor* sum = run(&tk_sum, t, NULL, 1);
  rt_tensor* max = run(&tk_max, t, NULL, -1);
  rt_tensor* argmax = run(&tk_argmax, t, NULL, 1);
  rt_tensor* argmin = run(&tk_argmin, t, NULL, 1);
  rt_tensor* min0 = run(&tk_min, t, NULL, 0);
  rt_tensor* mean_keep = run(&tk_mean_keep, t, NULL, 1);
  CHECK(tk_partial_launches - launches == 6, "one partial launch each");
  CHECK(tk_shape_is(sum, 1, &t_rows) && tk_shape_is(min0, 1, &t_cols), "reduced shapes");
  CHECK(tk_shape_is(mean_keep, 2, (int64_t[]){t_rows, 1}), "keepdim keeps the axis with size 1");
  CHECK(argmax->dtype == RT_DTYPE_I64, "argmax is i64");
  double *hs = tk_host(sum), *hm = tk_host(max), *hmin = tk_host(min0), *hmean = tk_host(mean_keep);
  int64_t *ha = tk_host(argmax), *hai = tk_host(argmin);
  for (int64_t r = 0; r < t_rows; r++) {
    // row r of t: element k at v[r * cols + k] (plain) or v[k * cols + r] (transposed)
    reduced w = transposed ? reduce_host(v, r, t_cols, cols) : reduce_host(v, r * cols, t_cols, 1);
    CHECK(hs[r] == w.sum, "sum[%lld] = %g, want %g", (long long)r, hs[r], w.sum);
    CHECK(hm[r] == w.max, "max[%lld] = %g, want %g", (long long)r, hm[r], w.max);
    CHECK(ha[r] == w.argmax, "argmax[%lld] = %lld, want %lld", (long long)r, (long long)ha[r], (long long)w.argmax);
    CHECK(hai[r] == w.argmin, "argmin[%lld] = %lld, want %lld", (long long)r, (long long)hai[r], (long long)w.argmin);
    CHECK(fabs(hmean[r] - w.sum / (double)t_cols) < 1e-12, "mean[%lld] = %g", (long long)r, hmean[r]);
  }
  for (int64_t c = 0; c < t_cols; c++) {
    reduced w = transposed ? reduce_host(v, c * cols, t_rows, 1) : reduce_host(v, c, t_rows, cols);
    CHECK(hmin[c] == w.min, "min over axis 0 [%lld] = %g, want %g", (long long)c, hmin[c], w.min);
  }
  free(hs), free(hm), free(hmin), free(hmean), free(ha), free(hai), free(v);
  rt_tensor* tensors[] = {sum, max, argmax, argmin, min0, mean_keep};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
  if (transposed) rt_tensor_release(t);
  rt_tensor_release(base);
}

static void check_reduce_all(int64_t n) {
  double* v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = value(i);
  rt_tensor* t = tk_f64(2, (int64_t[]){n / 4, 4}, v);
  int64_t threads = tk_partial_threads;
  rt_tensor* sum = run(&tk_sum, t, NULL, RT_TENSOR_ALL_AXES);
  int64_t used = tk_partial_threads - threads;
  CHECK(n < 128 ? used == 1 : used > 1 && used <= n / 64, "%lld elements: %lld parts", (long long)n, (long long)used);
  rt_tensor* argmax = run(&tk_argmax, t, NULL, RT_TENSOR_ALL_AXES);
  rt_tensor* mean = run(&tk_mean_keep, t, NULL, RT_TENSOR_ALL_AXES);
  reduced w = reduce_host(v, 0, n, 1);
  CHECK(sum->rank == 0 && argmax->rank == 0, "reducing everything gives rank 0");
  CHECK(tk_shape_is(mean, 2, (int64_t[]){1, 1}), "keepdim over everything: every axis size 1");
  uint64_t bits = rt_tensor_item(sum, &here);
  double s;
  memcpy(&s, &bits, sizeof s);
  CHECK(s == w.sum, "sum of %lld = %g, want %g", (long long)n, s, w.sum);
  CHECK((int64_t)rt_tensor_item(argmax, &here) == w.argmax, "argmax of all = %lld, want %lld",
        (long long)rt_tensor_item(argmax, &here), (long long)w.argmax);
  bits = rt_tensor_item(mean, &here);
  memcpy(&s, &bits, sizeof s);
  CHECK(fabs(s - w.sum / (double)n) < 1e-12, "mean of all = %g", s);
  free(v);
  rt_tensor* tensors[] = {t, sum, argmax, mean};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

static void check_reduce_rank0(void) {
  rt_tensor* s = tk_f64(0, NULL, (double[]){4.5});
  rt_tensor* m = run(&tk_max, s, NULL, RT_TENSOR_ALL_AXES);
  uint64_t bits = rt_tensor_item(m, &here);
  double x;
  memcpy(&x, &bits, sizeof x);
  CHECK(m->rank == 0 && x == 4.5, "max of a rank-0 tensor");
  rt_tensor_release(s);
  rt_tensor_release(m);
}

// The cache's log: the first run of a group on some shapes misses, the next hits; a transposed
// input is another plan (strided).
static void cache_log_child(void) {
  setenv("FUSION_CACHE_LOG", "1", 1);
  rt_tensor* a = tk_f64(2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 4});
  rt_tensor* at = (rt_tensor*)rt_tensor_transpose(a, 0, 1, &here);
  rt_tensor_release(run(&tk_add, a, a, 0));
  rt_tensor_release(run(&tk_add, a, a, 0));
  rt_tensor_release(run(&tk_add, a, at, 0));
  rt_tensor_release(run(&tk_sum, a, NULL, RT_TENSOR_ALL_AXES));
  rt_tensor_release(run(&tk_sum, a, NULL, RT_TENSOR_ALL_AXES));
  rt_tensor_release(run(&tk_sum, a, NULL, 0));
}

static void check_cache_log(void) {
  char out[4096];
  int status = run_child(cache_log_child, out, sizeof out);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
  const char* want =
      "fusion cache: tensor f.fu:3:9 miss (flat) [2, 2]\n"
      "fusion cache: tensor f.fu:3:9 hit (flat) [2, 2]\n"
      "fusion cache: tensor f.fu:3:9 miss (strided) [2, 2]\n"
      "fusion cache: tensor sum miss (flat) [2, 2]\n"
      "fusion cache: tensor sum hit (flat) [2, 2]\n"
      "fusion cache: tensor sum miss (flat) [2, 2]\n";
  CHECK(strcmp(out, want) == 0, "log:\n%s\nwant:\n%s", out, want);
}

// More plans than the cache holds: the oldest are evicted and their descriptors freed (the
// sanitizer build finds a leak or a double free), and results stay right.
static void check_eviction(void) {
  rt_tensor* big = (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 1, (int64_t[]){400}, 0, &here);
  for (int64_t len = 1; len <= 300; len++) {
    rt_tensor* s = (rt_tensor*)rt_tensor_slice(big, 0, 0, len, &here);
    rt_tensor* st = (rt_tensor*)rt_tensor_reshape(s, 2, (int64_t[]){len, 1}, &here);
    rt_tensor* tt = (rt_tensor*)rt_tensor_transpose(st, 0, 1, &here);  // [1, len], strides (1, 1)
    rt_tensor* o = run(&tk_add, tt, s, 0);
    CHECK(tk_shape_is(o, 2, (int64_t[]){1, len}), "shape");
    rt_tensor_release(o), rt_tensor_release(tt), rt_tensor_release(st), rt_tensor_release(s);
  }
  rt_tensor_release(big);
}

int main(void) {
  tk_setup();
  check_broadcast();
  check_flat_and_strided();
  check_empty();
  check_reduce_axis(3, 5, false);
  check_reduce_axis(4, 10000, false);  // lines of 10000: split into parts, then combined
  check_reduce_axis(4, 10000, true);   // the same, strided
  check_reduce_axis(70000, 3, false);  // many lines: one part each
  check_reduce_all(100);
  check_reduce_all(40000);
  check_reduce_rank0();
  check_cache_log();
  check_eviction();
  CHECK(rt_tensor_live() == 0, "%lld tensors were never released", (long long)rt_tensor_live());
  return finish("tensor_run_test");
}
