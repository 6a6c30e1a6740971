// The x86-64 SysV C calling convention (psABI §3.2.3) for Fusion types: how a value travels as an
// argument or a result of a C call. The classification is pure (no LLVM), so the unit tests check
// it against the psABI's examples; lowering turns it into LLVM types and attributes (lower_ffi.cpp).
#pragma once

#include <cstdint>

#include "sema/types.h"

namespace fusion::sema {

// One eightbyte of a value passed in registers.
struct Eightbyte {
  enum class Class : uint8_t { Integer, Sse } cls = Class::Integer;
  uint8_t size = 8;  // bytes of the value in it: 8, or fewer in the last eightbyte
  // For SSE: what floating-point data it holds, which decides its LLVM type (as clang does):
  // a double → double; floats in both halves → <2 x float>; a float in the low half only → float.
  // An f16 or bf16 anywhere in it → <N x half> (clang's <2 x half>, <4 x half>, …: the bytes in
  // the register's low lanes, whatever else shares the eightbyte).
  bool has_double = false;
  bool float_lo = false;
  bool float_hi = false;
  bool has_half = false;
};

struct CPassing {
  enum class Kind : uint8_t {
    Ignore,  // no data (void, an empty struct)
    Direct,  // in one or two registers (a scalar is one eightbyte of its own)
    Memory,  // on the stack (arguments, `byval`) or through a hidden pointer (results, `sret`)
  } kind = Kind::Ignore;
  Eightbyte parts[2];
  int count = 0;  // eightbytes, for Direct
  auto IntRegs() const -> int {
    int n = 0;
    for (int i = 0; i < count; i++) n += parts[i].cls == Eightbyte::Class::Integer;
    return n;
  }
  auto SseRegs() const -> int { return count - IntRegs(); }
};

// How a value of type `t` (a scalar, struct or union; laid out) is passed, before counting the
// registers a whole call has: an aggregate that finds too few registers left goes by memory.
auto ClassifyC(const Type* t) -> CPassing;

}  // namespace fusion::sema
