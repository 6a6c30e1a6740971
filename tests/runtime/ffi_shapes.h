// The rt_ffi descriptors of the C test library's struct and union shapes (ffi_cases.h), with the
// layout a C compiler gives them and the SysV classification the ABI prescribes.
#ifndef FUSION_TESTS_FFI_SHAPES_H
#define FUSION_TESTS_FFI_SHAPES_H

#include "ffi_test_util.h"

// --- The shapes of ffi_cases.h -------------------------------------------------------------------

typedef struct shape_info {
  const char* name;
  const rt_ffi_type* (*build)(void);
  size_t size, align;      // as the C compiler lays out ffi_t_<name>
  int nclasses;            // expected SysV classification (0: memory)
  rt_ffi_class classes[2];
  size_t noffsets;         // offsetof each top-level member
  size_t offsets[8];
} shape_info;

#define I_ RT_FFI_CLASS_INTEGER
#define F_ RT_FFI_CLASS_SSE
#define OFFS(...) (sizeof((size_t[]){__VA_ARGS__}) / sizeof(size_t)), {__VA_ARGS__}

static inline const rt_ffi_type* build_s1(void) { return ST(T(U8)); }
static inline const rt_ffi_type* build_s2(void) { return ST(T(I8), T(U8)); }
static inline const rt_ffi_type* build_s3(void) { return ST(T(U8), T(U8), T(U8)); }
static inline const rt_ffi_type* build_s4(void) { return ST(T(I16), T(I16)); }
static inline const rt_ffi_type* build_s4f(void) { return ST(T(F32)); }
static inline const rt_ffi_type* build_s8(void) { return ST(T(I32), T(I32)); }
static inline const rt_ffi_type* build_s8if(void) { return ST(T(I32), T(F32)); }
static inline const rt_ffi_type* build_s8fi(void) { return ST(T(F32), T(I32)); }
static inline const rt_ffi_type* build_s8ff(void) { return ST(T(F32), T(F32)); }
static inline const rt_ffi_type* build_sbool(void) { return ST(T(BOOL), T(BOOL), T(I16)); }
static inline const rt_ffi_type* build_sarr8(void) { return ST(AR(T(U8), 5), T(U16)); }
static inline const rt_ffi_type* build_s12(void) { return ST(T(I32), T(I32), T(I32)); }
static inline const rt_ffi_type* build_s12f(void) { return ST(T(F32), T(F32), T(F32)); }
static inline const rt_ffi_type* build_s16(void) { return ST(T(I64), T(I64)); }
static inline const rt_ffi_type* build_s16d(void) { return ST(T(F64), T(F64)); }
static inline const rt_ffi_type* build_s16f(void) { return ST(T(F32), T(F32), T(F32), T(F32)); }
static inline const rt_ffi_type* build_s16dl(void) { return ST(T(F64), T(I64)); }
static inline const rt_ffi_type* build_s16ld(void) { return ST(T(I64), T(F64)); }
static inline const rt_ffi_type* build_s16pad(void) { return ST(T(I8), T(F64)); }
static inline const rt_ffi_type* build_s16arr(void) { return ST(AR(T(F32), 3), T(I32)); }
static inline const rt_ffi_type* build_sptr(void) { return ST(T(CSTRING), T(POINTER)); }
static inline const rt_ffi_type* build_s17(void) { return ST(AR(T(I8), 17)); }
static inline const rt_ffi_type* build_s24(void) { return ST(T(U8), T(F64), T(U32)); }
static inline const rt_ffi_type* build_s32(void) { return ST(T(F64), T(F64), T(F64), T(F64)); }
static inline const rt_ffi_type* build_s64(void) { return ST(AR(T(I64), 8)); }
static inline const rt_ffi_type* build_sbig(void) { return ST(AR(T(F32), 17)); }
static inline const rt_ffi_type* build_nest(void) { return ST(ST(T(F32), T(F32)), T(I32)); }
static inline const rt_ffi_type* build_nest2(void) { return ST(T(U8), ST(T(U8), T(F32))); }
static inline const rt_ffi_type* build_nest3(void) {
  return ST(ST(T(F64)), ST(ST(T(F32)), T(I32)));
}
static inline const rt_ffi_type* build_nest4(void) { return ST(AR(build_s12(), 2), T(I32)); }
static inline const rt_ffi_type* build_u8(void) { return UN(T(I64), T(F64)); }
static inline const rt_ffi_type* build_uf(void) { return UN(T(F32), T(U32)); }
static inline const rt_ffi_type* build_udf(void) { return UN(T(F64), AR(T(F32), 2)); }
static inline const rt_ffi_type* build_u12(void) { return UN(AR(T(F32), 3), T(I8)); }
static inline const rt_ffi_type* build_u16(void) { return UN(AR(T(F64), 2), AR(T(F32), 4)); }
static inline const rt_ffi_type* build_u16i(void) { return UN(AR(T(F64), 2), AR(T(I32), 4)); }
static inline const rt_ffi_type* build_u24(void) { return UN(AR(T(F64), 3), T(I64)); }
static inline const rt_ffi_type* build_tagged(void) { return ST(T(I32), UN(T(F32), T(I32))); }

