#!/usr/bin/env python3
"""The reference for tests/lit/half/exhaustive.fu: f16 and bf16 rounding computed exactly (with
fractions), independent of the compiler's and the runtime's code. Reads the program's output on
stdin, checks every line, prints `half_ref: N lines, F failures` (F > 0: each failure first).

Lines (numbers are decimal, floats as Fusion prints them):
  P i f16text bf16text f16_as_f64 bf16_as_f64 f16_as_bf16_bits bf16_as_f16_bits i32s u8s i64s
                                     every bit pattern i: printing, widening, narrowing, to ints
  A kind op xbits ybits rbits        f16/bf16 arithmetic (kind h or b, op + - * / %)
  D kind value bits                  an f64 value (as Fusion printed it) as f16/bf16
  F kind value bits                  an f32 value (printed as its f64) as f16/bf16
  I kind value bits                  an integer as f16/bf16
  M kind xbits ybits zbits rbits     fused multiply-add x * y + z, rounded once (vec<…>.fma)
"""
import math
import struct
import sys
from fractions import Fraction as Fr

FORMATS = {"h": (5, 10), "b": (8, 7)}  # exponent bits, stored significand bits


def decode(kind, bits):
    eb, mb = FORMATS[kind]
    bias = (1 << (eb - 1)) - 1
    sign = -1 if bits >> (eb + mb) & 1 else 1
    exp = (bits >> mb) & ((1 << eb) - 1)
    man = bits & ((1 << mb) - 1)
    if exp == (1 << eb) - 1:
        return math.nan if man else sign * math.inf
    if exp == 0:
        if man == 0 and sign < 0:
            return -0.0  # a float: a Fraction has no negative zero
        return sign * Fr(man, 1 << mb) * Fr(2) ** (1 - bias)
    return sign * (1 + Fr(man, 1 << mb)) * Fr(2) ** (exp - bias)


def encode(kind, x):
    """x (a Fraction, int, or float inf/nan) rounded to nearest even, as bits (NaN: None)."""
    eb, mb = FORMATS[kind]
    bias = (1 << (eb - 1)) - 1
    top = 1 << (eb + mb)
    if isinstance(x, float):
        if math.isnan(x):
            return None
        if math.isinf(x):
            return (top if x < 0 else 0) | (((1 << eb) - 1) << mb)
        if x == 0:
            return top if math.copysign(1, x) < 0 else 0
        x = Fr(x)
    x = Fr(x)
    sign = top if x < 0 else 0
    a = abs(x)
    if a == 0:
        return sign
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fr(2) ** e > a:
        e -= 1
    e = max(e, 1 - bias)
    n = round(a / Fr(2) ** (e - mb))  # Fraction rounding: half to even
    if n == 1 << (mb + 1):
        n >>= 1
        e += 1
    if n < 1 << mb:  # subnormal (or zero)
        return sign | n
    if e + bias >= (1 << eb) - 1:
        return sign | (((1 << eb) - 1) << mb)
    return sign | ((e + bias) << mb) | (n - (1 << mb))


def same(kind, got, want):
    if want is None:  # any NaN
        eb, mb = FORMATS[kind]
        return (got >> mb) & ((1 << eb) - 1) == (1 << eb) - 1 and got & ((1 << mb) - 1) != 0
    return got == want


def shortest(kind, bits):
    """What Fusion's print gives: Python repr()'s layout of the fewest digits that read back."""
    v = decode(kind, bits)
    if v == 0:
        return "-0.0" if bits >> 15 else "0.0"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "-0.0" if bits >> (15) else "0.0"
    for prec in range(1, 18):
        text = "%.*e" % (prec - 1, float(v))
        if encode(kind, Fr(text)) == bits:
            break
    # repr() layout of that many digits: float(text) reprs with exactly these digits as long as
    # they read back as the f64 float(text), which they do (at most 17 digits).
    return repr(float(text))


def sat_int(v, bits, signed):
    if isinstance(v, float) and math.isnan(v):
        return 0
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if v == math.inf:
        return hi
    if v == -math.inf:
        return lo
    return max(lo, min(hi, int(v)))  # int() of a Fraction truncates toward zero


