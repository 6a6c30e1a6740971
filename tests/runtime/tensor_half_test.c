// The runtime's host conversions between f32 and the half types (tensor_internal.h), which the CPU
// device's half matmul rounds its f32 results with: every half value converts to f32 and back to
// itself, and a sweep of f32 bit patterns (every exponent, both signs, NaN and infinity) rounds
// as a reference computed in double does: to nearest even, overflow to infinity, subnormals on
// f16's grid of 2^-24.
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../runtime/src/tensor/tensor_internal.h"
#include "test_check.h"

// `x` rounded to nearest even to `precision` significand bits, smallest normal exponent `emin`,
// largest finite `max` (as the compiler reads a half literal: base/half.h).
static double reference(double x, int precision, int emin, double max) {
  if (x == 0 || isnan(x) || isinf(x)) return x;
  int e;
  frexp(fabs(x), &e);
  int lead = e - 1 < emin ? emin : e - 1;
  double quantum = ldexp(1.0, lead - (precision - 1));
  double r = nearbyint(fabs(x) / quantum) * quantum;
  if (r > max) r = INFINITY;
  return copysign(r, x);
}

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static void check_format(bool bf) {
  const char* name = bf ? "bf16" : "f16";
  int bad = 0;
  for (uint32_t h = 0; h < 65536; h++) {
    float f = rtt_half_to_f32((uint16_t)h, bf);
    if (isnan(f)) continue;
    uint16_t back = rtt_f32_to_half(f, bf);
    if (back != h && bad++ < 5) CHECK(false, "%s 0x%04x -> %.9g -> 0x%04x", name, h, (double)f, back);
  }
  for (uint64_t b = 0; b < (UINT64_C(1) << 32); b += 4093) {  // a prime step: every low-bit pattern
    float f = from_bits((uint32_t)b);
    double got = rtt_half_to_f32(rtt_f32_to_half(f, bf), bf);
    double want = bf ? reference(f, 8, -126, 0x1.fep127) : reference(f, 11, -14, 65504.0);
    bool ok = isnan(want) ? isnan(got) : got == want && signbit(got) == signbit(want);
    if (!ok && bad++ < 5) CHECK(false, "%s of %.9g (0x%08x): %.9g, want %.9g", name, (double)f, (uint32_t)b, got, want);
  }
  // The edges: f16's largest finite value, the ties above it, the subnormals' ties.
  if (!bf) {
    CHECK(rtt_f32_to_half(65519.996f, false) == 0x7bff, "below 65520 rounds to 65504");
    CHECK(rtt_f32_to_half(65520.0f, false) == 0x7c00, "65520 rounds to inf");
    CHECK(rtt_f32_to_half(0x1p-25f, false) == 0, "half the smallest subnormal is a tie, to 0");
    CHECK(rtt_f32_to_half(0x1.8p-24f, false) == 2, "1.5 subnormal steps is a tie, to 2");
    CHECK(rtt_f32_to_half(-0.0f, false) == 0x8000, "-0 keeps its sign");
  } else {
    CHECK(rtt_f32_to_half(0x1.01p0f, true) == 0x3f80, "a tie below rounds to even");
    CHECK(rtt_f32_to_half(0x1.03p0f, true) == 0x3f82, "a tie above rounds to even");
  }
}

int main(void) {
  check_format(false);
  check_format(true);
  return finish("tensor_half_test");
}
