// Structs by value and by pointer through rt_ffi_call and closures: every struct shape of the C
// test library (1 to 68 bytes; float, double, mixed, padded, nested, with arrays), many small
// structs, a large struct returned, and INTEGER+SSE structs that land in r9.
#include <stdarg.h>

#include "ffi_shapes.h"

#define STRUCT_SHAPES(X)                                                                         \
  X(s1)                                                                                          \
  X(s2) X(s3) X(s4) X(s4f) X(s8) X(s8if) X(s8fi) X(s8ff) X(sbool) X(sarr8) X(s12) X(s12f) X(s16) \
      X(s16d) X(s16f) X(s16dl) X(s16ld) X(s16pad) X(s16arr) X(sptr) X(s17) X(s24) X(s32) X(s64)  \
          X(sbig) X(nest) X(nest2) X(nest3) X(nest4) X(tagged)
STRUCT_SHAPES(DEFINE_SHAPE_CHECK)

static void check_many_small(void) {
  const rt_ffi_type *s1 = build_s1(), *s2 = build_s2(), *s3 = build_s3(), *s4 = build_s4();
  const rt_ffi_type *f4 = build_s4f(), *ff = build_s8ff();
  const rt_ffi_sig* sig =
      SIG(T(F64), s1, s2, s3, s4, s1, s2, s3, s4, f4, ff, f4, ff, f4, ff, f4, ff, f4);
  CHECK(sig != NULL, "%s", rt_ffi_last_error());
  ffi_t_s1 a = ffi_t_make_s1(1), e = ffi_t_make_s1(5);
  ffi_t_s2 b = ffi_t_make_s2(2), f = ffi_t_make_s2(6);
  ffi_t_s3 c = ffi_t_make_s3(3), g = ffi_t_make_s3(7);
  ffi_t_s4 d = ffi_t_make_s4(4), h = ffi_t_make_s4(8);
  ffi_t_s4f i = ffi_t_make_s4f(9), k = ffi_t_make_s4f(11), m = ffi_t_make_s4f(13);
  ffi_t_s4f o = ffi_t_make_s4f(15), q = ffi_t_make_s4f(17);
  ffi_t_s8ff j = ffi_t_make_s8ff(10), l = ffi_t_make_s8ff(12), n = ffi_t_make_s8ff(14);
  ffi_t_s8ff p = ffi_t_make_s8ff(16);
  double got = 0;
  CALL(sig, sym("ffi_t_many_small"), &got, &a, &b, &c, &d, &e, &f, &g, &h, &i, &j, &k, &l, &m, &n,
       &o, &p, &q);
  double want = ffi_t_many_small(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q);
  CHECK(same_f64(got, want), "many_small %.17g vs %.17g", got, want);
}

static void check_stret_large(void) {
  const rt_ffi_sig* sig = SIG(build_s64(), T(I32), build_s32());
  ffi_t_s32 scale = ffi_t_make_s32(1);
  for (int32_t k = -2; k <= 2; k++) {
    ffi_t_s64 got;
    memset(&got, 0, sizeof got);
    CALL(sig, sym("ffi_t_stret_large"), &got, &k, &scale);
    ffi_t_s64 want = ffi_t_stret_large(k, scale);
    CHECK(memcmp(&got, &want, sizeof got) == 0, "stret_large(%d)", k);
  }
}

// An INTEGER+SSE struct whose first eightbyte lands in r9, the last integer register: libffi
// 3.4.4 copies the whole struct there and overwrites the saved xmm0 (the engine passes it as two
// scalars instead; split_index in ffi_sig.c). Each callee records every argument it received.
typedef struct { int64_t i; double x; } r9_id;
typedef struct { int64_t i; float x; } r9_if;
static struct { double d[8]; int64_t n[6]; r9_id s; r9_if t; } g_r9;

