// Test library: structs and unions of many shapes, by value and by pointer, as arguments, returns,
// spilled to the stack, and through callbacks.
#include <string.h>

#include "ffi_cases.h"

// Each shape's make (a value from k) and sum (its fields weighted by position).
ffi_t_s1 ffi_t_make_s1(int32_t k) { return (ffi_t_s1){(uint8_t)(k + 1)}; }
double ffi_t_sum_s1(ffi_t_s1 v) { return v.a; }

ffi_t_s2 ffi_t_make_s2(int32_t k) { return (ffi_t_s2){(int8_t)-k, (uint8_t)(k + 200)}; }
double ffi_t_sum_s2(ffi_t_s2 v) { return v.a + 2.0 * v.b; }

ffi_t_s3 ffi_t_make_s3(int32_t k) {
  return (ffi_t_s3){(uint8_t)(k + 1), (uint8_t)(k + 2), (uint8_t)(k + 3)};
}
double ffi_t_sum_s3(ffi_t_s3 v) { return v.a + 2.0 * v.b + 3.0 * v.c; }

ffi_t_s4 ffi_t_make_s4(int32_t k) { return (ffi_t_s4){(int16_t)(-k * 100), (int16_t)(k * 3)}; }
double ffi_t_sum_s4(ffi_t_s4 v) { return v.a + 2.0 * v.b; }

ffi_t_s4f ffi_t_make_s4f(int32_t k) { return (ffi_t_s4f){(float)k * 0.5f + 0.25f}; }
double ffi_t_sum_s4f(ffi_t_s4f v) { return v.a; }

ffi_t_s8 ffi_t_make_s8(int32_t k) { return (ffi_t_s8){-k, k * 1000}; }
double ffi_t_sum_s8(ffi_t_s8 v) { return v.a + 2.0 * v.b; }

ffi_t_s8if ffi_t_make_s8if(int32_t k) { return (ffi_t_s8if){k * 7, (float)k * 0.5f}; }
double ffi_t_sum_s8if(ffi_t_s8if v) { return v.i + 2.0 * v.f; }

ffi_t_s8fi ffi_t_make_s8fi(int32_t k) { return (ffi_t_s8fi){(float)k * 1.5f, -k}; }
double ffi_t_sum_s8fi(ffi_t_s8fi v) { return v.f + 2.0 * v.i; }

ffi_t_s8ff ffi_t_make_s8ff(int32_t k) { return (ffi_t_s8ff){(float)k + 0.5f, (float)-k * 0.25f}; }
double ffi_t_sum_s8ff(ffi_t_s8ff v) { return v.a + 2.0 * v.b; }

ffi_t_sbool ffi_t_make_sbool(int32_t k) {
  return (ffi_t_sbool){(k & 1) != 0, (k & 1) == 0, (int16_t)(k * 11)};
}
double ffi_t_sum_sbool(ffi_t_sbool v) { return v.a + 2.0 * v.b + 3.0 * v.c; }

ffi_t_sarr8 ffi_t_make_sarr8(int32_t k) {
  ffi_t_sarr8 v;
  for (int i = 0; i < 5; i++) v.b[i] = (uint8_t)(k + i * 3);
  v.h = (uint16_t)(k * 100);
  return v;
}
double ffi_t_sum_sarr8(ffi_t_sarr8 v) {
  double s = 0;
  for (int i = 0; i < 5; i++) s += v.b[i] * (i + 1.0);
  return s + 6.0 * v.h;
}

ffi_t_s12 ffi_t_make_s12(int32_t k) { return (ffi_t_s12){k, -2 * k, 3 * k + 1}; }
double ffi_t_sum_s12(ffi_t_s12 v) { return v.a + 2.0 * v.b + 3.0 * v.c; }

ffi_t_s12f ffi_t_make_s12f(int32_t k) {
  return (ffi_t_s12f){(float)k * 0.5f, (float)k * 0.25f + 1.0f, (float)-k};
}
double ffi_t_sum_s12f(ffi_t_s12f v) { return v.a + 2.0 * v.b + 3.0 * v.c; }

