// Tensor objects on the CPU device: creation (full, arange, rand, from host), element access,
// views (reshape with -1, transpose, slice with negative bounds) sharing memory, contiguous and
// clone, assignment into a view with broadcasting and between overlapping views, printing, and
// reference counts (every tensor freed at the end; a view keeps its base alive).
#include "tensor_test_kernels.h"

static const rt_src_loc here = {"t.fu", 2, 3};

static void check_full_and_items(void) {
  int64_t dims[] = {2, 3};
  double seven = 7.5;
  uint64_t bits;
  memcpy(&bits, &seven, sizeof bits);
  rt_tensor* t = (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 2, dims, bits, &here);
  CHECK(t->numel == 6 && rt_tensor_rank(t) == 2 && rt_tensor_dim(t, -1, &here) == 3, "shape");
  double* h = tk_host(t);
  for (int i = 0; i < 6; i++) CHECK(h[i] == 7.5, "full[%d] = %g", i, h[i]);
  free(h);
  int64_t idx[] = {1, -1};  // negative: from the end
  double v = 2.25;
  memcpy(&bits, &v, sizeof bits);
  rt_tensor_set(t, 2, idx, bits, &here);
  uint64_t got = rt_tensor_get(t, 2, (int64_t[]){1, 2}, &here);
  CHECK(got == bits, "set then get");
  rt_tensor_release(t);

  rt_tensor* b = (rt_tensor*)rt_tensor_full(RT_DTYPE_BOOL, 1, (int64_t[]){5}, 1, &here);
  uint8_t* hb = tk_host(b);
  CHECK(hb[0] == 1 && hb[4] == 1, "bool is one byte, 1");
  free(hb);
  rt_tensor_release(b);

  rt_tensor* s = (rt_tensor*)rt_tensor_full(RT_DTYPE_I32, 0, NULL, (uint64_t)(uint32_t)-4, &here);
  CHECK(s->rank == 0 && s->numel == 1, "rank 0 has one element");
  CHECK((int32_t)rt_tensor_item(s, &here) == -4, "item of an i32");
  CHECK(rt_tensor_item(s, &here) >> 32 == 0, "item's high bytes are 0");
  rt_tensor_release(s);
}

static void check_arange_rand(void) {
  rt_tensor* a = (rt_tensor*)rt_tensor_arange(RT_DTYPE_F64, 1, 2, 0.3, &here);  // 1, 1.3, 1.6, 1.9
  CHECK(a->numel == 4 && a->rank == 1, "arange count %lld", (long long)a->numel);
  double* h = tk_host(a);
  CHECK(h[3] == 1 + 3 * 0.3, "arange[3] = %g", h[3]);
  free(h);
  rt_tensor_release(a);
  rt_tensor* down = (rt_tensor*)rt_tensor_arange(RT_DTYPE_I64, 5, 0, -2, &here);  // 5, 3, 1
  int64_t* hd = tk_host(down);
  CHECK(down->numel == 3 && hd[0] == 5 && hd[2] == 1, "arange down");
  free(hd);
  rt_tensor_release(down);
  rt_tensor* none = (rt_tensor*)rt_tensor_arange(RT_DTYPE_F32, 3, 1, 1, &here);
  CHECK(none->numel == 0, "empty arange");
  rt_tensor_release(none);

  int64_t dims[] = {100};
  rt_tensor* r1 = (rt_tensor*)rt_tensor_rand(RT_DTYPE_F32, 42, 1, dims, &here);
  rt_tensor* r2 = (rt_tensor*)rt_tensor_rand(RT_DTYPE_F32, 42, 1, dims, &here);
  float *h1 = tk_host(r1), *h2 = tk_host(r2);
  bool same = true, in_range = true;
  for (int i = 0; i < 100; i++) {
    same &= h1[i] == h2[i];
    in_range &= h1[i] >= 0 && h1[i] < 1;
  }
  CHECK(same && in_range, "rand: same seed, same numbers, in [0, 1)");
  free(h1), free(h2);
  rt_tensor_release(r1), rt_tensor_release(r2);
}

// [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
static rt_tensor* iota_3x4(void) {
  double v[12];
  for (int i = 0; i < 12; i++) v[i] = i;
  return tk_f64(2, (int64_t[]){3, 4}, v);
}