static double r9_after_float(double d, int64_t a, int64_t b, int64_t c, int64_t e, int64_t f,
                             r9_id s) {
  g_r9.d[0] = d, g_r9.n[0] = a, g_r9.n[1] = b, g_r9.n[2] = c, g_r9.n[3] = e, g_r9.n[4] = f;
  g_r9.s = s;
  return d;
}
static ffi_t_s32 r9_sret(double d, int64_t a, int64_t b, int64_t c, int64_t e, r9_id s) {
  g_r9.d[0] = d, g_r9.n[0] = a, g_r9.n[1] = b, g_r9.n[2] = c, g_r9.n[3] = e, g_r9.s = s;
  return ffi_t_make_s32((int)a);
}
static float r9_twelve(float d, int64_t a, int64_t b, int64_t c, int64_t e, int64_t f, r9_if t) {
  g_r9.d[0] = d, g_r9.n[0] = a, g_r9.n[1] = b, g_r9.n[2] = c, g_r9.n[3] = e, g_r9.n[4] = f;
  g_r9.t = t;
  return d;
}
static double r9_variadic(int64_t n, ...) {
  va_list ap;
  va_start(ap, n);
  g_r9.n[5] = n;
  g_r9.d[0] = va_arg(ap, double);
  for (int k = 0; k < 4; k++) g_r9.n[k] = va_arg(ap, int64_t);
  g_r9.s = va_arg(ap, r9_id);
  va_end(ap);
  return g_r9.d[0];
}
// Every xmm register taken before the struct: it goes by memory, and must not be split.
static double r9_no_sse_left(double d0, double d1, double d2, double d3, double d4, double d5,
                             double d6, double d7, int64_t a, int64_t b, int64_t c, int64_t e,
                             int64_t f, r9_id s) {
  double ds[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
  memcpy(g_r9.d, ds, sizeof ds);
  g_r9.n[0] = a, g_r9.n[1] = b, g_r9.n[2] = c, g_r9.n[3] = e, g_r9.n[4] = f, g_r9.s = s;
  return d0;
}

static void check_r9_struct(void) {
  const rt_ffi_type* id = ST(T(I64), T(F64));
  const rt_ffi_type* idf = ST(T(I64), T(F32));
  int64_t a = 11, b = 12, c = 13, e = 14, f = 15;
  r9_id s = {-7, 9.75};
  double d = 1.5, got = 0;

  memset(&g_r9, 0, sizeof g_r9);
  CALL(SIG(T(F64), T(F64), T(I64), T(I64), T(I64), T(I64), T(I64), id), (void*)r9_after_float,
       &got, &d, &a, &b, &c, &e, &f, &s);
  CHECK(got == 1.5 && g_r9.d[0] == 1.5, "after_float: d %g (returned %g)", g_r9.d[0], got);
  CHECK(g_r9.n[0] == 11 && g_r9.n[4] == 15 && g_r9.s.i == -7 && g_r9.s.x == 9.75,
        "after_float: a %lld f %lld s {%lld, %g}", (long long)g_r9.n[0], (long long)g_r9.n[4],
        (long long)g_r9.s.i, g_r9.s.x);

  memset(&g_r9, 0, sizeof g_r9);
  ffi_t_s32 big;
  memset(&big, 0, sizeof big);
  CALL(SIG(build_s32(), T(F64), T(I64), T(I64), T(I64), T(I64), id), (void*)r9_sret, &big, &d,
       &a, &b, &c, &e, &s);
  ffi_t_s32 want_big = ffi_t_make_s32(11);
  CHECK(memcmp(&big, &want_big, sizeof big) == 0, "sret: wrong struct returned");
  CHECK(g_r9.d[0] == 1.5 && g_r9.n[3] == 14 && g_r9.s.i == -7 && g_r9.s.x == 9.75,
        "sret: d %g e %lld s {%lld, %g}", g_r9.d[0], (long long)g_r9.n[3], (long long)g_r9.s.i,
        g_r9.s.x);

  memset(&g_r9, 0, sizeof g_r9);
  r9_if t = {1LL << 40, -2.25f};
  float fd = 3.5f, fgot = 0;
  CALL(SIG(T(F32), T(F32), T(I64), T(I64), T(I64), T(I64), T(I64), idf), (void*)r9_twelve, &fgot,
       &fd, &a, &b, &c, &e, &f, &t);
  CHECK(fgot == 3.5f && g_r9.d[0] == 3.5 && g_r9.t.i == 1LL << 40 && g_r9.t.x == -2.25f,
        "twelve bytes: d %g t {%lld, %g}", g_r9.d[0], (long long)g_r9.t.i, (double)g_r9.t.x);

  memset(&g_r9, 0, sizeof g_r9);
  int64_t n = 99;
  const rt_ffi_sig* var = rt_ffi_sig_variadic(
      T(F64), TYPES(T(I64), T(F64), T(I64), T(I64), T(I64), T(I64), id), 1, 7);
  CHECK(var != NULL, "%s", rt_ffi_last_error());
  CALL(var, (void*)r9_variadic, &got, &n, &d, &a, &b, &c, &e, &s);
  CHECK(g_r9.n[5] == 99 && g_r9.d[0] == 1.5 && g_r9.n[3] == 14 && g_r9.s.i == -7 &&
            g_r9.s.x == 9.75,
        "variadic: d %g s {%lld, %g}", g_r9.d[0], (long long)g_r9.s.i, g_r9.s.x);

  memset(&g_r9, 0, sizeof g_r9);
  double ds[8] = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5};
  CALL(SIG(T(F64), T(F64), T(F64), T(F64), T(F64), T(F64), T(F64), T(F64), T(F64), T(I64), T(I64),
           T(I64), T(I64), T(I64), id),
       (void*)r9_no_sse_left, &got, &ds[0], &ds[1], &ds[2], &ds[3], &ds[4], &ds[5], &ds[6], &ds[7],
       &a, &b, &c, &e, &f, &s);
  CHECK(memcmp(g_r9.d, ds, sizeof ds) == 0 && g_r9.n[4] == 15 && g_r9.s.i == -7 &&
            g_r9.s.x == 9.75,
        "no xmm left: d7 %g f %lld s {%lld, %g}", g_r9.d[7], (long long)g_r9.n[4],
        (long long)g_r9.s.i, g_r9.s.x);
}

int main(void) {
  STRUCT_SHAPES(CALL_SHAPE_CHECK)
  check_many_small();
  check_stret_large();
  check_r9_struct();
  close_cases();
  return finish("ffi_struct_test");
}
