// Statements: let/var, assignment, if, while, for, break/continue, return.
#include <cmath>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

void Lowerer::StartDeadBlock() {
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "dead", fn_));
}

void Lowerer::LowerBlock(const ast::Block* b) {
  PushRefScope();
  for (const ast::Stmt* s : b->stmts) LowerStmt(s);
  PopRefScope();
}

void Lowerer::LowerStmt(const ast::Stmt* s) {
  if (s->kind != ast::NodeKind::Block) SetDebugLoc(s->range);
  if (options_.tensors) LowerFlushes(s);
  switch (s->kind) {
    case ast::NodeKind::Let:
      return LowerLet(As<ast::Let>(s));
    case ast::NodeKind::Assign:
      return LowerAssign(As<ast::Assign>(s));
    case ast::NodeKind::Block:
      return LowerBlock(As<ast::Block>(s));
    case ast::NodeKind::ExprStmt: {
      const ast::Expr* e = As<ast::ExprStmt>(s)->expr;
      if (IsAggregate(e->type) && sema::IsPlace(e)) return;  // no effect
      llvm::Value* v = LowerExpr(e);
      if (e->type->IsCounted()) ReleaseIfOwned(e, v);
      return;
    }
    case ast::NodeKind::If:
      return LowerIf(As<ast::If>(s));
    case ast::NodeKind::While:
      return LowerWhile(As<ast::While>(s));
    case ast::NodeKind::For:
      return LowerFor(As<ast::For>(s));
    case ast::NodeKind::Break:
      ReleaseRefScopes(loops_.back().ref_depth);
      b_.CreateBr(loops_.back().break_bb);
      return StartDeadBlock();
    case ast::NodeKind::Continue:
      ReleaseRefScopes(loops_.back().ref_depth);
      b_.CreateBr(loops_.back().continue_bb);
      return StartDeadBlock();
    case ast::NodeKind::Return:
      return LowerReturn(As<ast::Return>(s));
    case ast::NodeKind::Launch:
      return LowerLaunch(As<ast::Launch>(s));
    default:
      FUSION_UNREACHABLE("statement " << ast::NodeKindName(s->kind));
  }
}

void Lowerer::StoreInto(const ast::Expr* e, llvm::Value* dest) {
  DebugLocScope loc(*this, e->range);
  const Type* t = e->type;
  if (auto* call = As<ast::Call>(e); call && call->builtin == ast::Builtin::None && IsAggregate(t)) {
    EmitCall(call, dest);  // the callee writes its result straight into `dest`
    return;
  }
  if (IsAggregate(t) && sema::IsPlace(e)) {
    // Copy aggregates memory to memory rather than through a (possibly huge) SSA value. `dest` is
    // a slot of ours, aligned for `t`; the place may be a vector through a pointer, aligned only
    // for its element on the host (AccessAlign).
    llvm::Value* src = LowerAddr(e);
    if (t->IsVector() && (IsPointerAccess(e) || IsSharedPlace(e)))
      CheckAccess(src, t, false, e->range, IsPointerAccess(e));
    b_.CreateMemCpy(dest, llvm::MaybeAlign(t->align), src, llvm::MaybeAlign(AccessAlign(t)), t->size);
    return;
  }
  if (auto* rep = As<ast::ArrayRepeat>(e)) {
    // [v; n]: zero with memset, otherwise a loop of stores.
    auto* int_lit = As<ast::IntLit>(rep->value);
    auto* float_lit = As<ast::FloatLit>(rep->value);
    bool all_zero_bits = (int_lit && int_lit->value == 0) ||
                         (float_lit && float_lit->value == 0 && !std::signbit(float_lit->value));
    if (all_zero_bits) {
      b_.CreateMemSet(dest, b_.getInt8(0), t->size, llvm::MaybeAlign(t->align));
      return;
    }
    llvm::Value* v = LowerExpr(rep->value);
    llvm::BasicBlock* before = b_.GetInsertBlock();
    llvm::BasicBlock* loop = llvm::BasicBlock::Create(ctx_, "fill", fn_);
    llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx_, "fill.done", fn_);
    b_.CreateCondBr(b_.getInt1(rep->count_value == 0), done, loop);
    b_.SetInsertPoint(loop);
    llvm::PHINode* i = b_.CreatePHI(b_.getInt64Ty(), 2);
    i->addIncoming(b_.getInt64(0), before);
    Store(v, b_.CreateInBoundsGEP(MemTy(t), dest, {b_.getInt64(0), i}), t->elem);
    llvm::Value* next = b_.CreateAdd(i, b_.getInt64(1));
    i->addIncoming(next, loop);
    b_.CreateCondBr(b_.CreateICmpEQ(next, b_.getInt64(rep->count_value)), done, loop);
    b_.SetInsertPoint(done);
    return;
  }
  if (auto* lit = As<ast::ArrayLit>(e)) {
    for (size_t i = 0; i < lit->elems.size(); i++)
      StoreInto(lit->elems[i], b_.CreateInBoundsGEP(MemTy(t), dest, {b_.getInt64(0), b_.getInt64(i)}));
    return;
  }
  if (auto* lit = As<ast::StructLit>(e)) {
    if (t->is_union) {
      b_.CreateMemSet(dest, b_.getInt8(0), t->size, llvm::MaybeAlign(t->align));
      for (const ast::FieldInit& f : lit->fields) StoreInto(f.value, dest);
      return;
    }
    for (const ast::FieldInit& f : lit->fields)
      StoreInto(f.value, FieldAddress(t, dest, f.field_index));
    return;
  }
  Store(LowerExpr(e), dest, t);
}