ffi_t_s16 ffi_t_make_s16(int32_t k) { return (ffi_t_s16){k * 10000000000LL, -k}; }
double ffi_t_sum_s16(ffi_t_s16 v) { return (double)v.a + 2.0 * (double)v.b; }

ffi_t_s16d ffi_t_make_s16d(int32_t k) { return (ffi_t_s16d){k * 0.1, k * -3.5}; }
double ffi_t_sum_s16d(ffi_t_s16d v) { return v.a + 2.0 * v.b; }

ffi_t_s16f ffi_t_make_s16f(int32_t k) {
  float f = (float)k;
  return (ffi_t_s16f){f, f + 0.5f, f + 0.25f, -f};
}
double ffi_t_sum_s16f(ffi_t_s16f v) { return v.a + 2.0 * v.b + 3.0 * v.c + 4.0 * v.d; }

ffi_t_s16dl ffi_t_make_s16dl(int32_t k) { return (ffi_t_s16dl){k * 1.25, -k * 1000000000000LL}; }
double ffi_t_sum_s16dl(ffi_t_s16dl v) { return v.d + 2.0 * (double)v.l; }

ffi_t_s16ld ffi_t_make_s16ld(int32_t k) { return (ffi_t_s16ld){k * 1000000000000LL, k * -0.75}; }
double ffi_t_sum_s16ld(ffi_t_s16ld v) { return (double)v.l + 2.0 * v.d; }

ffi_t_s16pad ffi_t_make_s16pad(int32_t k) {
  return (ffi_t_s16pad){(char)('a' + (k & 15)), k * 2.5};
}
double ffi_t_sum_s16pad(ffi_t_s16pad v) { return v.c + 2.0 * v.d; }

ffi_t_s16arr ffi_t_make_s16arr(int32_t k) {
  float f = (float)k;
  return (ffi_t_s16arr){{f * 0.5f, f * 1.5f, f * 2.5f}, -k};
}
double ffi_t_sum_s16arr(ffi_t_s16arr v) { return v.v[0] + 2.0 * v.v[1] + 3.0 * v.v[2] + 4.0 * v.n; }

static const char* const k_names[] = {"alpha", "be", "gamma-ray", ""};
ffi_t_sptr ffi_t_make_sptr(int32_t k) {
  return (ffi_t_sptr){k_names[k & 3], (void*)(uintptr_t)((uint32_t)k * 16u)};
}
double ffi_t_sum_sptr(ffi_t_sptr v) {
  return (double)strlen(v.name) + 2.0 * (double)(uintptr_t)v.data;
}

ffi_t_s17 ffi_t_make_s17(int32_t k) {
  ffi_t_s17 v;
  for (int i = 0; i < 17; i++) v.c[i] = (char)(k + i);
  return v;
}
double ffi_t_sum_s17(ffi_t_s17 v) {
  double s = 0;
  for (int i = 0; i < 17; i++) s += v.c[i] * (i + 1.0);
  return s;
}

ffi_t_s24 ffi_t_make_s24(int32_t k) {
  return (ffi_t_s24){(uint8_t)(k + 5), k * 0.125, (uint32_t)(k * 1000 + 7)};
}
double ffi_t_sum_s24(ffi_t_s24 v) { return v.uc + 2.0 * v.d + 3.0 * v.ui; }

ffi_t_s32 ffi_t_make_s32(int32_t k) { return (ffi_t_s32){k + 0.5, k * 2.0, k * 3.0, -k * 4.0}; }
double ffi_t_sum_s32(ffi_t_s32 v) { return v.a + 2.0 * v.b + 3.0 * v.c + 4.0 * v.d; }