#define SHAPE(S, n, c0, c1, ...) \
  {#S, build_##S, sizeof(ffi_t_##S), _Alignof(ffi_t_##S), n, {c0, c1}, OFFS(__VA_ARGS__)}
#define OF(S, m) offsetof(ffi_t_##S, m)

static const shape_info g_shapes[] = {
    SHAPE(s1, 1, I_, 0, OF(s1, a)),
    SHAPE(s2, 1, I_, 0, OF(s2, a), OF(s2, b)),
    SHAPE(s3, 1, I_, 0, OF(s3, a), OF(s3, b), OF(s3, c)),
    SHAPE(s4, 1, I_, 0, OF(s4, a), OF(s4, b)),
    SHAPE(s4f, 1, F_, 0, OF(s4f, a)),
    SHAPE(s8, 1, I_, 0, OF(s8, a), OF(s8, b)),
    SHAPE(s8if, 1, I_, 0, OF(s8if, i), OF(s8if, f)),
    SHAPE(s8fi, 1, I_, 0, OF(s8fi, f), OF(s8fi, i)),
    SHAPE(s8ff, 1, F_, 0, OF(s8ff, a), OF(s8ff, b)),
    SHAPE(sbool, 1, I_, 0, OF(sbool, a), OF(sbool, b), OF(sbool, c)),
    SHAPE(sarr8, 1, I_, 0, OF(sarr8, b), OF(sarr8, h)),
    SHAPE(s12, 2, I_, I_, OF(s12, a), OF(s12, b), OF(s12, c)),
    SHAPE(s12f, 2, F_, F_, OF(s12f, a), OF(s12f, b), OF(s12f, c)),
    SHAPE(s16, 2, I_, I_, OF(s16, a), OF(s16, b)),
    SHAPE(s16d, 2, F_, F_, OF(s16d, a), OF(s16d, b)),
    SHAPE(s16f, 2, F_, F_, OF(s16f, a), OF(s16f, b), OF(s16f, c), OF(s16f, d)),
    SHAPE(s16dl, 2, F_, I_, OF(s16dl, d), OF(s16dl, l)),
    SHAPE(s16ld, 2, I_, F_, OF(s16ld, l), OF(s16ld, d)),
    SHAPE(s16pad, 2, I_, F_, OF(s16pad, c), OF(s16pad, d)),
    SHAPE(s16arr, 2, F_, I_, OF(s16arr, v), OF(s16arr, n)),
    SHAPE(sptr, 2, I_, I_, OF(sptr, name), OF(sptr, data)),
    SHAPE(s17, 0, 0, 0, OF(s17, c)),
    SHAPE(s24, 0, 0, 0, OF(s24, uc), OF(s24, d), OF(s24, ui)),
    SHAPE(s32, 0, 0, 0, OF(s32, a), OF(s32, b), OF(s32, c), OF(s32, d)),
    SHAPE(s64, 0, 0, 0, OF(s64, v)),
    SHAPE(sbig, 0, 0, 0, OF(sbig, v)),
    SHAPE(nest, 2, F_, I_, OF(nest, pos), OF(nest, id)),
    SHAPE(nest2, 2, I_, F_, OF(nest2, tag), OF(nest2, in)),
    SHAPE(nest3, 2, F_, I_, OF(nest3, a), OF(nest3, b)),
    SHAPE(nest4, 0, 0, 0, OF(nest4, inner), OF(nest4, n)),
    SHAPE(u8, 1, I_, 0, 0, 0),
    SHAPE(uf, 1, I_, 0, 0, 0),
    SHAPE(udf, 1, F_, 0, 0, 0),
    SHAPE(u12, 2, I_, F_, 0, 0),
    SHAPE(u16, 2, F_, F_, 0, 0),
    SHAPE(u16i, 2, I_, I_, 0, 0),
    SHAPE(u24, 0, 0, 0, 0, 0),
    SHAPE(tagged, 1, I_, 0, OF(tagged, tag), OF(tagged, val)),
};
#define NSHAPES (sizeof g_shapes / sizeof g_shapes[0])

static inline const shape_info* shape(const char* name) {
  for (size_t i = 0; i < NSHAPES; i++)
    if (strcmp(g_shapes[i].name, name) == 0) return &g_shapes[i];
  fprintf(stderr, "no shape %s\n", name);
  exit(2);
}

// --- Calls with every shape ---------------------------------------------------------------------

// Closure handlers: a shape's sum scaled by *(double*)ud, and a shape made from an int.
#define DEFINE_SHAPE_HANDLERS(S)                                                                 \
  static void sum_handler_##S(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {   \
    (void)sig;                                                                                   \
    ffi_t_##S v;                                                                                 \
    memcpy(&v, args[0], sizeof v);                                                               \
    void* ud_arg;                                                                                \
    memcpy(&ud_arg, args[1], sizeof ud_arg);                                                     \
    double r = ffi_t_sum_##S(v) * *(const double*)ud * (ud_arg == ud ? 1.0 : -1.0);              \
    memcpy(ret, &r, sizeof r);                                                                   \
  }                                                                                              \
  static void make_handler_##S(const rt_ffi_sig* sig, void* ret, void* const* args, void* ud) {  \
    (void)sig;                                                                                   \
    (void)ud;                                                                                    \
    int32_t k;                                                                                   \
    memcpy(&k, args[0], sizeof k);                                                               \
    ffi_t_##S v = ffi_t_make_##S(k);                                                             \
    memcpy(ret, &v, sizeof v);                                                                   \
  }

