// The f32 → bf16 and f64 → bf16 conversions that LLVM's x86-64 back end calls by these names
// (compiler-rt's and libgcc 13's): libgcc 12 lacks them. Generated code never asks for a
// rounding through them (lower_half.cpp rounds bf16 itself), but LLVM keeps bf16 values in f32
// registers on CPUs without AVX512-BF16 and narrows them with __truncsfbf2 when it stores or
// passes one, so a built executable needs them. They round to nearest even, NaN stays NaN.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fusion/rt_core.h"

static uint16_t bf16_bits(float x) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)(bits >> 16 | 0x40);  // a quiet NaN
  return (uint16_t)((bits + 0x7fff + (bits >> 16 & 1)) >> 16);
}

// A __bf16 result travels in the low 16 bits of xmm0 (x86-64 psABI), as these bits of a float
// do; a float is used because C compilers before GCC 13 have no __bf16 to return.
static float in_low_bits(uint16_t h) {
  uint32_t bits = h;
  float r;
  memcpy(&r, &bits, 4);
  return r;
}

float __truncsfbf2(float x) { return in_low_bits(bf16_bits(x)); }

// Through f32 rounded to odd (an inexact result gets its last bit set), so that the rounding
// to bf16 is the only one.
float __truncdfbf2(double x) {
  float f = (float)x;
  uint32_t bits;
  memcpy(&bits, &f, 4);
  // The neighbour on x's side, one step in magnitude: up when |f| < |x|.
  if ((double)f != x && x == x && (bits & 1) == 0) bits += fabs((double)f) < fabs(x) ? 1 : (uint32_t)-1;
  memcpy(&f, &bits, 4);
  return in_low_bits(bf16_bits(f));
}
