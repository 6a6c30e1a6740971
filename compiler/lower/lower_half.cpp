// f16 and bf16: conversions, and bf16 arithmetic on the host, each rounded once to nearest even,
// so that the CPU gives the GPU's bits.
//
// What LLVM 19 does by itself, and where that is not enough:
// - f16 arithmetic on x86-64 is computed in f32 and each result rounded to f16 (the F16C
//   instructions, or libgcc's __extendhfsf2/__truncsfhf2). For + - * / and sqrt that is the
//   correctly rounded result: f32 has more than 2p + 2 bits for p = 11 (and for bf16's 8).
//   NVPTX has f16 instructions (`add.rn.f16`, …) on sm_53 and later. So f16 is left to LLVM.
// - bf16 on x86-64 would round through __truncsfbf2, which libgcc before 13 lacks, and with
//   AVX512-BF16 through VCVTNEPS2BF16, which flushes subnormals to zero. So the host rounds f32
//   to bf16 here, in integer operations (RoundToBF16); the device keeps LLVM's `bf16`
//   instructions (`add.rn.bf16` on sm_90, f32 and `cvt.rn.bf16.f32` on sm_80).
// - int → bf16 goes through f32 on x86-64 and on sm_80 (`cvt.rn.f32.s32` then
//   `cvt.rn.bf16.f32`): rounded twice, so 0x1010001 gives 0x1000000, not 0x1020000. Here
//   integers go through f64 (exact for 32 bits; for 64 bits with a sticky bit) and f64 → bf16.
// - f64 → f16 and f64 → bf16 on the host round to odd to f32 first (RoundToOddF32), then once
//   to 16 bits; NVPTX has `cvt.rn.f16.f64` and `cvt.rn.bf16.f64` (sm_90). Below sm_90 f64 → bf16
//   is rounded to odd here too (LLVM would fold the int → f64 → bf16 above back into a double
//   rounding), then once to bf16 (`cvt.rn.bf16.f32` on sm_80, integer operations on sm_75).
// - bf16 fma on sm_75 (which has none) is the host's exact path too (HalfFma).
#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

namespace {
// `scalar` in the shape of `v`'s type: itself, or a vector of as many lanes.
auto LikeType(llvm::Value* v, llvm::Type* scalar) -> llvm::Type* {
  if (auto* vt = llvm::dyn_cast<llvm::VectorType>(v->getType())) return llvm::VectorType::get(scalar, vt);
  return scalar;
}
}  // namespace

// f32 (or a vector of f32) to bf16, each lane rounded to nearest even.
auto Lowerer::RoundToBF16(llvm::Value* f) -> llvm::Value* {
  if (device_) return b_.CreateFPTrunc(f, LikeType(f, b_.getBFloatTy()));
  llvm::Type* i32 = LikeType(f, b_.getInt32Ty());
  llvm::Value* bits = b_.CreateBitCast(f, i32);
  llvm::Value* high = b_.CreateLShr(bits, 16);
  llvm::Value* lsb = b_.CreateAnd(high, llvm::ConstantInt::get(i32, 1));
  // Adding 0x7fff (0x8000 when the kept part is odd) carries into the kept part exactly when
  // the dropped part is above half, or half and the kept part odd; infinity stays infinity and
  // the largest finite values round up to it.
  llvm::Value* rounded = b_.CreateLShr(b_.CreateAdd(b_.CreateAdd(bits, llvm::ConstantInt::get(i32, 0x7fff)), lsb), 16);
  llvm::Value* quiet_nan = b_.CreateOr(high, llvm::ConstantInt::get(i32, 0x40));
  llvm::Value* is_nan = b_.CreateFCmpUNO(f, f);
  llvm::Value* h = b_.CreateTrunc(b_.CreateSelect(is_nan, quiet_nan, rounded), LikeType(f, b_.getInt16Ty()));
  return b_.CreateBitCast(h, LikeType(f, b_.getBFloatTy()));
}

