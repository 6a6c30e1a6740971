// Test library: scalar arguments and returns (promotion, negint, many, many_mixed, extension).
#include "ffi_cases.h"

int32_t ffi_t_promotion(int8_t sc, int16_t ss, uint8_t uc, uint16_t us) {
  return (int32_t)sc + (int32_t)ss * 3 + (int32_t)uc * 5 + (int32_t)us * 7;
}

int8_t ffi_t_ret_s8(int32_t x) { return (int8_t)x; }
uint8_t ffi_t_ret_u8(int32_t x) { return (uint8_t)x; }
int16_t ffi_t_ret_s16(int32_t x) { return (int16_t)x; }
uint16_t ffi_t_ret_u16(int32_t x) { return (uint16_t)x; }
bool ffi_t_ret_bool(int32_t x) { return x != 0; }
bool ffi_t_not(bool b) { return !b; }

int32_t ffi_t_negint(int32_t a, int32_t b) { return a * 2 + b; }
int64_t ffi_t_i64_inc(int64_t x) { return x + 1; }

int8_t ffi_t_id_i8(int8_t x) { return x; }
int16_t ffi_t_id_i16(int16_t x) { return x; }
int32_t ffi_t_id_i32(int32_t x) { return x; }
int64_t ffi_t_id_i64(int64_t x) { return x; }
uint8_t ffi_t_id_u8(uint8_t x) { return x; }
uint16_t ffi_t_id_u16(uint16_t x) { return x; }
uint32_t ffi_t_id_u32(uint32_t x) { return x; }
uint64_t ffi_t_id_u64(uint64_t x) { return x; }
intptr_t ffi_t_id_isize(intptr_t x) { return x; }
size_t ffi_t_id_usize(size_t x) { return x; }
float ffi_t_id_f32(float x) { return x; }
double ffi_t_id_f64(double x) { return x; }
void* ffi_t_id_ptr(void* x) { return x; }
const char* ffi_t_id_cstring(const char* x) { return x; }

float ffi_t_many_f(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7,
                   float a8, float a9, float a10, float a11, float a12) {
  return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + 9 * a8 + 10 * a9 +
         11 * a10 + 12 * a11 + 13 * a12;
}

double ffi_t_many_d(double a0, double a1, double a2, double a3, double a4, double a5, double a6,
                    double a7, double a8, double a9, double a10, double a11, double a12) {
  return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + 9 * a8 + 10 * a9 +
         11 * a10 + 12 * a11 + 13 * a12;
}

int64_t ffi_t_many_i(int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5,
                     int64_t a6, int64_t a7, int64_t a8, int64_t a9) {
  return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + 9 * a8 + 10 * a9;
}

double ffi_t_many_mixed(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f,
                        int64_t g, uint64_t h, float i, double j, float k, double l, float m,
                        double n, float o, double p, float q, double r, bool s, void* t, int32_t u,
                        float v) {
  return a + 2.0 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * f + 7.0 * (double)g + 8.0 * (double)h +
         9.0 * i + 10.0 * j + 11.0 * k + 12.0 * l + 13.0 * m + 14.0 * n + 15.0 * o + 16.0 * p +
         17.0 * q + 18.0 * r + 19.0 * s + 20.0 * (double)(uintptr_t)t + 21.0 * u + 22.0 * v;
}

uint64_t ffi_t_raw_register(uint64_t raw) { return raw; }

static int32_t g_void_calls;
void ffi_t_void(void) { g_void_calls++; }
int32_t ffi_t_void_calls(void) { return g_void_calls; }
