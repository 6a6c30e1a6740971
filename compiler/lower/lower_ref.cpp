// Counted references (tensors, strings, files: Type::IsCounted): the one memory rule for values
// that are references to the runtime's counted objects (fusion/rt_core.h's rt_ref).
//
// A variable holds one reference; an expression that is not a variable gives a new one (owned),
// which its consumer releases at once unless it keeps it (a `let`, an assignment, a `return`).
// Leaving a block releases its variables (also by `break`, `continue` and `return`). Parameters
// are borrowed from the caller, which keeps its reference for the call. Every counted type is
// released by the runtime's rt_release, which calls the object's own drop function.
#include "lower/lowerer.h"

namespace fusion::lower {

auto Lowerer::OwnsRef(const ast::Expr* e) const -> bool { return !As<ast::Name>(e); }

void Lowerer::ReleaseIfOwned(const ast::Expr* e, llvm::Value* v) {
  if (e->type->IsCounted() && OwnsRef(e)) b_.CreateCall(Runtime("rt_release"), {v});
}

auto Lowerer::OwnedRef(const ast::Expr* e) -> llvm::Value* {
  llvm::Value* v = LowerExpr(e);
  if (!OwnsRef(e)) b_.CreateCall(Runtime("rt_retain"), {v});
  return v;
}

void Lowerer::PushRefScope() { ref_scopes_.emplace_back(); }

// Releases the references in a scope's slots, last declared first, and empties the slots: a
// block in a loop runs again, and a slot that is stored with StoreRef (a loop's line, a kept
// temporary) must not release the previous turn's reference twice.
void Lowerer::ReleaseSlots(const std::vector<llvm::Value*>& slots) {
  for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
    b_.CreateCall(Runtime("rt_release"), {b_.CreateLoad(b_.getPtrTy(), *it)});
    b_.CreateStore(llvm::ConstantPointerNull::get(b_.getPtrTy()), *it);
  }
}

void Lowerer::PopRefScope() {
  if (!b_.GetInsertBlock()->getTerminator()) ReleaseSlots(ref_scopes_.back());
  ref_scopes_.pop_back();
}

void Lowerer::ReleaseRefScopes(size_t down_to) {
  for (size_t i = ref_scopes_.size(); i > down_to; i--) ReleaseSlots(ref_scopes_[i - 1]);
}

// A counted variable's slot: null from the function's start, released when its block ends.
auto Lowerer::RefSlot(const std::string& name) -> llvm::Value* {
  llvm::AllocaInst* slot = EntryAlloca(b_.getPtrTy(), name);
  llvm::BasicBlock& entry = fn_->getEntryBlock();
  llvm::IRBuilder<> eb(&entry, std::next(llvm::BasicBlock::iterator(slot)));
  eb.CreateStore(llvm::ConstantPointerNull::get(b_.getPtrTy()), slot);
  if (!ref_scopes_.empty()) ref_scopes_.back().push_back(slot);
  return slot;
}

// `let`/`var` of a counted type. Without an initializer a string is "" and a tensor or a file
// null; a tensor the fusion pass defers is stored where it is first needed (LowerFlushes).
void Lowerer::LowerRefLet(const ast::Let* let) {
  llvm::Value* slot = RefSlot(let->name);
  bool deferred = let->type->IsTensor() && options_.tensors && options_.tensors->deferred.count(let);
  llvm::Value* v = nullptr;
  if (deferred || (!let->init && !let->type->IsString()))
    v = llvm::ConstantPointerNull::get(b_.getPtrTy());
  else
    v = let->init ? OwnedRef(let->init) : StringObject("");
  b_.CreateStore(v, slot);
  locals_[let] = slot;
  DeclareLocal(slot, let->name, let->type, let->name_range);
}

// Keeps an owned temporary alive until the end of the enclosing block (or until this code runs
// again), for what points into it: `format(x).cstr()`, `raw(own(p))` passed to a call.
void Lowerer::KeepUntilBlockEnd(llvm::Value* owned, const char* name) { StoreRef(RefSlot(name), owned); }

// x = v for a counted `x` other than a tensor (whose assignments the fusion pass plans); `s += t`.
void Lowerer::LowerRefAssign(const ast::Assign* a) {
  if (a->op != TokenKind::Eq) return LowerStringAppend(a);
  llvm::Value* v = OwnedRef(a->value);
  StoreRef(LowerAddr(a->target), v);
}

// Stores a reference the caller owns into a counted variable, releasing what it held.
void Lowerer::StoreRef(llvm::Value* slot, llvm::Value* v) {
  llvm::Value* old = b_.CreateLoad(b_.getPtrTy(), slot);
  b_.CreateStore(v, slot);
  b_.CreateCall(Runtime("rt_release"), {old});
}

}  // namespace fusion::lower