static void check_views(void) {
  rt_tensor* t = iota_3x4();
  rt_tensor* r = (rt_tensor*)rt_tensor_reshape(t, 3, (int64_t[]){2, -1, 3}, &here);
  CHECK(tk_shape_is(r, 3, (int64_t[]){2, 2, 3}) && r->data == t->data && r->base == t, "reshape of contiguous is a view");
  rt_tensor* tr = (rt_tensor*)rt_tensor_transpose(t, 0, -1, &here);
  CHECK(tk_shape_is(tr, 2, (int64_t[]){4, 3}) && tr->strides[0] == 1 && tr->strides[1] == 4, "transpose");
  double* h = tk_host(tr);
  CHECK(h[0] == 0 && h[1] == 4 && h[2] == 8 && h[3] == 1, "transposed values %g %g %g %g", h[0], h[1], h[2], h[3]);
  free(h);
  // reshape of a non-contiguous tensor copies
  rt_tensor* flat = (rt_tensor*)rt_tensor_reshape(tr, 1, (int64_t[]){-1}, &here);
  CHECK(flat->numel == 12 && flat->data != t->data, "reshape of a transpose copies");
  h = tk_host(flat);
  CHECK(h[1] == 4 && h[11] == 11, "copied values");
  free(h);
  // slice with negative bounds and clamping: columns -3..100 → 1..4
  rt_tensor* s = (rt_tensor*)rt_tensor_slice(t, 1, -3, 100, &here);
  CHECK(tk_shape_is(s, 2, (int64_t[]){3, 3}), "slice shape");
  h = tk_host(s);
  CHECK(h[0] == 1 && h[2] == 3 && h[3] == 5 && h[8] == 11, "slice values");
  free(h);
  rt_tensor* e = (rt_tensor*)rt_tensor_slice(t, 0, 2, 1, &here);
  CHECK(e->numel == 0 && e->shape[0] == 0, "stop before start: empty");
  rt_tensor* c1 = (rt_tensor*)rt_tensor_contiguous(t, &here);
  CHECK(c1 == t && t->ref.refs >= 2, "contiguous of contiguous is the same tensor");
  rt_tensor* c2 = (rt_tensor*)rt_tensor_contiguous(s, &here);
  CHECK(c2 != s && c2->strides[0] == 3 && c2->strides[1] == 1, "contiguous of a slice copies");
  rt_tensor* cl = (rt_tensor*)rt_tensor_clone(t, &here);
  CHECK(cl != t && cl->data != t->data, "clone copies");
  rt_tensor* tensors[] = {r, tr, flat, s, e, c1, c2, cl, t};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

static void check_assign(void) {
  rt_tensor* t = iota_3x4();
  // a column of the slice gets a broadcast row vector: t[:, 1:3] = [[100, 200]]
  rt_tensor* s = (rt_tensor*)rt_tensor_slice(t, 1, 1, 3, &here);
  rt_tensor* src = tk_f64(2, (int64_t[]){1, 2}, (double[]){100, 200});
  rt_tensor_assign(s, src, &here);
  double* h = tk_host(t);
  double want[12] = {0, 100, 200, 3, 4, 100, 200, 7, 8, 100, 200, 11};
  for (int i = 0; i < 12; i++) CHECK(h[i] == want[i], "assign[%d] = %g, want %g", i, h[i], want[i]);
  free(h);
  // overlapping: t[:, 1:] = t[:, :3] must read every source element before writing
  rt_tensor* dst = (rt_tensor*)rt_tensor_slice(t, 1, 1, 4, &here);
  rt_tensor* from = (rt_tensor*)rt_tensor_slice(t, 1, 0, 3, &here);
  rt_tensor_assign(dst, from, &here);
  h = tk_host(t);
  double want2[12] = {0, 0, 100, 200, 4, 4, 100, 200, 8, 8, 100, 200};
  for (int i = 0; i < 12; i++) CHECK(h[i] == want2[i], "overlapping assign[%d] = %g, want %g", i, h[i], want2[i]);
  free(h);
  // a transpose into itself: t2 = t2^T (square)
  rt_tensor* sq = tk_f64(2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 4});
  rt_tensor* sqt = (rt_tensor*)rt_tensor_transpose(sq, 0, 1, &here);
  rt_tensor_assign(sq, sqt, &here);
  h = tk_host(sq);
  CHECK(h[0] == 1 && h[1] == 3 && h[2] == 2 && h[3] == 4, "in-place transpose %g %g %g %g", h[0], h[1], h[2], h[3]);
  free(h);
  rt_tensor* tensors[] = {t, s, src, dst, from, sq, sqt};
  for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++) rt_tensor_release(tensors[i]);
}

