// Variadic calls: float_va, va_1, C's default argument promotions, structs among the variadic
// arguments, one signature per combination of variadic types.
#include "ffi_shapes.h"

static void check_float_va(void) {
  void* fn = sym("ffi_t_va_sum_d");
  // Doubles, then floats (promoted to double by the engine), then a mix.
  const rt_ffi_type* d = T(F64);
  const rt_ffi_type* f = T(F32);
  int32_t n = 3;
  double a = 1.5, b = -2.25, c = 1e300, got = 0;
  const rt_ffi_sig* sig = rt_ffi_sig_variadic(T(F64), TYPES(T(I32), d, d, d), 1, 4);
  CHECK(sig != NULL, "%s", rt_ffi_last_error());
  CALL(sig, fn, &got, &n, &a, &b, &c);
  CHECK(same_f64(got, ffi_t_va_sum_d(3, a, b, c)), "va_sum_d doubles: %g", got);
  float fa = 0.1f, fb = -3.5f, fc = 16777217.0f;
  sig = rt_ffi_sig_variadic(T(F64), TYPES(T(I32), f, f, f), 1, 4);
  CALL(sig, fn, &got, &n, &fa, &fb, &fc);
  CHECK(same_f64(got, ffi_t_va_sum_d(3, fa, fb, fc)), "va_sum_d floats: %.17g", got);
  n = 12;  // more than the 8 xmm registers
  float fs[12];
  for (int i = 0; i < 12; i++) fs[i] = (float)i * 0.5f - 1.0f;
  sig = rt_ffi_sig_variadic(T(F64), TYPES(T(I32), f, d, f, d, f, d, f, d, f, d, f, d), 1, 13);
  double ds[12];
  for (int i = 0; i < 12; i++) ds[i] = fs[i];
  CALL(sig, fn, &got, &n, &fs[0], &ds[1], &fs[2], &ds[3], &fs[4], &ds[5], &fs[6], &ds[7], &fs[8],
       &ds[9], &fs[10], &ds[11]);
  double want = ffi_t_va_sum_d(12, fs[0], ds[1], fs[2], ds[3], fs[4], ds[5], fs[6], ds[7], fs[8],
                               ds[9], fs[10], ds[11]);
  CHECK(same_f64(got, want), "va_sum_d 12 mixed: %.17g vs %.17g", got, want);
  // No variadic arguments at all.
  n = 0;
  CALL(rt_ffi_sig_variadic(T(F64), TYPES(T(I32)), 1, 1), fn, &got, &n);
  CHECK(got == 0.0, "va_sum_d() = %g", got);
}

static void check_int_promotions(void) {
  void* fn = sym("ffi_t_va_sum_i");
  int32_t n = 7;
  int8_t a = -5;
  uint8_t b = 250;
  int16_t c = -30000;
  uint16_t d = 65000;
  bool e = true;
  int32_t f = -2000000000;
  uint32_t g = 7;
  const rt_ffi_sig* sig = rt_ffi_sig_variadic(
      T(I64), TYPES(T(I32), T(I8), T(U8), T(I16), T(U16), T(BOOL), T(I32), T(U32)), 1, 8);
  CHECK(sig != NULL, "%s", rt_ffi_last_error());
  int64_t got = 0;
  CALL(sig, fn, &got, &n, &a, &b, &c, &d, &e, &f, &g);
  int64_t want = ffi_t_va_sum_i(7, a, b, c, d, e, f, g);
  CHECK(got == want, "va_sum_i: %lld vs %lld", (long long)got, (long long)want);
}

static void check_va_1(void) {
  void* fn = sym("ffi_t_va_mixed");
  const rt_ffi_type* s16pad = build_s16pad();
  const rt_ffi_type* s24 = build_s24();
  const char* kinds = "isdbulpsid";
  int32_t i1 = -3, i2 = 99;
  ffi_t_s16pad sa = ffi_t_make_s16pad(4), sb = ffi_t_make_s16pad(-7);
  double d1 = 0.5, d2 = -1e-3;
  ffi_t_s24 big = ffi_t_make_s24(6);
  uint32_t u = 4000000000u;
  int64_t l = -123456789012LL, target = 77;
  const int64_t* p = &target;
  const rt_ffi_sig* sig = rt_ffi_sig_variadic(T(F64),
                                              TYPES(T(CSTRING), T(I32), s16pad, T(F64), s24, T(U32),
                                                    T(I64), T(POINTER), s16pad, T(I32), T(F64)),
                                              1, 11);
  CHECK(sig != NULL, "%s", rt_ffi_last_error());
  double got = 0;
  CALL(sig, fn, &got, &kinds, &i1, &sa, &d1, &big, &u, &l, &p, &sb, &i2, &d2);
  double want = ffi_t_va_mixed(kinds, i1, sa, d1, big, u, l, p, sb, i2, d2);
  CHECK(same_f64(got, want), "va_mixed: %.17g vs %.17g", got, want);
}

static void check_signatures(void) {
  const rt_ffi_sig* a = rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING), T(I32)), 1, 2);
  const rt_ffi_sig* b = rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING), T(F64)), 1, 2);
  const rt_ffi_sig* c = rt_ffi_sig_new(T(I32), TYPES(T(CSTRING), T(I32)), 2);
  const rt_ffi_sig* d = rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING), T(I32)), 2, 2);
  CHECK(a && b && c && d, "%s", rt_ffi_last_error());
  CHECK(a != b && a != c && a != d && c != d, "variadic signatures are told apart");
  CHECK(a == rt_ffi_sig_variadic(T(I32), TYPES(T(CSTRING), T(I32)), 1, 2), "and cached");
  CHECK(rt_ffi_sig_is_variadic(a) && !rt_ffi_sig_is_variadic(c), "is_variadic");
  CHECK(rt_ffi_sig_nfixed(a) == 1 && rt_ffi_sig_nargs(a) == 2 && rt_ffi_sig_nfixed(c) == 2,
        "counts");
  CHECK(rt_ffi_sig_arg(b, 1) == T(F64) && rt_ffi_sig_arg(b, 2) == NULL, "arg types");
  CHECK(rt_ffi_sig_ret(b) == T(I32), "ret type");
}

int main(void) {
  check_float_va();
  check_int_promotions();
  check_va_1();
  check_signatures();
  close_cases();
  return finish("ffi_varargs_test");
}