def arith(op, x, y):
    """The exact result of finite x op y (y nonzero for / and %), a signed zero as a float."""
    sx, sy = math.copysign(1, x) < 0, math.copysign(1, y) < 0
    x, y = Fr(x), Fr(y)
    r = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y}.get(op)
    if r is not None:
        r = r()
    else:
        r = abs(x) - abs(y) * (abs(x) // abs(y))  # fmod: exact, with the sign of x
        r = r if not sx else -r
    if r != 0:
        return r
    # IEEE's signs of an exact zero (rounding to nearest).
    neg = {"+": x == 0 and y == 0 and sx and sy, "-": x == 0 and y == 0 and sx and not sy,
           "*": sx != sy, "/": sx != sy, "%": sx}[op]
    return -0.0 if neg else 0.0


def fma(x, y, z):
    """The exact x * y + z of finite x, y, z, a signed zero as a float."""
    sp = (math.copysign(1, x) < 0) != (math.copysign(1, y) < 0)
    sz = math.copysign(1, z) < 0
    r = Fr(x) * Fr(y) + Fr(z)
    if r != 0:
        return r
    # An exact zero: negative only when both terms are negative zeros (rounding to nearest).
    return -0.0 if sp and sz and x * y == 0 and z == 0 else 0.0


def check(line):
    f = line.split()
    tag = f[0]
    if tag == "P":
        i = int(f[1])
        hv, bv = decode("h", i), decode("b", i)
        errs = []
        if f[2] != shortest("h", i): errs.append("print f16 want %s" % shortest("h", i))
        if f[3] != shortest("b", i): errs.append("print bf16 want %s" % shortest("b", i))
        for k, v, text in (("h", hv, f[4]), ("b", bv, f[5])):
            got = float(text)
            if isinstance(v, float):
                ok = (math.isnan(v) and math.isnan(got)) or (v == got and math.copysign(1, v) == math.copysign(1, got))
            else:
                ok = Fr(got) == v and (v != 0 or math.copysign(1, got) == (-1 if i >> 15 else 1))
            if not ok: errs.append("%s as f64 want %r" % (k, v))
        if not same("b", int(f[6]), encode("b", hv if not isinstance(hv, float) else hv)):
            errs.append("f16 as bf16 want %s" % encode("b", hv))
        if not same("h", int(f[7]), encode("h", bv)):
            errs.append("bf16 as f16 want %s" % encode("h", bv))
        if int(f[8]) != sat_int(hv, 32, True): errs.append("f16 as i32 want %d" % sat_int(hv, 32, True))
        if int(f[9]) != sat_int(hv, 8, False): errs.append("f16 as u8 want %d" % sat_int(hv, 8, False))
        if int(f[10]) != sat_int(bv, 64, True): errs.append("bf16 as i64 want %d" % sat_int(bv, 64, True))
        if int(f[11]) != sat_int(bv, 64, False): errs.append("bf16 as u64 want %d" % sat_int(bv, 64, False))
        return errs
    kind = f[1]
    if tag == "A":
        op, x, y, r = f[2], int(f[3]), int(f[4]), int(f[5])
        want = encode(kind, arith(op, decode(kind, x), decode(kind, y)))
        return [] if same(kind, r, want) else ["want %s" % want]
    if tag == "M":
        x, y, z = (decode(kind, int(v)) for v in f[2:5])
        r = int(f[5])
        want = encode(kind, fma(x, y, z))
        return [] if same(kind, r, want) else ["want %s" % want]
    value, bits = f[2], int(f[3])
    if tag in "DF":  # the f64 that Fusion printed: its repr reads back exactly
        want = encode(kind, float(value))
    else:
        want = encode(kind, int(value))
    return [] if same(kind, bits, want) else ["want %s" % want]


def main():
    lines = failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        lines += 1
        errs = check(line)
        if errs:
            failures += 1
            if failures <= 20:
                print("half_ref: FAIL %s :: %s" % (line.strip(), "; ".join(errs)))
    print("half_ref: %d lines, %d failures" % (lines, failures))
    sys.exit(1 if failures else 0)


main()