void Lowerer::LowerLet(const ast::Let* let) {
  if (let->type->IsCounted()) return LowerRefLet(let);
  if (let->is_shared) {
    locals_[let] = SharedVarAddr(let);
    return;
  }
  llvm::Value* slot;
  if (split_remat_.count(let)) {
    // A split kernel's recomputed scalar: each use evaluates the initializer again
    // (SplitRematAddr); evaluated here too, so that a panic in it happens where it did.
    StoreInto(let->init, EntryAllocaOf(let->type, let->name));
    return;
  }
  if (split_arrays_.count(let) || split_uniform_.count(let)) {
    // A split kernel's variable: this thread's element (BindPerThread), or a block-uniform one's
    // slot.
    slot = locals_.at(let);
  } else {
    llvm::AllocaInst* a = EntryAlloca(MemTy(let->type), let->name);
    a->setAlignment(llvm::Align(std::max<uint64_t>(let->type->align, 1)));
    slot = a;
  }
  if (let->init) {
    StoreInto(let->init, slot);
  } else if (IsAggregate(let->type)) {
    b_.CreateMemSet(slot, b_.getInt8(0), let->type->size, llvm::MaybeAlign(let->type->align));
  } else {
    b_.CreateStore(llvm::Constant::getNullValue(MemTy(let->type)), slot);
  }
  locals_[let] = slot;  // after the initializer, which may name an outer binding of the same name
  if (!split_arrays_.count(let) && !split_uniform_.count(let))
    DeclareLocal(slot, let->name, let->type, let->name_range);
}

void Lowerer::LowerAssign(const ast::Assign* a) {
  const Type* t = a->target->type;
  if (t->IsTensor() || (As<ast::Index>(a->target) && As<ast::Index>(a->target)->base->type->IsTensor()))
    return LowerTensorAssign(a);
  if (t->IsCounted()) return LowerRefAssign(a);
  if (a->op == TokenKind::Eq) {
    if (IsAggregate(t)) {
      // Evaluate the value into a temporary first: `a = [a[1], a[0]]` must read the old `a`.
      llvm::AllocaInst* tmp = EntryAllocaOf(t, "tmp");
      StoreInto(a->value, tmp);
      llvm::Value* dest = LowerAddr(a->target);
      if (t->IsVector() && (IsPointerAccess(a->target) || IsSharedPlace(a->target)))
        CheckAccess(dest, t, true, a->target->range, IsPointerAccess(a->target));
      b_.CreateMemCpy(dest, llvm::MaybeAlign(AccessAlign(t)), tmp, llvm::MaybeAlign(t->align), t->size);
      return;
    }
    llvm::Value* v = LowerExpr(a->value);
    llvm::Value* dest = LowerAddr(a->target);
    if (IsPointerAccess(a->target) || IsSharedPlace(a->target))
      CheckAccess(dest, t, true, a->target->range, IsPointerAccess(a->target));
    Store(v, dest, t);
    return;
  }
  llvm::Value* dest = LowerAddr(a->target);
  if (IsPointerAccess(a->target) || IsSharedPlace(a->target))
      CheckAccess(dest, t, true, a->target->range, IsPointerAccess(a->target));
  llvm::Value* old = Load(dest, t);
  llvm::Value* v = LowerExpr(a->value);
  if (t->IsVector()) v = VecSplat(v, a->value->type, t);
  TokenKind op = lex::CompoundAssignBase(a->op);
  llvm::Value* result;
  if (t->kind == TypeKind::Pointer) {
    result = PointerOffset(old, t, v, a->value->type, op == TokenKind::Minus);
  } else {
    result = LowerArith(op, old, v, t, a->range);
  }
  Store(result, dest, t);
}

