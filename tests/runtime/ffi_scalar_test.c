// Scalars through rt_ffi_call: every primitive, promotion, negint, many, many_mixed, extension of
// small integers, and returns that never write past their type's size.
#include <stdint.h>

#include "ffi_test_util.h"

// Identity of one primitive: the value comes back unchanged, and nothing past it is written.
#define CHECK_ID(KIND, ctype, fn_name, value)                                                   \
  do {                                                                                          \
    const rt_ffi_sig* sig_ = SIG(T(KIND), T(KIND));                                             \
    ctype in_ = (value);                                                                        \
    struct {                                                                                    \
      ctype v;                                                                                  \
      unsigned char canary[8];                                                                  \
    } out_;                                                                                     \
    memset(&out_, 0xcc, sizeof out_);                                                           \
    CALL(sig_, sym(#fn_name), &out_.v, &in_);                                                   \
    ctype direct_ = fn_name(in_);                                                               \
    CHECK(memcmp(&out_.v, &direct_, sizeof(ctype)) == 0, "%s(%s)", #fn_name, #value);           \
    for (size_t c_ = sizeof(ctype); c_ < sizeof out_; c_++)                                     \
      CHECK(((unsigned char*)&out_)[c_] == 0xcc, "%s wrote byte %zu past its result", #fn_name, \
            c_);                                                                                \
  } while (0)

static void check_identities(void) {
  CHECK_ID(I8, int8_t, ffi_t_id_i8, INT8_MIN);
  CHECK_ID(I8, int8_t, ffi_t_id_i8, -1);
  CHECK_ID(I16, int16_t, ffi_t_id_i16, INT16_MIN);
  CHECK_ID(I32, int32_t, ffi_t_id_i32, INT32_MIN);
  CHECK_ID(I32, int32_t, ffi_t_id_i32, -7);
  CHECK_ID(I64, int64_t, ffi_t_id_i64, INT64_MIN);
  CHECK_ID(U8, uint8_t, ffi_t_id_u8, UINT8_MAX);
  CHECK_ID(U16, uint16_t, ffi_t_id_u16, UINT16_MAX);
  CHECK_ID(U32, uint32_t, ffi_t_id_u32, UINT32_MAX);
  CHECK_ID(U64, uint64_t, ffi_t_id_u64, UINT64_MAX);
  CHECK_ID(ISIZE, intptr_t, ffi_t_id_isize, INTPTR_MIN);
  CHECK_ID(USIZE, size_t, ffi_t_id_usize, SIZE_MAX - 3);
  CHECK_ID(F32, float, ffi_t_id_f32, -1.5e-30f);
  CHECK_ID(F32, float, ffi_t_id_f32, 3.4028235e38f);
  CHECK_ID(F64, double, ffi_t_id_f64, -2.2250738585072014e-308);
  CHECK_ID(F64, double, ffi_t_id_f64, 1.0 / 3.0);
  CHECK_ID(POINTER, void*, ffi_t_id_ptr, (void*)&failures);
  CHECK_ID(CSTRING, const char*, ffi_t_id_cstring, "text");
  CHECK_ID(BOOL, bool, ffi_t_not, true);
  CHECK_ID(BOOL, bool, ffi_t_not, false);
}

static void check_promotion(void) {
  const rt_ffi_sig* sig = SIG(T(I32), T(I8), T(I16), T(U8), T(U16));
  const int8_t scs[] = {INT8_MIN, -1, 0, 1, INT8_MAX};
  const int16_t sss[] = {INT16_MIN, -2, 0, 300, INT16_MAX};
  const uint8_t ucs[] = {0, 1, 127, 128, UINT8_MAX};
  const uint16_t uss[] = {0, 1, 32767, 32768, UINT16_MAX};
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++) {
      int8_t sc = scs[a];
      int16_t ss = sss[b];
      uint8_t uc = ucs[(a + b) % 5];
      uint16_t us = uss[(a * 2 + b) % 5];
      int32_t got = 0;
      CALL(sig, sym("ffi_t_promotion"), &got, &sc, &ss, &uc, &us);
      int32_t want = ffi_t_promotion(sc, ss, uc, us);
      CHECK(got == want, "promotion(%d, %d, %u, %u) = %d, want %d", sc, ss, uc, us, got, want);
    }
}

// Small integer returns: extended correctly, and only their own bytes written.
static void check_small_returns(void) {
  const int32_t inputs[] = {0,    1,     -1,    127,   128,    255,       256,
                            -129, 32767, 32768, 65535, -65536, 0x12345678};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    int32_t x = inputs[i];
    struct {
      int8_t v;
      unsigned char canary[7];
    } s8;
    memset(&s8, 0xcc, sizeof s8);
    CALL(SIG(T(I8), T(I32)), sym("ffi_t_ret_s8"), &s8.v, &x);
    CHECK(s8.v == ffi_t_ret_s8(x) && s8.canary[0] == 0xcc && s8.canary[6] == 0xcc, "s8 %d", x);
    struct {
      uint8_t v;
      unsigned char canary[7];
    } u8;
    memset(&u8, 0xcc, sizeof u8);
    CALL(SIG(T(U8), T(I32)), sym("ffi_t_ret_u8"), &u8.v, &x);
    CHECK(u8.v == ffi_t_ret_u8(x) && u8.canary[0] == 0xcc, "u8 %d", x);
    struct {
      int16_t v;
      unsigned char canary[6];
    } s16;
    memset(&s16, 0xcc, sizeof s16);
    CALL(SIG(T(I16), T(I32)), sym("ffi_t_ret_s16"), &s16.v, &x);
    CHECK(s16.v == ffi_t_ret_s16(x) && s16.canary[0] == 0xcc, "s16 %d", x);
    struct {
      uint16_t v;
      unsigned char canary[6];
    } u16;
    memset(&u16, 0xcc, sizeof u16);
    CALL(SIG(T(U16), T(I32)), sym("ffi_t_ret_u16"), &u16.v, &x);
    CHECK(u16.v == ffi_t_ret_u16(x) && u16.canary[5] == 0xcc, "u16 %d", x);
    struct {
      bool v;
      unsigned char canary[7];
    } b;
    memset(&b, 0xcc, sizeof b);
    CALL(SIG(T(BOOL), T(I32)), sym("ffi_t_ret_bool"), &b.v, &x);
    unsigned char raw;
    memcpy(&raw, &b.v, 1);
    CHECK(raw == (x != 0) && b.canary[0] == 0xcc, "bool %d gave byte %u", x, raw);
    // An i32 return must not write 8 bytes either.
    struct {
      int32_t v;
      unsigned char canary[4];
    } i32;
    memset(&i32, 0xcc, sizeof i32);
    CALL(SIG(T(I32), T(I32)), sym("ffi_t_id_i32"), &i32.v, &x);
    CHECK(i32.v == x && i32.canary[0] == 0xcc && i32.canary[3] == 0xcc, "i32 %d", x);
  }
  // A callee that leaves garbage above its small result: the engine takes only the low bits.
  uint64_t dirty = 0x123456789abcdeffULL;
  int8_t low = 0;
  CALL(SIG(T(I8), T(U64)), sym("ffi_t_raw_register"), &low, &dirty);
  CHECK(low == -1, "i8 from a dirty register: %d", low);
  uint16_t low16 = 0;
  CALL(SIG(T(U16), T(U64)), sym("ffi_t_raw_register"), &low16, &dirty);
  CHECK(low16 == 0xdeff, "u16 from a dirty register: %#x", low16);
}

// How small integer arguments arrive in their register: the callee sees the whole register, and
// C compilers (clang in particular) rely on 8- and 16-bit arguments being extended to 32 bits.
static void check_argument_extension(void) {
  void* raw = sym("ffi_t_raw_register");
  uint64_t reg = 0;
  int8_t s8 = -2;
  CALL(SIG(T(U64), T(I8)), raw, &reg, &s8);
  CHECK((uint32_t)reg == 0xfffffffeu, "i8 -2 arrived as %#llx", (unsigned long long)reg);
  uint8_t u8 = 0xf0;
  CALL(SIG(T(U64), T(U8)), raw, &reg, &u8);
  CHECK((uint32_t)reg == 0xf0u, "u8 0xf0 arrived as %#llx", (unsigned long long)reg);
  int16_t s16 = -300;
  CALL(SIG(T(U64), T(I16)), raw, &reg, &s16);
  CHECK((uint32_t)reg == (uint32_t)-300, "i16 -300 arrived as %#llx", (unsigned long long)reg);
  uint16_t u16 = 0xfedc;
  CALL(SIG(T(U64), T(U16)), raw, &reg, &u16);
  CHECK((uint32_t)reg == 0xfedcu, "u16 arrived as %#llx", (unsigned long long)reg);
  bool b = true;
  CALL(SIG(T(U64), T(BOOL)), raw, &reg, &b);
  CHECK((uint32_t)reg == 1u, "bool arrived as %#llx", (unsigned long long)reg);
  int32_t s32 = -5;
  CALL(SIG(T(U64), T(I32)), raw, &reg, &s32);
  CHECK((uint32_t)reg == (uint32_t)-5, "i32 arrived as %#llx", (unsigned long long)reg);
}

static void check_negint_and_i64(void) {
  const rt_ffi_sig* sig = SIG(T(I32), T(I32), T(I32));
  const int32_t vals[] = {-1, -2, INT32_MIN / 4, -1000000, 5};
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 5; b++) {
      int32_t x = vals[a], y = vals[b], got = 0;
      CALL(sig, sym("ffi_t_negint"), &got, &x, &y);
      CHECK(got == ffi_t_negint(x, y), "negint(%d, %d) = %d", x, y, got);
    }
  int64_t v = -9000000000LL, got = 0;
  CALL(SIG(T(I64), T(I64)), sym("ffi_t_i64_inc"), &got, &v);
  CHECK(got == -8999999999LL, "i64_inc = %lld", (long long)got);
}