auto Lowerer::RoundToOddF32(llvm::Value* d) -> llvm::Value* {
  llvm::Type* i32 = LikeType(d, b_.getInt32Ty());
  llvm::Value* f = b_.CreateFPTrunc(d, LikeType(d, b_.getFloatTy()));
  llvm::Value* back = b_.CreateFPExt(f, d->getType());
  llvm::Value* inexact = b_.CreateFCmpONE(back, d);  // false for NaN
  llvm::Value* bits = b_.CreateBitCast(f, i32);
  llvm::Value* even = b_.CreateICmpEQ(b_.CreateAnd(bits, llvm::ConstantInt::get(i32, 1)), llvm::ConstantInt::get(i32, 0));
  // d lies between f and f's neighbour on d's side; when f is even that neighbour is the odd one
  // of the two. The neighbour is one step in magnitude (sign and magnitude bits): up when
  // |f| < |d| (a tiny d rounded to zero included), down when |f| > |d| (an infinity from a
  // finite d becomes the largest float).
  llvm::Value* abs_back = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, back);
  llvm::Value* abs_d = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, d);
  llvm::Value* up = b_.CreateFCmpOLT(abs_back, abs_d);
  llvm::Value* neighbour = b_.CreateSelect(up, b_.CreateAdd(bits, llvm::ConstantInt::get(i32, 1)),
                                           b_.CreateSub(bits, llvm::ConstantInt::get(i32, 1)));
  llvm::Value* odd = b_.CreateSelect(b_.CreateAnd(inexact, even), neighbour, bits);
  return b_.CreateBitCast(odd, f->getType());
}

auto Lowerer::HalfToF32(llvm::Value* v) -> llvm::Value* { return b_.CreateFPExt(v, LikeType(v, b_.getFloatTy())); }

auto Lowerer::FloatCast(llvm::Value* v, const Type* from, const Type* to) -> llvm::Value* {
  if (from == to) return v;
  if (!to->IsHalf()) {
    // Widening a 16-bit float is exact; bf16 → f64 goes through f32, which is a shift.
    if (from->IsHalf()) v = HalfToF32(v);
    return b_.CreateFPCast(v, LikeType(v, ValTy(to)));
  }
  if (from->IsHalf()) v = HalfToF32(v);  // f16 ↔ bf16: exact to f32, then one rounding
  bool is_double = v->getType()->getScalarType()->isDoubleTy();
  // Below sm_90 the device rounds to odd here too: LLVM folds an fptrunc to bf16 of an i32's
  // exact f64 into a sitofp to bf16, which NVPTX then rounds twice (`cvt.rn.f32.s32`, then to
  // bf16); sm_90 has `cvt.rn.bf16.s32`.
  if (is_double && (!device_ || (to->is_bfloat && device_sm_ < 90))) v = RoundToOddF32(v), is_double = false;
  if (to->is_bfloat) return is_double ? b_.CreateFPTrunc(v, LikeType(v, b_.getBFloatTy())) : RoundToBF16(v);
  return b_.CreateFPTrunc(v, LikeType(v, b_.getHalfTy()));
}

auto Lowerer::IntToHalf(llvm::Value* v, bool is_signed, int bits, const Type* to) -> llvm::Value* {
  // To f16, through f32 is one rounding: integers below 2^24 are exact in f32, and the rest
  // round to infinity either way.
  llvm::Type* h = LikeType(v, b_.getHalfTy());
  if (!to->is_bfloat) return is_signed ? b_.CreateSIToFP(v, h) : b_.CreateUIToFP(v, h);
  llvm::Type* f32 = LikeType(v, b_.getFloatTy());
  if (bits <= 16) return RoundToBF16(is_signed ? b_.CreateSIToFP(v, f32) : b_.CreateUIToFP(v, f32));
  llvm::Type* f64 = LikeType(v, b_.getDoubleTy());
  llvm::Value* d;
  if (bits <= 32) {
    d = is_signed ? b_.CreateSIToFP(v, f64) : b_.CreateUIToFP(v, f64);  // exact
  } else {
    // The magnitude below 2^53 is exact in f64; above, its bits below 2^11 become one sticky bit
    // (as base/half.h's StickyDouble), so f64 → bf16 is the only rounding.
    llvm::Type* i64 = v->getType();
    llvm::Value* negative = is_signed ? b_.CreateICmpSLT(v, llvm::ConstantInt::get(i64, 0)) : b_.getFalse();
    llvm::Value* mag = is_signed ? b_.CreateSelect(negative, b_.CreateNeg(v), v) : v;
    llvm::Value* small = b_.CreateICmpULT(mag, llvm::ConstantInt::get(i64, uint64_t(1) << 53));
    llvm::Value* sticky = b_.CreateZExt(
        b_.CreateICmpNE(b_.CreateAnd(mag, llvm::ConstantInt::get(i64, 0x7ff)), llvm::ConstantInt::get(i64, 0)), i64);
    llvm::Value* high = b_.CreateOr(b_.CreateLShr(mag, 11), sticky);
    llvm::Value* scaled = b_.CreateFMul(b_.CreateUIToFP(high, f64), llvm::ConstantFP::get(f64, 2048.0));
    d = b_.CreateSelect(small, b_.CreateUIToFP(mag, f64), scaled);
    if (is_signed) d = b_.CreateSelect(negative, b_.CreateFNeg(d), d);
  }
  return FloatCast(d, m_.types->f64(), to);
}

