// SIMD vectors, vec<T, N>, as LLVM's <N x T>: splats, conversions, shuffles, reductions and
// lane-by-lane math (sema/check_vec.cpp checks them; docs/language.md describes them).
#include <llvm/IR/Intrinsics.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

// `v` of type `from` as a value of vector type `vt`: a vector stays, a scalar is converted to the
// element type (a shift amount may be any integer) and copied into every lane.
auto Lowerer::VecSplat(llvm::Value* v, const Type* from, const Type* vt) -> llvm::Value* {
  if (from->IsVector()) return v;
  if (from->IsInt() && from != vt->elem) v = IntCast(v, from, MemTy(vt->elem));
  return b_.CreateVectorSplat(static_cast<unsigned>(vt->count), v);
}

auto Lowerer::LowerVecCast(const ast::Cast* e) -> llvm::Value* {
  const Type* from = e->expr->type;
  const Type* to = e->type;
  if (from == to) return LowerExpr(e->expr);
  if (to->kind == TypeKind::Array) {  // vec<T, N> as [T; N]: the lanes in order, in memory
    llvm::AllocaInst* tmp = EntryAllocaOf(to, "lanes");
    b_.CreateAlignedStore(LowerExpr(e->expr), tmp, llvm::Align(from->elem->align));
    return Load(tmp, to);
  }
  if (from->kind == TypeKind::Array)  // [T; N] as vec<T, N>
    return b_.CreateAlignedLoad(MemTy(to), LowerAddr(e->expr), llvm::Align(from->elem->align));
  llvm::Value* v = LowerExpr(e->expr);
  if (!from->IsVector()) return VecSplat(v, from, to);
  // Lane by lane, as `as` converts a scalar (float to integer saturates, NaN gives 0).
  const Type* fe = from->elem;
  const Type* te = to->elem;
  llvm::Type* dst = MemTy(to);
  if (fe->IsInt() && te->IsInt()) return b_.CreateIntCast(v, dst, fe->is_signed);
  if (fe->IsInt() && te->IsHalf()) return IntToHalf(v, fe->is_signed, fe->bits, te);  // rounded once
  if (fe->IsInt()) return fe->is_signed ? b_.CreateSIToFP(v, dst) : b_.CreateUIToFP(v, dst);
  if (te->IsInt())
    return b_.CreateIntrinsic(te->is_signed ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat,
                              {dst, v->getType()}, {v});
  return FloatCast(v, fe, te);  // halves rounded once, as scalars are
}

// min or max of two vectors lane by lane: fmin/fmax's rule for floats (a NaN lane takes the other
// operand), signed or unsigned for integers.
auto Lowerer::VecMinMax(bool is_min, llvm::Value* a, llvm::Value* b, const Type* elem) -> llvm::Value* {
  llvm::Intrinsic::ID id;
  if (elem->IsFloat()) id = is_min ? llvm::Intrinsic::minnum : llvm::Intrinsic::maxnum;
  else if (elem->is_signed) id = is_min ? llvm::Intrinsic::smin : llvm::Intrinsic::smax;
  else id = is_min ? llvm::Intrinsic::umin : llvm::Intrinsic::umax;
  return b_.CreateBinaryIntrinsic(id, a, b);
}

auto Lowerer::LowerVecMethod(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  const Type* vt = e->self->type;
  const Type* elem = vt->elem;
  llvm::Value* v = LowerExpr(e->self);
  std::vector<llvm::Value*> args;
  for (const ast::Expr* a : e->args) args.push_back(a->type->IsVector() ? LowerExpr(a) : nullptr);
  switch (e->builtin) {
    case B::VecShuffle: {
      llvm::Value* second = e->args.size() > e->vec_lanes.size() ? args[0] : llvm::PoisonValue::get(MemTy(vt));
      std::vector<int> mask(e->vec_lanes.begin(), e->vec_lanes.end());
      return b_.CreateShuffleVector(v, second, mask);
    }
    case B::VecFma:
      for (size_t i = 0; i < 2; i++)
        if (!args[i]) args[i] = VecSplat(LowerExpr(e->args[i]), e->args[i]->type, vt);
      if (elem->IsHalf()) return HalfFma(v, args[0], args[1], elem);
      return b_.CreateIntrinsic(llvm::Intrinsic::fma, {MemTy(vt)}, {v, args[0], args[1]});
    default:
      break;
  }
  bool is_min = e->builtin == B::VecMin;
  if (!e->args.empty()) {  // a.min(b), a.max(b): lane by lane
    llvm::Value* other = args[0] ? args[0] : VecSplat(LowerExpr(e->args[0]), e->args[0]->type, vt);
    return VecMinMax(is_min, v, other, elem);
  }
  // The lanes reduced in a fixed order, so that a float sum is the same at every -O: the upper
  // half is combined into the lower half, lane by lane, until one lane is left.
  for (uint64_t n = vt->count; n > 1; n /= 2) {
    std::vector<int> lo, hi;
    for (uint64_t i = 0; i < n / 2; i++) lo.push_back(static_cast<int>(i)), hi.push_back(static_cast<int>(i + n / 2));
    llvm::Value* a = b_.CreateShuffleVector(v, lo);
    llvm::Value* b = b_.CreateShuffleVector(v, hi);
    if (e->builtin == B::VecSum) v = LowerArith(lex::TokenKind::Plus, a, b, elem, e->range);  // vectors of elem
    else v = VecMinMax(is_min, a, b, elem);
  }
  return b_.CreateExtractElement(v, uint64_t{0});
}

}  // namespace fusion::lower