static void print_it(const void* t) { rt_tensor_print(1, t); }

static void check_print_one(const rt_tensor* t, const char* want) {
  char out[8192];
  tk_capture_stdout(print_it, t, out, sizeof out);
  CHECK(strcmp(out, want) == 0, "print: got `%s`, want `%s`", out, want);
}

static void check_print(void) {
  rt_tensor* s = tk_f64(0, NULL, (double[]){2.5});
  check_print_one(s, "2.5");
  rt_tensor* v = tk_f64(1, (int64_t[]){3}, (double[]){1, 2, 3});
  check_print_one(v, "[1.0, 2.0, 3.0]");
  rt_tensor* m = tk_f64(2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 4});
  check_print_one(m, "[[1.0, 2.0], [3.0, 4.0]]");
  rt_tensor* mt = (rt_tensor*)rt_tensor_transpose(m, 0, 1, &here);
  check_print_one(mt, "[[1.0, 3.0], [2.0, 4.0]]");
  rt_tensor* f = (rt_tensor*)rt_tensor_from_host(RT_DTYPE_F32, (float[]){0.1f, -1e20f}, 1, (int64_t[]){2}, &here);
  check_print_one(f, "[0.1, -1e+20]");
  rt_tensor* i = (rt_tensor*)rt_tensor_from_host(RT_DTYPE_I64, (int64_t[]){-3, 40}, 1, (int64_t[]){2}, &here);
  check_print_one(i, "[-3, 40]");
  rt_tensor* b = (rt_tensor*)rt_tensor_from_host(RT_DTYPE_BOOL, (uint8_t[]){1, 0}, 1, (int64_t[]){2}, &here);
  check_print_one(b, "[true, false]");
  rt_tensor* empty = (rt_tensor*)rt_tensor_full(RT_DTYPE_F64, 2, (int64_t[]){2, 0}, 0, &here);
  check_print_one(empty, "[[], []]");
  rt_tensor* big = (rt_tensor*)rt_tensor_arange(RT_DTYPE_I32, 0, 1001, 1, &here);
  check_print_one(big, "[0, 1, 2, ..., 998, 999, 1000]");
  rt_tensor* big2 = (rt_tensor*)rt_tensor_reshape(
      (rt_tensor*)rt_tensor_arange(RT_DTYPE_I32, 0, 1100, 1, &here), 2, (int64_t[]){100, 11}, &here);
  rt_tensor_release(big2->base);  // the arange: the view holds it
  check_print_one(big2,
                  "[[0, 1, 2, ..., 8, 9, 10], [11, 12, 13, ..., 19, 20, 21], [22, 23, 24, ..., 30, 31, 32], ..., "
                  "[1067, 1068, 1069, ..., 1075, 1076, 1077], [1078, 1079, 1080, ..., 1086, 1087, 1088], "
                  "[1089, 1090, 1091, ..., 1097, 1098, 1099]]");
  rt_tensor* tensors[] = {s, v, m, mt, f, i, b, empty, big, big2};
  for (size_t k = 0; k < sizeof tensors / sizeof *tensors; k++) rt_tensor_release(tensors[k]);
}

static void check_refcounts(void) {
  int64_t live = rt_tensor_live();
  rt_tensor* t = iota_3x4();
  rt_tensor* v = (rt_tensor*)rt_tensor_slice(t, 0, 1, 2, &here);
  rt_tensor* vv = (rt_tensor*)rt_tensor_transpose(v, 0, 1, &here);
  CHECK(vv->base == t, "a view of a view holds the tensor that owns the memory");
  rt_tensor_release(t);  // the views keep it alive
  CHECK(rt_tensor_live() == live + 3, "live %lld", (long long)rt_tensor_live());
  double* h = tk_host(vv);
  CHECK(h[0] == 4 && h[3] == 7, "a view reads its base after the base's owner let go");
  free(h);
  rt_tensor_retain(vv);
  rt_tensor_release(vv);
  rt_tensor_release(v);
  rt_tensor_release(vv);
  rt_tensor_retain(NULL);
  rt_tensor_release(NULL);
  CHECK(rt_tensor_live() == live, "every tensor freed: live %lld, was %lld", (long long)rt_tensor_live(), (long long)live);
}

int main(void) {
  tk_setup();
  check_full_and_items();
  check_arange_rand();
  check_views();
  check_assign();
  check_print();
  check_refcounts();
  CHECK(rt_tensor_live() == 0, "%lld tensors were never released", (long long)rt_tensor_live());
  return finish("tensor_test");
}
