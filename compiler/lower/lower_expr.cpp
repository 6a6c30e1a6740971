// Expressions: values (LowerExpr) and addresses of lvalues (LowerAddr).
#include <llvm/IR/Intrinsics.h>

#include "base/check.h"
#include "base/half.h"
#include "lower/lowerer.h"

namespace fusion::lower {

// A vector through a pointer may sit at any multiple of its element's alignment (`p + 3`) on the
// host; on the GPU it is accessed whole, so its address must be a multiple of its size (16 at
// most: the widest access), as CUDA's half2 and float4 are: one 4-byte access for a vec<f16, 2>.
auto Lowerer::AccessAlign(const Type* t) const -> uint64_t {
  if (!t->IsVector()) return t->align;
  return device_ ? std::min<uint64_t>(t->size, 16) : t->elem->align;
}

auto Lowerer::Load(llvm::Value* ptr, const Type* t) -> llvm::Value* {
  llvm::LoadInst* v = b_.CreateLoad(MemTy(t), ptr);
  if (t->align) v->setAlignment(llvm::Align(AccessAlign(t)));
  if (t->kind == TypeKind::Bool) return b_.CreateTrunc(v, b_.getInt1Ty());
  return v;
}

void Lowerer::Store(llvm::Value* v, llvm::Value* ptr, const Type* t) {
  if (t->kind == TypeKind::Bool) v = b_.CreateZExt(v, b_.getInt8Ty());
  llvm::StoreInst* s = b_.CreateStore(v, ptr);
  if (t->align) s->setAlignment(llvm::Align(AccessAlign(t)));
}

auto Lowerer::IntCast(llvm::Value* v, const Type* from, llvm::Type* to) -> llvm::Value* {
  bool is_signed = from->kind == TypeKind::Enum ? from->backing->is_signed : from->is_signed;
  if (from->kind == TypeKind::Bool) is_signed = false;
  return b_.CreateIntCast(v, to, is_signed);
}

auto Lowerer::LowerAddr(const ast::Expr* e) -> llvm::Value* {
  DebugLocScope loc(*this, e->range);
  switch (e->kind) {
    case ast::NodeKind::Name: {
      if (As<ast::Name>(e)->gpu != ast::GpuValue::None) return GpuValueAddr(As<ast::Name>(e));
      const ast::Node* d = As<ast::Name>(e)->decl;
      if (auto* c = As<ast::ConstDecl>(d)) {
        auto it = statics_.find(c);
        if (it != statics_.end()) return it->second;
        // A const used as a place (`TABLE[i]`): give it read-only storage. On the device, PTX's
        // constant memory (`.const`, cached and broadcast to a warp), while the module's consts
        // fit in its 64 KiB; those beyond stay in `.global`.
        uint64_t align = std::max<uint64_t>(16, c->type->align);
        uint64_t bytes = (c->type->size + align - 1) / align * align;  // with the padding before the next
        bool in_const = device_ && device_const_bytes_ + bytes <= kDeviceConstBytes;
        auto* g = new llvm::GlobalVariable(*mod_, MemTy(c->type), true, llvm::GlobalValue::PrivateLinkage,
                                           ConstToLLVM(m_.const_values.at(c), c->type), "fusion.const." + c->name,
                                           nullptr, llvm::GlobalValue::NotThreadLocal, in_const ? kConstAddrSpace : 0);
        g->setAlignment(llvm::Align(c->type->align));
        if (!in_const) return statics_[c] = g;
        device_const_bytes_ += bytes;
        // The generic address, made where the global is (a constant expression, so it dominates every use).
        return statics_[c] = llvm::ConstantExpr::getAddrSpaceCast(g, b_.getPtrTy());
      }
      if (split_remat_.count(d)) return SplitRematAddr(As<ast::Let>(d));
      auto it = locals_.find(d);
      FUSION_CHECK(it != locals_.end()) << "no storage for " << As<ast::Name>(e)->name;
      return it->second;
    }
    case ast::NodeKind::Unary:
      return LowerExpr(As<ast::Unary>(e)->operand);
    case ast::NodeKind::Index:
      return LowerIndexAddr(As<ast::Index>(e));
    case ast::NodeKind::Field:
      return LowerFieldAddr(As<ast::Field>(e));
    default: {
      // A temporary: evaluate into a fresh slot.
      llvm::AllocaInst* tmp = EntryAllocaOf(e->type, "tmp");
      StoreInto(e, tmp);
      return tmp;
    }
  }
}

auto Lowerer::LowerExpr(const ast::Expr* e) -> llvm::Value* {
  DebugLocScope loc(*this, e->range);
  const Type* t = e->type;
  FUSION_CHECK(t && !t->IsUntyped() && !t->IsError()) << ast::NodeKindName(e->kind) << " has type " << sema::ToString(t);
  if (auto* c = As<ast::Call>(e); c && c->builtin > ast::Builtin::StringFirst) return LowerStringCall(c);
  if (auto* i = As<ast::Index>(e); i && i->base->type->IsString()) return LowerStringIndex(i);
  if (auto* b = As<ast::Binary>(e); b && b->lhs->type->IsString()) return LowerStringBinary(b);
  if (options_.tensors) {
    auto run = options_.tensors->runs.find(e);
    if (run != options_.tensors->runs.end()) return LowerRun(*run->second);
    if (auto* c = As<ast::Call>(e); c && c->builtin > ast::Builtin::TensorFirst) return LowerTensorCall(c);
    if (auto* i = As<ast::Index>(e); i && i->base->type->IsTensor()) return LowerTensorIndex(i);
  }
  switch (e->kind) {
    case ast::NodeKind::IntLit: {
      uint64_t v = As<ast::IntLit>(e)->value;
      if (t->IsFloat()) return llvm::ConstantFP::get(ValTy(t), t->IsHalf() ? StickyDouble(v) : static_cast<double>(v));
      return llvm::ConstantInt::get(ValTy(t), v);
    }
    case ast::NodeKind::FloatLit:
      return llvm::ConstantFP::get(ValTy(t), As<ast::FloatLit>(e)->value);
    case ast::NodeKind::BoolLit:
      return b_.getInt1(As<ast::BoolLit>(e)->value);
    case ast::NodeKind::NullLit:
      return llvm::ConstantPointerNull::get(b_.getPtrTy());
    case ast::NodeKind::StringLit:
      if (t->IsString()) return StringObject(As<ast::StringLit>(e)->value);
      return StringConst(As<ast::StringLit>(e)->value);
    case ast::NodeKind::TypeQuery:
      return llvm::ConstantInt::get(ValTy(t), As<ast::TypeQuery>(e)->value);
    case ast::NodeKind::Name: {
      auto* n = As<ast::Name>(e);
      if (n->gpu == ast::GpuValue::WarpSize) return b_.getInt32(32);
      if (auto* fn = As<ast::FnDecl>(n->decl)) return FunctionValue(fn, e->range);
      if (auto* c = As<ast::ConstDecl>(n->decl); c && !c->is_static) {
        llvm::Constant* k = ConstToLLVM(m_.const_values.at(c), t);
        return t->kind == TypeKind::Bool ? b_.CreateTrunc(k, b_.getInt1Ty()) : static_cast<llvm::Value*>(k);
      }
      llvm::Value* addr = LowerAddr(e);
      if (IsSharedPlace(e)) CheckAccess(addr, t, false, e->range, /*via_pointer=*/false);
      return Load(addr, t);
    }
    case ast::NodeKind::Unary:
      return LowerUnary(As<ast::Unary>(e));
    case ast::NodeKind::Binary:
      return LowerBinary(As<ast::Binary>(e));
    case ast::NodeKind::Call:
      return LowerCall(As<ast::Call>(e));
    case ast::NodeKind::Cast:
      return LowerCast(As<ast::Cast>(e));
    case ast::NodeKind::Index: {
      llvm::Value* addr = LowerIndexAddr(As<ast::Index>(e));
      if (IsPointerAccess(e) || IsSharedPlace(e)) CheckAccess(addr, t, false, e->range, IsPointerAccess(e));
      return Load(addr, t);
    }
    case ast::NodeKind::Field: {
      auto* f = As<ast::Field>(e);
      if (f->enum_decl) return llvm::ConstantInt::get(ValTy(t), static_cast<uint64_t>(f->enum_value));
      llvm::Value* addr = LowerFieldAddr(f);
      if (f->through_pointer || IsSharedPlace(e)) CheckAccess(addr, t, false, e->range, f->through_pointer);
      return Load(addr, t);
    }
    case ast::NodeKind::ArrayLit:
    case ast::NodeKind::ArrayRepeat:
    case ast::NodeKind::StructLit:
      return LowerAggregate(e);
    default:
      FUSION_UNREACHABLE("expression " << ast::NodeKindName(e->kind));
  }
}

auto Lowerer::LowerAggregate(const ast::Expr* e) -> llvm::Value* {
  llvm::AllocaInst* tmp = EntryAllocaOf(e->type, "agg");
  StoreInto(e, tmp);
  return Load(tmp, e->type);
}

auto Lowerer::LowerUnary(const ast::Unary* e) -> llvm::Value* {
  switch (e->op) {
    case TokenKind::Minus: {
      llvm::Value* v = LowerExpr(e->operand);
      const Type* et = e->type->IsVector() ? e->type->elem : e->type;
      if (et->IsHalf() && et->is_bfloat && !device_) return HostBF16Neg(v);
      return et->IsFloat() ? b_.CreateFNeg(v) : b_.CreateNeg(v);
    }
    case TokenKind::Bang:
    case TokenKind::Tilde:
      return b_.CreateNot(LowerExpr(e->operand));
    case TokenKind::Star: {
      llvm::Value* addr = LowerExpr(e->operand);
      CheckAccess(addr, e->type, false, e->range);
      return Load(addr, e->type);
    }
    case TokenKind::Amp:
      return LowerAddr(e->operand);
    default:
      FUSION_UNREACHABLE("unary operator");
  }
}

auto Lowerer::LowerBinary(const ast::Binary* e) -> llvm::Value* {
  if (e->op == TokenKind::AmpAmp || e->op == TokenKind::PipePipe) return LowerLogical(e);
  const Type* lt = e->lhs->type;
  llvm::Value* l = LowerExpr(e->lhs);
  llvm::Value* r = LowerExpr(e->rhs);
  switch (e->op) {
    case TokenKind::EqEq:
    case TokenKind::NotEq:
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq:
      return LowerCompare(e->op, l, r, lt);
    default:
      break;
  }
  if (lt->kind == TypeKind::Pointer) {
    if (e->rhs->type->kind == TypeKind::Pointer) {  // p - q, in elements
      llvm::Value* diff = b_.CreateSub(b_.CreatePtrToInt(l, b_.getInt64Ty()), b_.CreatePtrToInt(r, b_.getInt64Ty()));
      uint64_t size = lt->elem->kind == TypeKind::Void ? 1 : lt->elem->size;
      return size <= 1 ? diff : b_.CreateExactSDiv(diff, b_.getInt64(size));
    }
    return PointerOffset(l, lt, r, e->rhs->type, e->op == TokenKind::Minus);
  }
  if (e->type->IsVector()) {  // a scalar operand is every lane's
    l = VecSplat(l, lt, e->type);
    r = VecSplat(r, e->rhs->type, e->type);
    return LowerArith(e->op, l, r, e->type, e->op_range);
  }
  if (e->op == TokenKind::Shl || e->op == TokenKind::Shr) r = IntCast(r, e->rhs->type, l->getType());
  return LowerArith(e->op, l, r, e->type, e->op_range);
}

auto Lowerer::PointerOffset(llvm::Value* ptr, const Type* ptr_type, llvm::Value* n, const Type* n_type,
                            bool negate) -> llvm::Value* {
  llvm::Value* count = IntCast(n, n_type, b_.getInt64Ty());
  if (negate) count = b_.CreateNeg(count);
  // `*void` steps by bytes, as in GNU C.
  llvm::Type* elem = ptr_type->elem->kind == TypeKind::Void ? b_.getInt8Ty() : MemTy(ptr_type->elem);
  return b_.CreateGEP(elem, ptr, count);
}

auto Lowerer::LowerArith(TokenKind op, llvm::Value* l, llvm::Value* r, const Type* t, SourceRange where)
    -> llvm::Value* {
  // A vector's lanes follow its element's rules (l and r are both vectors then).
  const Type* vec = t->IsVector() ? t : nullptr;
  if (vec) t = vec->elem;
  if (t->IsHalf() && t->is_bfloat && !device_) return HostBF16Arith(op, l, r, where);
  if (t->IsFloat()) {
    switch (op) {
      case TokenKind::Plus: return b_.CreateFAdd(l, r);
      case TokenKind::Minus: return b_.CreateFSub(l, r);
      case TokenKind::Star: return b_.CreateFMul(l, r);
      case TokenKind::Slash: return b_.CreateFDiv(l, r);
      case TokenKind::Percent: return b_.CreateFRem(l, r);
      default: FUSION_UNREACHABLE("float operator");
    }
  }
  bool is_signed = t->is_signed;
  switch (op) {
    case TokenKind::Plus: return b_.CreateAdd(l, r);  // wraps
    case TokenKind::Minus: return b_.CreateSub(l, r);
    case TokenKind::Star: return b_.CreateMul(l, r);
    case TokenKind::Amp: return b_.CreateAnd(l, r);
    case TokenKind::Pipe: return b_.CreateOr(l, r);
    case TokenKind::Caret: return b_.CreateXor(l, r);
    case TokenKind::Shl:
    case TokenKind::Shr: {
      // The shift amount is taken modulo the width, so every shift is defined.
      if (!vec) r = IntCast(r, t, l->getType());
      llvm::Value* amount = b_.CreateAnd(r, llvm::ConstantInt::get(l->getType(), t->bits - 1));
      if (op == TokenKind::Shl) return b_.CreateShl(l, amount);
      return is_signed ? b_.CreateAShr(l, amount) : b_.CreateLShr(l, amount);
    }
    case TokenKind::Slash:
    case TokenKind::Percent: {
      bool rem = op == TokenKind::Percent;
      auto* k = llvm::dyn_cast<llvm::ConstantInt>(r);  // a constant divisor needs fewer checks
      if (!k || k->isZero()) {
        llvm::Value* zero = llvm::ConstantInt::get(r->getType(), 0);
        llvm::Value* is_zero = b_.CreateICmpEQ(r, zero);
        if (vec) is_zero = b_.CreateOrReduce(is_zero);  // any lane
        FailIf(is_zero, Runtime("rt_panic_div_zero"), {b_.getInt1(rem), LocOf(where)});
      }
      if (!is_signed) return rem ? b_.CreateURem(l, r) : b_.CreateUDiv(l, r);
      if (k && !k->isMinusOne()) return rem ? b_.CreateSRem(l, r) : b_.CreateSDiv(l, r);
      // MIN / -1 wraps to MIN and MIN % -1 is 0, as two's complement arithmetic gives;
      // divide by 1 instead so the machine never traps.
      llvm::Value* minus_one = b_.CreateICmpEQ(r, llvm::ConstantInt::getSigned(r->getType(), -1));
      llvm::Value* safe = b_.CreateSelect(minus_one, llvm::ConstantInt::get(r->getType(), 1), r);
      if (rem) return b_.CreateSRem(l, safe);
      return b_.CreateSelect(minus_one, b_.CreateNeg(l), b_.CreateSDiv(l, safe));
    }
    default:
      FUSION_UNREACHABLE("integer operator");
  }
}

auto Lowerer::LowerCompare(TokenKind op, llvm::Value* l, llvm::Value* r, const Type* t) -> llvm::Value* {
  using P = llvm::CmpInst::Predicate;
  if (t->IsHalf() && t->is_bfloat && !device_) {  // exact in f32 (see lower_half.cpp)
    l = HalfToF32(l);
    r = HalfToF32(r);
  }
  if (t->IsFloat()) {
    P p = op == TokenKind::EqEq ? P::FCMP_OEQ : op == TokenKind::NotEq ? P::FCMP_UNE
        : op == TokenKind::Less ? P::FCMP_OLT : op == TokenKind::LessEq ? P::FCMP_OLE
        : op == TokenKind::Greater ? P::FCMP_OGT : P::FCMP_OGE;
    return b_.CreateFCmp(p, l, r);
  }
  bool is_signed = (t->IsInt() && t->is_signed) || (t->kind == TypeKind::Enum && t->backing->is_signed);
  P p;
  switch (op) {
    case TokenKind::EqEq: p = P::ICMP_EQ; break;
    case TokenKind::NotEq: p = P::ICMP_NE; break;
    case TokenKind::Less: p = is_signed ? P::ICMP_SLT : P::ICMP_ULT; break;
    case TokenKind::LessEq: p = is_signed ? P::ICMP_SLE : P::ICMP_ULE; break;
    case TokenKind::Greater: p = is_signed ? P::ICMP_SGT : P::ICMP_UGT; break;
    default: p = is_signed ? P::ICMP_SGE : P::ICMP_UGE; break;
  }
  return b_.CreateICmp(p, l, r);
}

auto Lowerer::LowerLogical(const ast::Binary* e) -> llvm::Value* {
  bool is_and = e->op == TokenKind::AmpAmp;
  llvm::Value* l = LowerExpr(e->lhs);
  llvm::BasicBlock* lhs_end = b_.GetInsertBlock();
  auto* rhs_bb = llvm::BasicBlock::Create(ctx_, is_and ? "and.rhs" : "or.rhs", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, is_and ? "and.end" : "or.end", fn_);
  if (is_and)
    b_.CreateCondBr(l, rhs_bb, end_bb);
  else
    b_.CreateCondBr(l, end_bb, rhs_bb);
  b_.SetInsertPoint(rhs_bb);
  llvm::Value* r = LowerExpr(e->rhs);
  llvm::BasicBlock* rhs_end = b_.GetInsertBlock();
  b_.CreateBr(end_bb);
  b_.SetInsertPoint(end_bb);
  llvm::PHINode* phi = b_.CreatePHI(b_.getInt1Ty(), 2);
  phi->addIncoming(b_.getInt1(!is_and), lhs_end);
  phi->addIncoming(r, rhs_end);
  return phi;
}

auto Lowerer::LowerCast(const ast::Cast* e) -> llvm::Value* {
  const Type* from = e->expr->type;
  const Type* to = e->type;
  if (to->IsCounted() && from == to) return OwnedRef(e->expr);  // the cast's value is a new reference
  if (to->IsVector() || from->IsVector()) return LowerVecCast(e);
  llvm::Value* v = LowerExpr(e->expr);
  if (from == to) return v;
  if (to->IsString()) return b_.CreateCall(Runtime("rt_str_from_cstring"), {v, PanicLoc(e->range)});
  llvm::Type* dst = ValTy(to);
  bool from_int = from->IsInt() || from->kind == TypeKind::Enum || from->kind == TypeKind::Bool;
  bool to_int = to->IsInt() || to->kind == TypeKind::Enum;
  if (from_int && to_int) return IntCast(v, from, dst);
  if (from_int && to->IsFloat()) {
    bool is_signed = from->kind == TypeKind::Enum ? from->backing->is_signed : (from->IsInt() && from->is_signed);
    if (to->IsHalf()) {
      int bits = from->kind == TypeKind::Enum ? from->backing->bits : from->kind == TypeKind::Bool ? 1 : from->bits;
      return IntToHalf(v, is_signed, bits, to);
    }
    return is_signed ? b_.CreateSIToFP(v, dst) : b_.CreateUIToFP(v, dst);
  }
  if (from->IsFloat() && to_int) {
    // Saturating (NaN is 0), so every float converts to a defined integer.
    const Type* it = to->kind == TypeKind::Enum ? to->backing : to;
    auto id = it->is_signed ? llvm::Intrinsic::fptosi_sat : llvm::Intrinsic::fptoui_sat;
    return b_.CreateIntrinsic(id, {dst, v->getType()}, {v});
  }
  if (from->IsFloat() && to->IsFloat()) return FloatCast(v, from, to);
  if (from->IsPointerLike() && to->IsPointerLike()) return v;
  if (from->IsPointerLike() && to_int) return b_.CreatePtrToInt(v, dst);
  if (from_int && to->IsPointerLike()) return b_.CreateIntToPtr(v, dst);
  FUSION_UNREACHABLE("cast from " << sema::ToString(from) << " to " << sema::ToString(to));
}

auto Lowerer::LowerCall(const ast::Call* e) -> llvm::Value* {
  if (e->builtin != ast::Builtin::None) return LowerBuiltin(e);
  if (IsAggregate(e->type)) return LowerAggregate(e);  // through a temporary result slot
  return EmitCall(e, nullptr);
}

auto Lowerer::EmitCall(const ast::Call* e, llvm::Value* result) -> llvm::Value* {
  if (!e->fn || e->fn->is_extern) return EmitExternOrIndirectCall(e, result);  // a C call
  std::vector<llvm::Value*> args;
  if (result) args.push_back(result);
  for (const ast::Expr* a : e->args) {
    if (IsAggregate(a->type)) {
      // The callee gets a copy of its own; LLVM removes the copy when it can.
      llvm::AllocaInst* copy = EntryAlloca(MemTy(a->type), "arg");
      copy->setAlignment(llvm::Align(a->type->align));
      StoreInto(a, copy);
      args.push_back(copy);
    } else {
      args.push_back(LowerExpr(a));
    }
  }
  if (e->fn->track_caller) args.push_back(PanicLoc(e->range));
  if (TakesThread(e->fn)) {
    args.push_back(thread_);
    args.push_back(align_checks_);
  }
  llvm::CallInst* call = b_.CreateCall(fns_.at(e->fn), args);
  if (result) call->addParamAttr(0, llvm::Attribute::getWithStructRetType(ctx_, MemTy(e->type)));
  // Tensor parameters are borrowed: a temporary argument is released once the call returns.
  for (size_t i = 0; i < e->args.size(); i++) ReleaseIfOwned(e->args[i], args[i + (result ? 1 : 0)]);
  return call;
}

auto Lowerer::LowerIndexAddr(const ast::Index* e) -> llvm::Value* {
  const Type* bt = e->base->type;
  llvm::Value* idx = LowerExpr(e->index);
  llvm::Value* i64 = IntCast(idx, e->index->type, b_.getInt64Ty());
  if (bt->kind == TypeKind::Array || bt->IsVector()) {
    llvm::Value* base = LowerAddr(e->base);
    // Bounds check: as unsigned, a negative index is out of range too.
    llvm::Value* bad = b_.CreateICmpUGE(i64, b_.getInt64(bt->count));
    // An unsigned index is shown as one (u64's 2^64 - 1, not -1).
    FailIf(bad, Runtime(e->index->type->is_signed ? "rt_panic_bounds" : "rt_panic_bounds_u"),
           {i64, b_.getInt64(bt->count), LocOf(e->index->range)});
    // A vector's lanes lie in memory as an array's elements.
    if (bt->IsVector()) return b_.CreateInBoundsGEP(MemTy(bt->elem), base, i64);
    return b_.CreateInBoundsGEP(MemTy(bt), base, {b_.getInt64(0), i64});
  }
  llvm::Value* base = LowerExpr(e->base);
  llvm::Type* elem = bt->kind == TypeKind::CString ? b_.getInt8Ty() : MemTy(bt->elem);
  return b_.CreateGEP(elem, base, i64);
}

auto Lowerer::LowerFieldAddr(const ast::Field* e) -> llvm::Value* {
  const Type* st = e->through_pointer ? e->base->type->elem : e->base->type;
  llvm::Value* base = e->through_pointer ? LowerExpr(e->base) : LowerAddr(e->base);
  return FieldAddress(st, base, e->field_index);
}

auto Lowerer::FieldAddress(const Type* st, llvm::Value* base, size_t index) -> llvm::Value* {
  uint64_t offset = st->fields[index].offset;  // 0 for every member of a union
  return offset ? b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), base, offset) : base;
}

}  // namespace fusion::lower