static void check_many(void) {
  const rt_ffi_type* f = T(F32);
  const rt_ffi_type* d = T(F64);
  const rt_ffi_type* i = T(I64);
  float fs[13];
  double ds[13];
  int64_t is[10];
  for (int k = 0; k < 13; k++) {
    fs[k] = (float)k * 0.75f - 3.0f;
    ds[k] = k * -1.25 + 0.001;
  }
  for (int k = 0; k < 10; k++) is[k] = (k - 5) * 100000000000LL + k;
  float rf = 0;
  CALL(SIG(f, f, f, f, f, f, f, f, f, f, f, f, f, f), sym("ffi_t_many_f"), &rf, &fs[0], &fs[1],
       &fs[2], &fs[3], &fs[4], &fs[5], &fs[6], &fs[7], &fs[8], &fs[9], &fs[10], &fs[11], &fs[12]);
  float wf = ffi_t_many_f(fs[0], fs[1], fs[2], fs[3], fs[4], fs[5], fs[6], fs[7], fs[8], fs[9],
                          fs[10], fs[11], fs[12]);
  CHECK(rf == wf, "many_f %g vs %g", (double)rf, (double)wf);
  double rd = 0;
  CALL(SIG(d, d, d, d, d, d, d, d, d, d, d, d, d, d), sym("ffi_t_many_d"), &rd, &ds[0], &ds[1],
       &ds[2], &ds[3], &ds[4], &ds[5], &ds[6], &ds[7], &ds[8], &ds[9], &ds[10], &ds[11], &ds[12]);
  double wd = ffi_t_many_d(ds[0], ds[1], ds[2], ds[3], ds[4], ds[5], ds[6], ds[7], ds[8], ds[9],
                           ds[10], ds[11], ds[12]);
  CHECK(rd == wd, "many_d %g vs %g", rd, wd);
  int64_t ri = 0;
  CALL(SIG(i, i, i, i, i, i, i, i, i, i, i), sym("ffi_t_many_i"), &ri, &is[0], &is[1], &is[2],
       &is[3], &is[4], &is[5], &is[6], &is[7], &is[8], &is[9]);
  int64_t wi = ffi_t_many_i(is[0], is[1], is[2], is[3], is[4], is[5], is[6], is[7], is[8], is[9]);
  CHECK(ri == wi, "many_i %lld vs %lld", (long long)ri, (long long)wi);
}