// check_S(): every function of shape S (ffi_cases.h) through rt_ffi_call, each result compared
// with a direct C call; closures of S's callback types called from C and through the engine.
#define DEFINE_SHAPE_CHECK(S)                                                                    \
  DEFINE_SHAPE_HANDLERS(S)                                                                       \
  static void check_##S(void) {                                                                  \
    const shape_info* info = shape(#S);                                                          \
    const rt_ffi_type* t = info->build();                                                        \
    CHECK(t != NULL, "%s: %s", #S, rt_ffi_last_error());                                         \
    if (!t) return;                                                                              \
    CHECK(rt_ffi_type_size(t) == sizeof(ffi_t_##S) && rt_ffi_type_align(t) == _Alignof(ffi_t_##S), \
          "%s: size %zu align %zu", #S, rt_ffi_type_size(t), rt_ffi_type_align(t));              \
    const rt_ffi_type *i32 = T(I32), *i64 = T(I64), *f64 = T(F64), *ptr = T(POINTER);            \
    const rt_ffi_sig* make = SIG(t, i32);                                                        \
    const rt_ffi_sig* sum = SIG(f64, t);                                                         \
    const rt_ffi_sig* echo = SIG(t, t);                                                          \
    const rt_ffi_sig* spill =                                                                    \
        SIG(f64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, t, i32);       \
    const rt_ffi_sig* by_ptr = SIG(f64, ptr);                                                    \
    const rt_ffi_sig* fill = SIG(T(VOID), ptr, i32);                                             \
    const rt_ffi_sig* call_with = SIG(f64, ptr, ptr, i32);                                       \
    const rt_ffi_sig* call_ret = SIG(t, ptr, ptr, i32);                                          \
    const rt_ffi_sig* cb_sum = SIG(f64, t, ptr);                                                 \
    const rt_ffi_sig* cb_make = SIG(t, i32, ptr);                                                \
    CHECK(make && sum && echo && spill && by_ptr && fill && call_with && call_ret && cb_sum &&   \
              cb_make,                                                                           \
          "%s: %s", #S, rt_ffi_last_error());                                                    \
    if (!(make && sum && echo && spill && by_ptr && fill && call_with && call_ret && cb_sum &&   \
          cb_make))                                                                              \
      return;                                                                                    \
    double scale = 2.0;                                                                          \
    void* ud = &scale;                                                                           \
    rt_ffi_closure* sum_cl = rt_ffi_closure_new(cb_sum, sum_handler_##S, &scale);                \
    rt_ffi_closure* make_cl = rt_ffi_closure_new(cb_make, make_handler_##S, NULL);               \
    CHECK(sum_cl && make_cl, "%s closures: %s", #S, rt_ffi_last_error());                        \
    void* sum_fn = rt_ffi_closure_fn(sum_cl);                                                    \
    void* make_fn = rt_ffi_closure_fn(make_cl);                                                  \
    for (int32_t k = -3; k <= 9; k += 4) {                                                       \
      ffi_t_##S want = ffi_t_make_##S(k);                                                        \
      double want_sum = ffi_t_sum_##S(want), r = 0;                                              \
      ffi_t_##S got;                                                                             \
      memset(&got, 0xa5, sizeof got);                                                            \
      CALL(make, sym("ffi_t_make_" #S), &got, &k);                                               \
      CHECK(same_f64(ffi_t_sum_##S(got), want_sum), "%s make(%d): %.17g vs %.17g", #S, k,        \
            ffi_t_sum_##S(got), want_sum);                                                       \
      CALL(sum, sym("ffi_t_sum_" #S), &r, &want);                                                \
      CHECK(same_f64(r, want_sum), "%s sum(%d): %.17g vs %.17g", #S, k, r, want_sum);            \
      memset(&got, 0x5a, sizeof got);                                                            \
      CALL(echo, sym("ffi_t_echo_" #S), &got, &want);                                            \
      CHECK(same_f64(ffi_t_sum_##S(got), want_sum), "%s echo(%d)", #S, k);                       \
      int64_t a = 1, b = -2, c = 3000000000LL, d = -4, e = k;                                    \
      double f0 = 0.5, f1 = -1.5, f2 = 2.25, f3 = k, f4 = 1e10, f5 = -3, f6 = 0.125, f7 = 7;     \
      int32_t tail = k * 3 + 1;                                                                  \
      double want_spill =                                                                        \
          ffi_t_spill_##S(a, b, c, d, e, f0, f1, f2, f3, f4, f5, f6, f7, want, tail);            \
      CALL(spill, sym("ffi_t_spill_" #S), &r, &a, &b, &c, &d, &e, &f0, &f1, &f2, &f3, &f4, &f5,  \
           &f6, &f7, &want, &tail);                                                              \
      CHECK(same_f64(r, want_spill), "%s spill(%d): %.17g vs %.17g", #S, k, r, want_spill);      \
      const ffi_t_##S* p = &want;                                                                \
      CALL(by_ptr, sym("ffi_t_sum_ptr_" #S), &r, &p);                                            \
      CHECK(same_f64(r, want_sum), "%s sum_ptr(%d)", #S, k);                                     \
      ffi_t_##S* out = &got;                                                                     \
      memset(&got, 0x33, sizeof got);                                                            \
      CALL(fill, sym("ffi_t_fill_" #S), NULL, &out, &k);                                         \
      CHECK(same_f64(ffi_t_sum_##S(got), want_sum), "%s fill(%d)", #S, k);                       \
      if (!sum_fn || !make_fn) continue;                                                         \
      r = ffi_t_call_with_##S((ffi_t_sum_cb_##S)sum_fn, ud, k);                                  \
      CHECK(same_f64(r, want_sum * scale), "%s closure(arg) from C (%d): %.17g", #S, k, r);      \
      CALL(call_with, sym("ffi_t_call_with_" #S), &r, &sum_fn, &ud, &k);                         \
      CHECK(same_f64(r, want_sum * scale), "%s closure(arg) through the engine (%d)", #S, k);    \
      memset(&got, 0x77, sizeof got);                                                            \
      got = ffi_t_call_ret_##S((ffi_t_make_cb_##S)make_fn, NULL, k);                             \
      CHECK(same_f64(ffi_t_sum_##S(got), want_sum), "%s closure(ret) from C (%d)", #S, k);       \
      void* no_ud = NULL;                                                                        \
      memset(&got, 0x77, sizeof got);                                                            \
      CALL(call_ret, sym("ffi_t_call_ret_" #S), &got, &make_fn, &no_ud, &k);                     \
      CHECK(same_f64(ffi_t_sum_##S(got), want_sum), "%s closure(ret) through the engine (%d)",   \
            #S, k);                                                                              \
    }                                                                                            \
    rt_ffi_closure_free(sum_cl);                                                                 \
    rt_ffi_closure_free(make_cl);                                                                \
  }

#define CALL_SHAPE_CHECK(S) check_##S();

#endif
