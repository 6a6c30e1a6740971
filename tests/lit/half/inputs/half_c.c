// The C side of extern_calls.fu: _Float16 and __bf16 by value, alone, mixed with other
// arguments, beyond the eight SSE registers, in structs, as results, through a callback and as
// variadic extras (clang 19, x86-64 SysV).
#include <stdarg.h>

typedef _Float16 h16;
typedef __bf16 b16;
typedef struct { h16 a, b; } S2;
typedef struct { h16 a, b, c; } S3;
typedef struct { h16 a; float b; } S4;
typedef struct { b16 a, b, c, d, e; } S5;
typedef struct { double d; b16 a; } S6;
typedef struct { h16 x; int i; } S7;

h16 hc_add(h16 a, h16 b) { return a + b; }
b16 hc_badd(b16 a, b16 b) { return a + b; }
double hc_mix(int i, h16 h, float f, b16 b, double d) { return i + 10.0 * h + 100.0 * f + 1000.0 * (double)b + 10000.0 * d; }
double hc_many(h16 a0, h16 a1, h16 a2, h16 a3, h16 a4, h16 a5, h16 a6, h16 a7, b16 a8, h16 a9) {
  return a0 + 2.0 * a1 + 3.0 * a2 + 4.0 * a3 + 5.0 * a4 + 6.0 * a5 + 7.0 * a6 + 8.0 * a7 + 9.0 * (double)a8 + 10.0 * a9;
}
S2 hc_s2(S2 x) { return (S2){x.b, x.a}; }
S3 hc_s3(S3 x) { return (S3){x.c, x.a, x.b}; }
S4 hc_s4(S4 x) { return (S4){(h16)x.b, (float)x.a}; }
S5 hc_s5(S5 x) { return (S5){x.e, x.d, x.c, x.b, x.a}; }
S6 hc_s6(S6 x) { return (S6){(double)x.a, (b16)x.d}; }
S7 hc_s7(S7 x) { return (S7){x.x + (h16)1, x.i + 1}; }
double hc_call(h16 (*f)(h16, b16), h16 x, b16 y) { return f(x, y); }
double hc_va(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double sum = 0;
  for (int k = 0; k < n; k++) sum = sum * 10 + va_arg(ap, double);
  va_end(ap);
  return sum;
}
// Variadic _Float16 and __bf16 are not promoted (C has no default promotion for them).
double hc_va_half(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double h = va_arg(ap, h16);
  double b = (double)va_arg(ap, b16);
  va_end(ap);
  return h * 10 + b + n;
}
int hc_sizes(int what) {
  switch (what) {
    case 0: return sizeof(S3);
    case 1: return sizeof(S4);
    case 2: return sizeof(S5);
    case 3: return sizeof(S6);
    default: return _Alignof(S6);
  }
}
