// Barrier splitting: the block function of a cooperative kernel, so that the CPU executor runs
// its threads as loops instead of fibers (docs/internals.md, "Barrier splitting").
//
// The kernel's statements are cut at its `sync_threads()` statements. Each stretch between two
// barriers (a region) runs for every thread of the block in one loop, as the block loop runs a
// kernel without barriers; a barrier is where one loop ends and the next begins. A statement that
// contains a barrier (an if, a while, a for, a block) runs once for the whole block: every thread
// evaluates its condition, and the threads must agree (where they do not, a GPU hangs or gives
// undefined results: that is reported as a hazard and ends the program). The variables declared in
// the statement lists that contain barriers outlive a region, so each lives in an array with an
// element per thread. Kernels outside what this handles run as fibers, as before: warp
// operations, barriers in called functions or inside expressions, an if with barriers in both
// branches, break or continue out of a loop that contains a barrier, a return before the last
// barrier, more than kMaxPerThreadBytes of such variables per thread.
#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

namespace {

// Per-thread storage for the variables that outlive a region, per thread: the block function
// keeps it on the worker's stack (times up to 1024 threads).
constexpr uint64_t kMaxPerThreadBytes = 256;

auto IsBarrier(const ast::Stmt* s) -> bool {
  auto* es = As<ast::ExprStmt>(s);
  auto* call = es ? As<ast::Call>(es->expr) : nullptr;
  return call && call->builtin == ast::Builtin::SyncThreads;
}

// The `sync_threads()` statements in `s`, at any depth.
auto CountBarriers(const ast::Stmt* s) -> uint32_t {
  switch (s->kind) {
    case ast::NodeKind::ExprStmt:
      return IsBarrier(s) ? 1 : 0;
    case ast::NodeKind::Block: {
      uint32_t n = 0;
      for (const ast::Stmt* c : As<ast::Block>(s)->stmts) n += CountBarriers(c);
      return n;
    }
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(s);
      return CountBarriers(i->then_block) + (i->else_stmt ? CountBarriers(i->else_stmt) : 0);
    }
    case ast::NodeKind::While:
      return CountBarriers(As<ast::While>(s)->body);
    case ast::NodeKind::For:
      return CountBarriers(As<ast::For>(s)->body);
    default:
      return 0;
  }
}

auto HasBarrier(const ast::Stmt* s) -> bool { return CountBarriers(s) > 0; }

// Whether `s` has a statement of kind `k` (Return; or Break/Continue that are not inside a loop
// nested in `s`, when `loop_exits`).
auto Has(const ast::Stmt* s, bool loop_exits) -> bool {
  switch (s->kind) {
    case ast::NodeKind::Return:
      return !loop_exits;
    case ast::NodeKind::Break:
    case ast::NodeKind::Continue:
      return loop_exits;
    case ast::NodeKind::Block:
      for (const ast::Stmt* c : As<ast::Block>(s)->stmts)
        if (Has(c, loop_exits)) return true;
      return false;
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(s);
      return Has(i->then_block, loop_exits) || (i->else_stmt && Has(i->else_stmt, loop_exits));
    }
    case ast::NodeKind::While:
      return !loop_exits && Has(As<ast::While>(s)->body, false);
    case ast::NodeKind::For:
      return !loop_exits && Has(As<ast::For>(s)->body, false);
    default:
      return false;
  }
}

// Checks a statement list that runs in block mode and collects the variables that need an array.
// `top`: the kernel's own body, where a return after the last barrier is fine.
class SplitPlanner {
 public:
  explicit SplitPlanner(std::vector<const ast::Node*>& per_thread) : per_thread_(per_thread) {}

  auto List(const std::vector<ast::Stmt*>& stmts, bool top) -> bool {
    size_t last = stmts.size();  // the last statement with a barrier
    for (size_t i = 0; i < stmts.size(); i++)
      if (HasBarrier(stmts[i])) last = i;
    if (last == stmts.size()) return true;  // one region: ordinary per-thread code
    for (size_t i = 0; i < stmts.size(); i++) {
      const ast::Stmt* s = stmts[i];
      if (Has(s, false) && !(top && i > last)) return false;  // a thread leaving before a barrier
      // A variable declared after the list's last barrier lives in the last region only.
      if (auto* let = As<ast::Let>(s); let && !let->is_shared && i < last && !Add(let, let->type)) return false;
      if (!HasBarrier(s) || IsBarrier(s)) continue;
      if (!Stmt(s)) return false;
    }
    return true;
  }