ffi_t_s64 ffi_t_make_s64(int32_t k) {
  ffi_t_s64 v;
  for (int i = 0; i < 8; i++) v.v[i] = (int64_t)k * (i + 1) - i;
  return v;
}
double ffi_t_sum_s64(ffi_t_s64 v) {
  double s = 0;
  for (int i = 0; i < 8; i++) s += (double)v.v[i] * (i + 1.0);
  return s;
}

ffi_t_sbig ffi_t_make_sbig(int32_t k) {
  ffi_t_sbig v;
  for (int i = 0; i < 17; i++) v.v[i] = (float)k * 0.5f + (float)i;
  return v;
}
double ffi_t_sum_sbig(ffi_t_sbig v) {
  double s = 0;
  for (int i = 0; i < 17; i++) s += v.v[i] * (i + 1.0);
  return s;
}

ffi_t_nest ffi_t_make_nest(int32_t k) {
  return (ffi_t_nest){{(float)k * 0.5f, (float)k * 1.5f}, -k};
}
double ffi_t_sum_nest(ffi_t_nest v) { return v.pos.x + 2.0 * v.pos.y + 3.0 * v.id; }

ffi_t_nest2 ffi_t_make_nest2(int32_t k) {
  return (ffi_t_nest2){(uint8_t)(k + 1), {(uint8_t)(k + 2), (float)k * 0.75f}};
}
double ffi_t_sum_nest2(ffi_t_nest2 v) { return v.tag + 2.0 * v.in.a + 3.0 * v.in.b; }

ffi_t_nest3 ffi_t_make_nest3(int32_t k) {
  return (ffi_t_nest3){{k * 0.125}, {{(float)k * 2.0f}, -k * 3}};
}
double ffi_t_sum_nest3(ffi_t_nest3 v) { return v.a.d + 2.0 * v.b.x.f + 3.0 * v.b.i; }

ffi_t_nest4 ffi_t_make_nest4(int32_t k) {
  return (ffi_t_nest4){{ffi_t_make_s12(k), ffi_t_make_s12(k + 1)}, k};
}
double ffi_t_sum_nest4(ffi_t_nest4 v) {
  return ffi_t_sum_s12(v.inner[0]) + 2.0 * ffi_t_sum_s12(v.inner[1]) + 3.0 * v.n;
}

ffi_t_u8 ffi_t_make_u8(int32_t k) { return (ffi_t_u8){.d = k + 0.5}; }
double ffi_t_sum_u8(ffi_t_u8 v) { return v.d; }

ffi_t_uf ffi_t_make_uf(int32_t k) { return (ffi_t_uf){.f = (float)k * 0.5f}; }
double ffi_t_sum_uf(ffi_t_uf v) { return v.f; }

ffi_t_udf ffi_t_make_udf(int32_t k) {
  return (ffi_t_udf){.f = {(float)k * 0.5f, (float)k * -0.25f}};
}
double ffi_t_sum_udf(ffi_t_udf v) { return v.f[0] + 2.0 * v.f[1]; }

ffi_t_u12 ffi_t_make_u12(int32_t k) {
  return (ffi_t_u12){.f = {(float)k * 0.5f, (float)k + 1.0f, (float)k * -2.0f}};
}
double ffi_t_sum_u12(ffi_t_u12 v) { return v.f[0] + 2.0 * v.f[1] + 3.0 * v.f[2]; }

ffi_t_u16 ffi_t_make_u16(int32_t k) {
  float f = (float)k;
  return (ffi_t_u16){.f = {f, f * 0.5f, f * 0.25f, -f}};
}
double ffi_t_sum_u16(ffi_t_u16 v) { return v.f[0] + 2.0 * v.f[1] + 3.0 * v.f[2] + 4.0 * v.f[3]; }

ffi_t_u16i ffi_t_make_u16i(int32_t k) { return (ffi_t_u16i){.i = {k, -k, 2 * k, 7}}; }
double ffi_t_sum_u16i(ffi_t_u16i v) { return v.i[0] + 2.0 * v.i[1] + 3.0 * v.i[2] + 4.0 * v.i[3]; }

