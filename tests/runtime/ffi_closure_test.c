// Closures: C function pointers that call back into a handler, with user data; called from C,
// through the engine, from threads the runtime did not create; many at once; small integer
// returns; closure_fn0 and cls_many_mixed_float_double.
#include <pthread.h>

#include "ffi_test_util.h"

// foreach: sums the values seen into *(int64_t*)ud; asks to stop at a negative value.
static void visit(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {
  (void)sig;
  int32_t v;
  memcpy(&v, args[0], sizeof v);
  void* ud_arg;
  memcpy(&ud_arg, args[1], sizeof ud_arg);
  *(int64_t*)ud += v;
  int32_t stop = v < 0 || ud_arg != ud;
  memcpy(ret, &stop, sizeof stop);
}

static void check_user_data(void) {
  const rt_ffi_sig* cb_sig = SIG(T(I32), T(I32), T(POINTER));
  int64_t total = 0;
  rt_ffi_closure* cl = rt_ffi_closure_new(cb_sig, visit, &total);
  CHECK(cl != NULL, "%s", rt_ffi_last_error());
  if (!cl) return;
  void* fn = rt_ffi_closure_fn(cl);
  const int32_t values[] = {5, 10, 20, -1, 1000};
  size_t visited = ffi_t_foreach(values, 5, (int32_t(*)(int32_t, void*))fn, &total);
  CHECK(visited == 4 && total == 34, "foreach from C: %zu visited, total %lld", visited,
        (long long)total);
  // The same through the engine.
  total = 0;
  const int32_t* pv = values;
  size_t n = 5;
  void* ud = &total;
  CALL(SIG(T(USIZE), T(POINTER), T(USIZE), T(POINTER), T(POINTER)), sym("ffi_t_foreach"), &visited,
       &pv, &n, &fn, &ud);
  CHECK(visited == 4 && total == 34, "foreach through the engine: %zu, %lld", visited,
        (long long)total);
  // And the closure itself called through the engine.
  int32_t v = 7, stop = -1;
  total = 0;
  CALL(cb_sig, fn, &stop, &v, &ud);
  CHECK(stop == 0 && total == 7, "closure through the engine");
  rt_ffi_closure_free(cl);
}

// Doubles its argument and adds *(int64_t*)ud; counts calls.
static int g_calls;
static void twice_plus(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {
  (void)sig;
  int64_t v;
  memcpy(&v, args[0], sizeof v);
  int64_t r = 2 * v + *(const int64_t*)ud;
  memcpy(ret, &r, sizeof r);
  __atomic_fetch_add(&g_calls, 1, __ATOMIC_RELAXED);
}

typedef int64_t (*i64_cb)(int64_t, void*);

static void* call_closure(void* fn) {
  int64_t sum = 0;
  for (int64_t i = 0; i < 1000; i++) sum += ((i64_cb)fn)(i, NULL);
  return (void*)(intptr_t)sum;
}

static void check_threads(void) {
  int64_t bias = 100;
  rt_ffi_closure* cl = rt_ffi_closure_new(SIG(T(I64), T(I64), T(POINTER)), twice_plus, &bias);
  CHECK(cl != NULL, "%s", rt_ffi_last_error());
  if (!cl) return;
  void* fn = rt_ffi_closure_fn(cl);
  // On a thread created by the C library.
  int64_t r = ffi_t_call_in_thread((i64_cb)fn, NULL, 21);
  CHECK(r == 142, "call_in_thread: %lld", (long long)r);
  // The same, the C library itself called through the engine.
  void* no_ud = NULL;
  int64_t v = -50;
  r = 0;
  CALL(SIG(T(I64), T(POINTER), T(POINTER), T(I64)), sym("ffi_t_call_in_thread"), &r, &fn, &no_ud,
       &v);
  CHECK(r == 0, "call_in_thread through the engine: %lld", (long long)r);
  // From several threads of our own at once.
  g_calls = 0;
  pthread_t threads[6];
  for (int t = 0; t < 6; t++) pthread_create(&threads[t], NULL, call_closure, fn);
  for (int t = 0; t < 6; t++) {
    void* sum = NULL;
    pthread_join(threads[t], &sum);
    CHECK((intptr_t)sum == 2 * 499500 + 100 * 1000, "thread %d sum %lld", t,
          (long long)(intptr_t)sum);
  }
  CHECK(g_calls == 6000, "%d calls", g_calls);
  rt_ffi_closure_free(cl);
}

// Any number of closures, each with its own user data.
static void check_many_closures(void) {
  enum { N = 2000 };
  static rt_ffi_closure* cls[N];
  static int64_t biases[N];
  const rt_ffi_sig* sig = SIG(T(I64), T(I64), T(POINTER));
  rt_ffi_stats before = rt_ffi_get_stats();
  for (int i = 0; i < N; i++) {
    biases[i] = i * 1000;
    cls[i] = rt_ffi_closure_new(sig, twice_plus, &biases[i]);
    CHECK(cls[i] != NULL, "closure %d: %s", i, rt_ffi_last_error());
  }
  CHECK(rt_ffi_get_stats().closures_live == before.closures_live + N, "closures_live");
  for (int i = 0; i < N; i++) {
    if (!cls[i]) continue;
    int64_t r = ((i64_cb)rt_ffi_closure_fn(cls[i]))(i, NULL);
    CHECK(r == 2 * i + i * 1000, "closure %d gave %lld", i, (long long)r);
  }
  for (int i = 0; i < N; i++) rt_ffi_closure_free(cls[i]);
  CHECK(rt_ffi_get_stats().closures_live == before.closures_live, "all freed");
}

// closure_fn0 / cls_many_mixed_float_double: 18 mixed arguments, beyond both register files.
static void many_handler(const rt_ffi_sig* sig, void* ret, void* const* a, void* ud) {
  (void)sig;
  (void)ud;
#define ARG(i, type) (*(const type*)a[i])
  double r = ffi_t_many_cb_direct(ARG(0, uint64_t), ARG(1, int32_t), ARG(2, uint8_t),
                                  ARG(3, double), ARG(4, float), ARG(5, int16_t), ARG(6, uint16_t),
                                  ARG(7, int8_t), ARG(8, float), ARG(9, double), ARG(10, int64_t),
                                  ARG(11, float), ARG(12, double), ARG(13, float), ARG(14, double),
                                  ARG(15, float), ARG(16, double), ARG(17, bool));
#undef ARG
  memcpy(ret, &r, sizeof r);
}

static void check_many_args(void) {
  const rt_ffi_sig* sig =
      SIG(T(F64), T(U64), T(I32), T(U8), T(F64), T(F32), T(I16), T(U16), T(I8), T(F32), T(F64),
          T(I64), T(F32), T(F64), T(F32), T(F64), T(F32), T(F64), T(BOOL));
  rt_ffi_closure* cl = rt_ffi_closure_new(sig, many_handler, NULL);
  CHECK(cl != NULL, "%s", rt_ffi_last_error());
  if (!cl) return;
  void* fn = rt_ffi_closure_fn(cl);
  for (int32_t k = -3; k <= 3; k++) {
    double got = ffi_t_call_many((ffi_t_many_cb)fn, k);
    double want = ffi_t_call_many(ffi_t_many_cb_direct, k);
    CHECK(same_f64(got, want), "call_many(%d): %.17g vs %.17g", k, got, want);
    got = 0;
    CALL(SIG(T(F64), T(POINTER), T(I32)), sym("ffi_t_call_many"), &got, &fn, &k);
    CHECK(same_f64(got, want), "call_many(%d) through the engine: %.17g vs %.17g", k, got, want);
  }
  // The 18-argument callee itself through the engine, against a direct call.
  uint64_t a = 12345678901ULL;
  int32_t b = -7;
  uint8_t c = 200;
  double d = 0.5, j = -2.5, m = 1e100, o = -0.0, q = 3.0;
  float e = 0.25f, i = -1.5f, l = 8.0f, n = 1e-20f, p = 0.1f;
  int16_t f = -32768;
  uint16_t g = 65535;
  int8_t h = -128;
  int64_t k = -9000000000LL;
  bool r = true;
  double got = 0;
  CALL(sig, sym("ffi_t_many_cb_direct"), &got, &a, &b, &c, &d, &e, &f, &g, &h, &i, &j, &k, &l, &m,
       &n, &o, &p, &q, &r);
  double want = ffi_t_many_cb_direct(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r);
  CHECK(same_f64(got, want), "many_cb_direct: %.17g vs %.17g", got, want);
  rt_ffi_closure_free(cl);
}

// Small integer returns from closures arrive extended.
static void ret_s8(const rt_ffi_sig* s, void* ret, void* const* a, void* ud) {
  (void)s, (void)a, (void)ud;
  *(int8_t*)ret = -3;
}
static void ret_u8(const rt_ffi_sig* s, void* ret, void* const* a, void* ud) {
  (void)s, (void)a, (void)ud;
  *(uint8_t*)ret = 250;
}
static void ret_s16(const rt_ffi_sig* s, void* ret, void* const* a, void* ud) {
  (void)s, (void)a, (void)ud;
  *(int16_t*)ret = -30000;
}
static void ret_u16(const rt_ffi_sig* s, void* ret, void* const* a, void* ud) {
  (void)s, (void)a, (void)ud;
  *(uint16_t*)ret = 65000;
}
static void ret_bool(const rt_ffi_sig* s, void* ret, void* const* a, void* ud) {
  (void)s, (void)a, (void)ud;
  *(bool*)ret = true;
}

static void check_small_returns(void) {
  rt_ffi_closure* c[5] = {
      rt_ffi_closure_new(SIG0(T(I8)), ret_s8, NULL),
      rt_ffi_closure_new(SIG0(T(U8)), ret_u8, NULL),
      rt_ffi_closure_new(SIG0(T(I16)), ret_s16, NULL),
      rt_ffi_closure_new(SIG0(T(U16)), ret_u16, NULL),
      rt_ffi_closure_new(SIG0(T(BOOL)), ret_bool, NULL),
  };
  for (int i = 0; i < 5; i++) CHECK(c[i] != NULL, "%s", rt_ffi_last_error());
  if (!c[0] || !c[1] || !c[2] || !c[3] || !c[4]) return;
  int32_t got = ffi_t_call_small_ret(
      (int8_t(*)(void))rt_ffi_closure_fn(c[0]), (uint8_t(*)(void))rt_ffi_closure_fn(c[1]),
      (int16_t(*)(void))rt_ffi_closure_fn(c[2]), (uint16_t(*)(void))rt_ffi_closure_fn(c[3]),
      (bool (*)(void))rt_ffi_closure_fn(c[4]));
  int32_t want = -3 + 3 * 250 + 5 * -30000 + 7 * 65000 + 11;
  CHECK(got == want, "small returns: %d vs %d", got, want);
  void* fns[5];
  for (int i = 0; i < 5; i++) fns[i] = rt_ffi_closure_fn(c[i]);
  got = 0;
  const rt_ffi_type* ptr = T(POINTER);
  CALL(SIG(T(I32), ptr, ptr, ptr, ptr, ptr), sym("ffi_t_call_small_ret"), &got, &fns[0], &fns[1],
       &fns[2], &fns[3], &fns[4]);
  CHECK(got == want, "small returns through the engine: %d vs %d", got, want);
  for (int i = 0; i < 5; i++) rt_ffi_closure_free(c[i]);
}

// qsort from libc with a closure as the comparator.
static void compare_i32(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {
  (void)sig;
  const int32_t *a, *b;
  memcpy(&a, args[0], sizeof a);
  memcpy(&b, args[1], sizeof b);
  int32_t r = (*a > *b) - (*a < *b);
  if (*(const bool*)ud) r = -r;
  memcpy(ret, &r, sizeof r);
}

static void check_qsort(void) {
  bool descending = true;
  rt_ffi_closure* cmp =
      rt_ffi_closure_new(SIG(T(I32), T(POINTER), T(POINTER)), compare_i32, &descending);
  CHECK(cmp != NULL, "%s", rt_ffi_last_error());
  if (!cmp) return;
  int32_t values[] = {5, -2, 99, 0, 7, 7, -100, 3};
  void* base = values;
  size_t n = 8, size = sizeof(int32_t);
  void* fn = rt_ffi_closure_fn(cmp);
  rt_dl_lib* libc = rt_dl_open("libc.so.6");
  CALL(SIG(T(VOID), T(POINTER), T(USIZE), T(USIZE), T(POINTER)), rt_dl_sym(libc, "qsort"), NULL,
       &base, &n, &size, &fn);
  const int32_t want[] = {99, 7, 7, 5, 3, 0, -2, -100};
  CHECK(memcmp(values, want, sizeof want) == 0, "qsort order: %d %d %d ...", values[0], values[1],
        values[2]);
  rt_dl_close(libc);
  rt_ffi_closure_free(cmp);
}

int main(void) {
  check_user_data();
  check_threads();
  check_many_closures();
  check_many_args();
  check_small_returns();
  check_qsort();
  close_cases();
  return finish("ffi_closure_test");
}