// a * b + c for f16 or bf16 values (or vectors of them, `elem` their type), rounded once. NVPTX
// has fma.rn.f16 and .f16x2 (and bf16 from sm_80). On the host, and for bf16 below sm_80, LLVM
// would compute in f32 and round twice (1 + 2^-11 + 2^-40 gives 1, not 1 + 2^-10; in bf16
// 1.0625 * 1.0625 + 2^-30 gives 1.125, not 1.1328125), so: a * b is exact in f64 (22 bits at
// most), the sum is rounded to odd in f64 (its rounding error found exactly, as in TwoSum: no
// product or sum of halves is beyond f64's range), and then FloatCast rounds once more to 16
// bits, which gives the correctly rounded result since f64 keeps more than 11 + 2 bits. (On
// the device f64 → bf16 is LLVM's: rounded to odd to f32, then to nearest even, also once.)
auto Lowerer::HalfFma(llvm::Value* a, llvm::Value* b, llvm::Value* c, const Type* elem) -> llvm::Value* {
  if (device_ && (!elem->is_bfloat || device_sm_ >= 80))
    return b_.CreateIntrinsic(llvm::Intrinsic::fma, {a->getType()}, {a, b, c});
  llvm::Type* f64 = LikeType(a, b_.getDoubleTy());
  llvm::Type* i64 = LikeType(a, b_.getInt64Ty());
  auto wide = [&](llvm::Value* v) { return b_.CreateFPExt(HalfToF32(v), f64); };
  llvm::Value* p = b_.CreateFMul(wide(a), wide(b));
  llvm::Value* d = wide(c);
  llvm::Value* r = b_.CreateFAdd(p, d);
  llvm::Value* bb = b_.CreateFSub(r, p);
  llvm::Value* err = b_.CreateFAdd(b_.CreateFSub(p, b_.CreateFSub(r, bb)), b_.CreateFSub(d, bb));
  llvm::Value* inexact = b_.CreateFCmpONE(err, llvm::ConstantFP::get(f64, 0.0));  // false for NaN
  llvm::Value* bits = b_.CreateBitCast(r, i64);
  llvm::Value* zero = llvm::ConstantInt::get(i64, 0);
  llvm::Value* even = b_.CreateICmpEQ(b_.CreateAnd(bits, llvm::ConstantInt::get(i64, 1)), zero);
  // The exact sum is beyond r on err's side: one step up in magnitude when err has r's sign.
  llvm::Value* same_sign = b_.CreateICmpSGE(b_.CreateXor(bits, b_.CreateBitCast(err, i64)), zero);
  llvm::Value* neighbour = b_.CreateSelect(same_sign, b_.CreateAdd(bits, llvm::ConstantInt::get(i64, 1)),
                                           b_.CreateSub(bits, llvm::ConstantInt::get(i64, 1)));
  llvm::Value* odd = b_.CreateBitCast(b_.CreateSelect(b_.CreateAnd(inexact, even), neighbour, bits), f64);
  return FloatCast(odd, m_.types->f64(), elem);
}

auto Lowerer::HostBF16Arith(TokenKind op, llvm::Value* l, llvm::Value* r, SourceRange where) -> llvm::Value* {
  return RoundToBF16(LowerArith(op, HalfToF32(l), HalfToF32(r), m_.types->f32(), where));
}

auto Lowerer::HostBF16Neg(llvm::Value* v) -> llvm::Value* {
  llvm::Type* i16 = LikeType(v, b_.getInt16Ty());
  llvm::Value* bits = b_.CreateBitCast(v, i16);
  return b_.CreateBitCast(b_.CreateXor(bits, llvm::ConstantInt::get(i16, 0x8000)), v->getType());
}

}  // namespace fusion::lower