ffi_t_u24 ffi_t_make_u24(int32_t k) { return (ffi_t_u24){.d = {k * 0.5, k * 1.5, -k}}; }
double ffi_t_sum_u24(ffi_t_u24 v) { return v.d[0] + 2.0 * v.d[1] + 3.0 * v.d[2]; }

ffi_t_tagged ffi_t_make_tagged(int32_t k) {
  ffi_t_tagged v = {.tag = k & 1};
  if (v.tag)
    v.val.f = (float)k * 0.5f;
  else
    v.val.i = k * 3;
  return v;
}
double ffi_t_sum_tagged(ffi_t_tagged v) { return v.tag + 2.0 * (v.tag ? v.val.f : v.val.i); }

// The functions every shape has beyond make and sum.
#define FFI_T_DEFINE_SHAPE(S)                                                                   \
  ffi_t_##S ffi_t_echo_##S(ffi_t_##S v) { return v; }                                           \
  double ffi_t_spill_##S(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, double f0,      \
                         double f1, double f2, double f3, double f4, double f5, double f6,      \
                         double f7, ffi_t_##S v, int32_t tail) {                                \
    return ffi_t_sum_##S(v) + (double)a + 2.0 * (double)b + 3.0 * (double)c + 4.0 * (double)d + \
           5.0 * (double)e + 0.5 * f0 + 1.0 * f1 + 1.5 * f2 + 2.0 * f3 + 2.5 * f4 + 3.0 * f5 +  \
           3.5 * f6 + 4.0 * f7 + 1000.0 * tail;                                                 \
  }                                                                                             \
  double ffi_t_sum_ptr_##S(const ffi_t_##S* p) { return ffi_t_sum_##S(*p); }                    \
  void ffi_t_fill_##S(ffi_t_##S* out, int32_t k) { *out = ffi_t_make_##S(k); }                  \
  double ffi_t_call_with_##S(ffi_t_sum_cb_##S cb, void* ud, int32_t k) {                        \
    return cb(ffi_t_make_##S(k), ud);                                                           \
  }                                                                                             \
  ffi_t_##S ffi_t_call_ret_##S(ffi_t_make_cb_##S cb, void* ud, int32_t k) { return cb(k, ud); }
FFI_T_SHAPES(FFI_T_DEFINE_SHAPE)

double ffi_t_many_small(ffi_t_s1 a, ffi_t_s2 b, ffi_t_s3 c, ffi_t_s4 d, ffi_t_s1 e, ffi_t_s2 f,
                        ffi_t_s3 g, ffi_t_s4 h, ffi_t_s4f i, ffi_t_s8ff j, ffi_t_s4f k,
                        ffi_t_s8ff l, ffi_t_s4f m, ffi_t_s8ff n, ffi_t_s4f o, ffi_t_s8ff p,
                        ffi_t_s4f q) {
  return ffi_t_sum_s1(a) + 2 * ffi_t_sum_s2(b) + 3 * ffi_t_sum_s3(c) + 4 * ffi_t_sum_s4(d) +
         5 * ffi_t_sum_s1(e) + 6 * ffi_t_sum_s2(f) + 7 * ffi_t_sum_s3(g) + 8 * ffi_t_sum_s4(h) +
         9 * ffi_t_sum_s4f(i) + 10 * ffi_t_sum_s8ff(j) + 11 * ffi_t_sum_s4f(k) +
         12 * ffi_t_sum_s8ff(l) + 13 * ffi_t_sum_s4f(m) + 14 * ffi_t_sum_s8ff(n) +
         15 * ffi_t_sum_s4f(o) + 16 * ffi_t_sum_s8ff(p) + 17 * ffi_t_sum_s4f(q);
}

ffi_t_s64 ffi_t_stret_large(int32_t k, ffi_t_s32 scale) {
  ffi_t_s64 v = ffi_t_make_s64(k);
  for (int i = 0; i < 8; i++) v.v[i] *= (int64_t)(scale.a + scale.b + scale.c + scale.d);
  return v;
}
