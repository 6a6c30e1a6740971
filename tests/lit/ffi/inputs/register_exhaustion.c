// For register_exhaustion.fu: a C callee whose {double, double} argument comes after the integer
// registers have run out.
#include <stdint.h>
typedef struct { int16_t a; } S3;
typedef struct { double a, b; } S4;
double regs_callee(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
                   int32_t* a6, double a7, S3 a8, S4 a9) {
  return (double)(a0 + a1 + a2 + a3 + a4 + a5) + (a6 ? 1000.0 : 0.0) + a7 + a8.a + a9.a * 10.0 +
         a9.b * 100.0;
}