static void check_many_mixed(void) {
  const rt_ffi_sig* sig = SIG(T(F64), T(I8), T(U8), T(I16), T(U16), T(I32), T(U32), T(I64), T(U64),
                              T(F32), T(F64), T(F32), T(F64), T(F32), T(F64), T(F32), T(F64),
                              T(F32), T(F64), T(BOOL), T(POINTER), T(I32), T(F32));
  CHECK(sig != NULL, "%s", rt_ffi_last_error());
  for (int k = -2; k <= 2; k++) {
    int8_t a = (int8_t)(-100 + k);
    uint8_t b = (uint8_t)(200 + k);
    int16_t c = (int16_t)(-30000 + k);
    uint16_t d = (uint16_t)(60000 + k);
    int32_t e = -2000000000 + k;
    uint32_t f = 4000000000u + (uint32_t)(k + 2);
    int64_t g = -7000000000000LL * k;
    uint64_t h = 9000000000000ULL + (uint64_t)(k + 2);
    float i = 1.5f * (float)k, k2 = -0.25f, m = 100.0f, o = (float)k, q = 1e-3f, v = -8.5f;
    double j = 2.5 * k, l = -1e10, n = 0.125, p = 3.0, r = (double)k / 3.0;
    bool s = k & 1;
    void* t = (void*)(uintptr_t)(0x1000 + k * 16 + 32);
    int32_t u = k * 77;
    double got = 0;
    CALL(sig, sym("ffi_t_many_mixed"), &got, &a, &b, &c, &d, &e, &f, &g, &h, &i, &j, &k2, &l, &m,
         &n, &o, &p, &q, &r, &s, &t, &u, &v);
    double want =
        ffi_t_many_mixed(a, b, c, d, e, f, g, h, i, j, k2, l, m, n, o, p, q, r, s, t, u, v);
    CHECK(same_f64(got, want), "many_mixed k=%d: %.17g vs %.17g", k, got, want);
  }
}

static void check_void(void) {
  int32_t before = ffi_t_void_calls();
  CALL0(SIG0(T(VOID)), sym("ffi_t_void"), NULL);
  int32_t after = 0;
  CALL0(SIG0(T(I32)), sym("ffi_t_void_calls"), &after);
  CHECK(after == before + 1, "ffi_t_void ran %d times", after - before);
  // A result may be discarded by passing NULL.
  int32_t x = 5;
  CALL(SIG(T(I32), T(I32)), sym("ffi_t_id_i32"), NULL, &x);
  CALL(SIG(T(F64), T(F64)), sym("ffi_t_id_f64"), NULL, &(double){1.0});
}

int main(void) {
  check_identities();
  check_promotion();
  check_small_returns();
  check_argument_extension();
  check_negint_and_i64();
  check_many();
  check_many_mixed();
  check_void();
  close_cases();
  return finish("ffi_scalar_test");
}
