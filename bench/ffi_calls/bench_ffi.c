// bench/ffi_calls: the callees for the FFI call benchmark, built as libbench_ffi.so. Every
// implementation (Fusion, C, LuaJIT, Python ctypes) loads this same library and calls these.
#include <stdint.h>

typedef struct D2 {
  double x, y;
} D2;  // 16 bytes: passed in two SSE registers (SysV class SSE, SSE)

typedef struct S24 {
  double a;
  int64_t b;
  double c;
} S24;  // 24 bytes: class MEMORY, passed on the stack and returned through a hidden pointer

int64_t add1(int64_t x) { return x + 1; }

double dot(D2 a, D2 b) { return a.x * b.x + a.y * b.y; }

// One step of a small recurrence; exact in doubles for the loop sizes used (b stays an integer,
// a and c stay small), so every implementation prints the same checksum.
S24 step(S24 s) {
  S24 r;
  r.a = s.c;
  r.b = s.b + 3;
  r.c = s.a + 1.0;
  return r;
}