 private:
  auto Stmt(const ast::Stmt* s) -> bool {
    switch (s->kind) {
      case ast::NodeKind::Block:
        return List(As<ast::Block>(s)->stmts, false);
      case ast::NodeKind::If: {
        auto* i = As<ast::If>(s);
        bool in_then = HasBarrier(i->then_block), in_else = i->else_stmt && HasBarrier(i->else_stmt);
        if (in_then && in_else) return false;  // threads could meet at different barriers
        return List(i->then_block->stmts, false) && (!i->else_stmt || Stmt(i->else_stmt));
      }
      case ast::NodeKind::While: {
        auto* w = As<ast::While>(s);
        return !Has(w->body, true) && List(w->body->stmts, false);
      }
      case ast::NodeKind::For: {
        auto* f = As<ast::For>(s);
        return !Has(f->body, true) && Add(f, f->type) && Add(f->end, f->type) && List(f->body->stmts, false);
      }
      default:
        return false;
    }
  }

  auto Add(const ast::Node* n, const Type* t) -> bool {
    bytes_ += (t->size + t->align - 1) / t->align * t->align;
    per_thread_.push_back(n);
    return bytes_ <= kMaxPerThreadBytes;
  }

  std::vector<const ast::Node*>& per_thread_;
  uint64_t bytes_ = 0;
};

auto TypeOf(const ast::Node* n) -> const Type* {
  if (auto* let = As<ast::Let>(n)) return let->type;
  if (auto* f = As<ast::For>(n)) return f->type;
  return static_cast<const ast::Expr*>(n)->type;  // a for's end
}

}  // namespace

auto Lowerer::PlanSplit(const ast::FnDecl* k, std::vector<const ast::Node*>& per_thread) -> bool {
  if (k->warp_ops) return false;
  for (const ast::FnDecl* callee : k->device_callees)
    if (callee->cooperative) return false;
  if (CountBarriers(k->body) != k->barrier_calls) return false;  // one inside an expression
  per_thread.clear();
  return SplitPlanner(per_thread).List(k->body->stmts, true);
}

void Lowerer::DefineSplitBlock(ast::FnDecl* k, const std::vector<llvm::Value*>& args, llvm::Value* t,
                               const std::vector<const ast::Node*>& per_thread) {
  kernel_ = k;
  ret_type_ = k->ret_type;
  thread_ = t;
  shared_base_ = b_.CreateLoad(b_.getPtrTy(), b_.CreateStructGEP(ThreadTy(), t, kShared), "shared");
  BindParams(k, args);
  // The arrays: one element per thread of the block.
  auto* i32 = b_.getInt32Ty();
  llvm::Value* n = b_.getInt32(1);
  for (int d = 0; d < 3; d++)
    n = b_.CreateMul(n, b_.CreateLoad(i32, b_.CreateInBoundsGEP(ThreadTy(), t, {b_.getInt32(0), b_.getInt32(kBlockDim), b_.getInt32(d)})));
  split_threads_ = n;
  for (const ast::Node* node : per_thread) {
    const Type* ty = TypeOf(node);
    llvm::AllocaInst* a = b_.CreateAlloca(MemTy(ty), n, "per_thread");
    a->setAlignment(llvm::Align(std::max<uint64_t>(ty->align, 1)));
    split_arrays_[node] = a;
  }
  LowerRegions(k->body->stmts);
  split_arrays_.clear();
  split_threads_ = nullptr;
  thread_ = shared_base_ = nullptr;
  kernel_ = nullptr;
  ret_type_ = nullptr;
}

// A statement list in block mode: runs of statements without barriers become thread loops.
void Lowerer::LowerRegions(const std::vector<ast::Stmt*>& stmts) {
  size_t i = 0;
  while (i < stmts.size()) {
    if (HasBarrier(stmts[i])) {
      LowerSplitStmt(stmts[i++]);
      continue;
    }
    size_t j = i;
    while (j < stmts.size() && !HasBarrier(stmts[j])) j++;
    EmitThreadLoop(thread_, [&](llvm::Value* linear) {
      BindPerThread(linear);
      for (size_t s = i; s < j; s++) LowerStmt(stmts[s]);
    });
    i = j;
  }
}

// The per-thread variables as this thread's elements.
void Lowerer::BindPerThread(llvm::Value* linear) {
  for (auto& [node, array] : split_arrays_) {
    llvm::Value* elem = b_.CreateInBoundsGEP(MemTy(TypeOf(node)), array, linear);
    if (As<ast::Let>(node) || As<ast::For>(node)) {
      locals_[node] = elem;
    } else {
      split_ends_[node] = elem;  // a for's end
    }
  }
}