void Lowerer::LowerIf(const ast::If* s) {
  llvm::Value* cond = LowerExpr(s->cond);
  auto* then_bb = llvm::BasicBlock::Create(ctx_, "if.then", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "if.end", fn_);
  auto* else_bb = s->else_stmt ? llvm::BasicBlock::Create(ctx_, "if.else", fn_) : end_bb;
  b_.CreateCondBr(cond, then_bb, else_bb);
  b_.SetInsertPoint(then_bb);
  LowerBlock(s->then_block);
  if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(end_bb);
  if (s->else_stmt) {
    b_.SetInsertPoint(else_bb);
    LowerStmt(s->else_stmt);
    if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(end_bb);
  }
  b_.SetInsertPoint(end_bb);
}

// A loop's body, lowered at `body_bb`: `continue` goes to `next_bb`, as does the body's end, and
// `break` to `end_bb` (both releasing the counted variables of the scopes inside the loop).
void Lowerer::LowerLoopBody(const ast::Block* body, llvm::BasicBlock* body_bb, llvm::BasicBlock* next_bb,
                            llvm::BasicBlock* end_bb) {
  b_.SetInsertPoint(body_bb);
  loops_.push_back({end_bb, next_bb, ref_scopes_.size()});
  LowerBlock(body);
  loops_.pop_back();
  if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(next_bb);
}

void Lowerer::LowerWhile(const ast::While* s) {
  auto* cond_bb = llvm::BasicBlock::Create(ctx_, "while.cond", fn_);
  auto* body_bb = llvm::BasicBlock::Create(ctx_, "while.body", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "while.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  b_.CreateCondBr(LowerExpr(s->cond), body_bb, end_bb);
  LowerLoopBody(s->body, body_bb, cond_bb, end_bb);
  b_.SetInsertPoint(end_bb);
}

// for i in a..b: a and b are evaluated once; i runs a, a+1, …, b-1.
void Lowerer::LowerFor(const ast::For* s) {
  if (s->is_lines) return LowerLinesFor(s);
  llvm::Type* ty = MemTy(s->type);
  llvm::Value* start = LowerExpr(s->start);
  llvm::Value* end = LowerExpr(s->end);
  llvm::AllocaInst* var = EntryAlloca(ty, s->name);
  b_.CreateStore(start, var);
  locals_[s] = var;
  if (!split_arrays_.count(s)) DeclareLocal(var, s->name, s->type, s->name_range);
  auto* cond_bb = llvm::BasicBlock::Create(ctx_, "for.cond", fn_);
  auto* body_bb = llvm::BasicBlock::Create(ctx_, "for.body", fn_);
  auto* step_bb = llvm::BasicBlock::Create(ctx_, "for.step", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "for.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  llvm::Value* i = b_.CreateLoad(ty, var);
  llvm::Value* more = s->type->is_signed ? b_.CreateICmpSLT(i, end) : b_.CreateICmpULT(i, end);
  b_.CreateCondBr(more, body_bb, end_bb);
  LowerLoopBody(s->body, body_bb, step_bb, end_bb);
  b_.SetInsertPoint(step_bb);
  // i < end held, so i + 1 cannot overflow.
  llvm::Value* next = s->type->is_signed ? b_.CreateNSWAdd(b_.CreateLoad(ty, var), llvm::ConstantInt::get(ty, 1))
                                         : b_.CreateNUWAdd(b_.CreateLoad(ty, var), llvm::ConstantInt::get(ty, 1));
  b_.CreateStore(next, var);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(end_bb);
}

void Lowerer::LowerReturn(const ast::Return* r) {
  if (split_next_) {  // a split kernel: this thread is done; on with the next (kernels return void)
    if (r->value) LowerExpr(r->value);
    b_.CreateBr(split_next_);
    return StartDeadBlock();
  }
  if (r->value && ret_type_ && IsAggregate(ret_type_)) {
    // Through a temporary: the result pointer may alias what the value reads.
    llvm::AllocaInst* tmp = EntryAllocaOf(ret_type_, "ret");
    StoreInto(r->value, tmp);
    b_.CreateMemCpy(fn_->getArg(0), llvm::MaybeAlign(ret_type_->align), tmp, llvm::MaybeAlign(ret_type_->align),
                    ret_type_->size);
    b_.CreateRetVoid();
  } else if (r->value && ret_type_ && ret_type_->kind != TypeKind::Void) {
    llvm::Value* v = ret_type_->IsCounted() ? OwnedRef(r->value) : LowerExpr(r->value);
    ReleaseRefScopes(0);
    b_.CreateRet(v);
  } else {
    if (r->value) LowerExpr(r->value);
    ReleaseRefScopes(0);
    b_.CreateRetVoid();
  }
  StartDeadBlock();
}

}  // namespace fusion::lower
