// IEEE binary16 (`f16`) and bfloat16 (`bf16`) rounding for compile-time constants: the values the
// hardware gives, computed in doubles (no LLVM; runtime/src/core/print.c has the C twin).
#pragma once

#include <cmath>
#include <cstdint>

namespace fusion {

// `x` rounded to nearest, ties to even, to a binary format with `precision` significand bits, the
// smallest normal exponent `emin` (below it the format is subnormal) and the largest finite value
// `max` (beyond it, infinity). Exact: scaling by powers of two and std::nearbyint (whose default
// rounding mode is to nearest even) lose nothing.
inline auto RoundToFormat(double x, int precision, int emin, double max) -> double {
  if (x == 0 || std::isnan(x) || std::isinf(x)) return x;
  double mag = std::fabs(x);
  int e;
  std::frexp(mag, &e);  // mag = m * 2^e, m in [0.5, 1): the leading bit is 2^(e-1)
  int lead = e - 1 < emin ? emin : e - 1;
  double quantum = std::ldexp(1.0, lead - (precision - 1));
  double r = std::nearbyint(mag / quantum) * quantum;
  if (r > max) r = INFINITY;
  return std::copysign(r, x);
}

// f16: 11 significand bits, normal exponents from -14, largest 65504.
inline auto RoundF16(double x) -> double { return RoundToFormat(x, 11, -14, 65504.0); }
// bf16: 8 significand bits, f32's exponents (from -126), largest (2 - 2^-7) * 2^127.
inline auto RoundBF16(double x) -> double { return RoundToFormat(x, 8, -126, 0x1.fep127); }

// A 64-bit magnitude as a double that rounds to any format of at most 51 significand bits as the
// integer itself does: exact below 2^53, and above it the bits below 2^11 become one sticky bit
// (round to odd), so that rounding the double once more is not a second rounding.
inline auto StickyDouble(uint64_t mag) -> double {
  if (mag < (uint64_t(1) << 53)) return static_cast<double>(mag);
  uint64_t high = (mag >> 11) | ((mag & 0x7ff) != 0 ? 1 : 0);
  return std::ldexp(static_cast<double>(high), 11);
}

}  // namespace fusion