// A statement with a barrier in it, once for the block.
void Lowerer::LowerSplitStmt(const ast::Stmt* s) {
  switch (s->kind) {
    case ast::NodeKind::ExprStmt:  // sync_threads(): the previous loop has run every thread
      return;
    case ast::NodeKind::Block:
      return LowerRegions(As<ast::Block>(s)->stmts);
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(s);
      llvm::Value* taken = UniformCond([&] { return LowerExpr(i->cond); }, i->cond->range, "if");
      auto* then_bb = llvm::BasicBlock::Create(ctx_, "split.then", fn_);
      auto* end_bb = llvm::BasicBlock::Create(ctx_, "split.end", fn_);
      auto* else_bb = i->else_stmt ? llvm::BasicBlock::Create(ctx_, "split.else", fn_) : end_bb;
      b_.CreateCondBr(taken, then_bb, else_bb);
      b_.SetInsertPoint(then_bb);
      LowerRegions(i->then_block->stmts);
      b_.CreateBr(end_bb);
      if (i->else_stmt) {
        b_.SetInsertPoint(else_bb);
        LowerRegions({i->else_stmt});  // a block or an else-if, with barriers or without
        b_.CreateBr(end_bb);
      }
      b_.SetInsertPoint(end_bb);
      return;
    }
    case ast::NodeKind::While: {
      auto* w = As<ast::While>(s);
      auto* cond_bb = llvm::BasicBlock::Create(ctx_, "split.while", fn_);
      auto* body_bb = llvm::BasicBlock::Create(ctx_, "split.body", fn_);
      auto* end_bb = llvm::BasicBlock::Create(ctx_, "split.end", fn_);
      b_.CreateBr(cond_bb);
      b_.SetInsertPoint(cond_bb);
      b_.CreateCondBr(UniformCond([&] { return LowerExpr(w->cond); }, w->cond->range, "while"), body_bb, end_bb);
      b_.SetInsertPoint(body_bb);
      LowerRegions(w->body->stmts);
      b_.CreateBr(cond_bb);
      b_.SetInsertPoint(end_bb);
      return;
    }
    case ast::NodeKind::For: {
      // As LowerFor, with the variable and the end in per-thread arrays: every thread evaluates
      // start and end once; the loop goes on while the threads agree that i < end.
      auto* f = As<ast::For>(s);
      llvm::Type* ty = MemTy(f->type);
      EmitThreadLoop(thread_, [&](llvm::Value* linear) {
        BindPerThread(linear);
        llvm::Value* start = LowerExpr(f->start);
        llvm::Value* end = LowerExpr(f->end);
        b_.CreateStore(start, locals_.at(f));
        b_.CreateStore(end, split_ends_.at(f->end));
      });
      auto* cond_bb = llvm::BasicBlock::Create(ctx_, "split.for", fn_);
      auto* body_bb = llvm::BasicBlock::Create(ctx_, "split.body", fn_);
      auto* end_bb = llvm::BasicBlock::Create(ctx_, "split.end", fn_);
      b_.CreateBr(cond_bb);
      b_.SetInsertPoint(cond_bb);
      llvm::Value* more = UniformCond(
          [&] {
            llvm::Value* i = b_.CreateLoad(ty, locals_.at(f));
            llvm::Value* end = b_.CreateLoad(ty, split_ends_.at(f->end));
            return f->type->is_signed ? b_.CreateICmpSLT(i, end) : b_.CreateICmpULT(i, end);
          },
          f->name_range, "for");
      b_.CreateCondBr(more, body_bb, end_bb);
      b_.SetInsertPoint(body_bb);
      LowerRegions(f->body->stmts);
      EmitThreadLoop(thread_, [&](llvm::Value* linear) {
        BindPerThread(linear);
        llvm::Value* slot = locals_.at(f);
        llvm::Value* i = b_.CreateLoad(ty, slot);  // i < end held, so i + 1 cannot overflow
        b_.CreateStore(f->type->is_signed ? b_.CreateNSWAdd(i, llvm::ConstantInt::get(ty, 1))
                                          : b_.CreateNUWAdd(i, llvm::ConstantInt::get(ty, 1)),
                       slot);
      });
      b_.CreateBr(cond_bb);
      b_.SetInsertPoint(end_bb);
      return;
    }
    default:
      FUSION_UNREACHABLE("split statement " << ast::NodeKindName(s->kind));
  }
}

// Every thread evaluates `cond`; they must agree. The value they agree on.
auto Lowerer::UniformCond(const std::function<llvm::Value*()>& cond, SourceRange where, const char* what)
    -> llvm::Value* {
  auto* i32 = b_.getInt32Ty();
  llvm::AllocaInst* count = EntryAlloca(i32, "agree");
  b_.CreateStore(b_.getInt32(0), count);
  EmitThreadLoop(thread_, [&](llvm::Value* linear) {
    BindPerThread(linear);
    llvm::Value* c = cond();
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i32, count), b_.CreateZExt(c, i32)), count);
  });
  llvm::Value* yes = b_.CreateLoad(i32, count);
  llvm::Value* split = b_.CreateAnd(b_.CreateICmpNE(yes, b_.getInt32(0)), b_.CreateICmpNE(yes, split_threads_));
  FailIf(split, Runtime("rt_gpu_divergent"), {thread_, yes, StringConst(what), LocOf(where)});
  return b_.CreateICmpNE(yes, b_.getInt32(0));
}

}  // namespace fusion::lower
