// Structs by value and by pointer through rt_ffi_call and closures: every struct shape of the C
// test library (1 to 68 bytes; float, double, mixed, padded, nested, with arrays), many small
// structs, a large struct returned.
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

int main(void) {
  STRUCT_SHAPES(CALL_SHAPE_CHECK)
  check_many_small();
  check_stret_large();
  close_cases();
  return finish("ffi_struct_test");
}
