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
// element per thread. Warp operations with the full mask cut each warp the same way: the code
// between barriers that has them runs warp by warp, each warp a loop over its lanes per stretch
// between warp operations (EmitWarpLoop, "Warp operations" below). Kernels outside what this
// handles run as fibers, as before: warp operations with another mask, in loop conditions, on the
// right of `&&`/`||`, or in an `if`'s condition whose branches have a barrier or another one; barriers
// in called functions or inside expressions, an if with barriers in both branches, break or
// continue out of a loop that contains a barrier or warp operation, a return before the last one,
// more than kMaxPerThreadBytes of such variables per thread. Variables every thread
// computes alike (block-uniform: UniformPlanner) are one scalar for the block instead, a
// condition of them is evaluated once, and a `for` with uniform bounds is one loop for the block;
// immutable values computed only from thread_idx and values fixed while they are in scope are
// recomputed where they are used (split_remat_), with no array.
#include <unordered_set>

#include "base/check.h"
#include "fusion/rt_gpu.h"
#include "lower/lowerer.h"

namespace fusion::lower {

namespace {

// Per-thread storage for the variables that outlive a region, per thread: the block function
// keeps it on the worker's stack (times up to 1024 threads).
constexpr uint64_t kMaxPerThreadBytes = 256;

constexpr uint32_t kWarpSize = 32;  // lanes per warp (rt_gpu.h's RT_GPU_WARP_SIZE)

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

// mma_* and ldmatrix_*: warp operations of the whole warp, without a mask.
auto IsTensorCoreOp(const ast::Call* call) -> bool {
  return call->builtin >= ast::Builtin::MmaM16n8k16F16 && call->builtin <= ast::Builtin::LdmatrixX4Trans;
}

auto IsWarpOp(const ast::Expr* e) -> bool {
  auto* call = As<ast::Call>(e);
  if (!call) return false;
  // Shuffles, votes (BallotSync … AllSync) and the combining operations after them (SyncWarp …);
  // the tensor cores' mma and ldmatrix.
  return (call->builtin >= ast::Builtin::ShflSync && call->builtin <= ast::Builtin::ReduceXorSync) ||
         IsTensorCoreOp(call);
}

void VisitExprs(const ast::Stmt* s, const std::function<void(const ast::Expr*)>& f);
void VisitExprs(const ast::Expr* e, const std::function<void(const ast::Expr*)>& f);

// The warp operations (shuffles and votes) in `s` or `e`, at any depth.
auto CountWarpOps(const ast::Stmt* s) -> uint32_t {
  uint32_t n = 0;
  VisitExprs(s, [&](const ast::Expr* e) { n += IsWarpOp(e); });
  return n;
}
auto CountWarpOps(const ast::Expr* e) -> uint32_t {
  uint32_t n = 0;
  VisitExprs(e, [&](const ast::Expr* c) { n += IsWarpOp(c); });
  return n;
}
auto HasWarpOp(const ast::Stmt* s) -> bool { return CountWarpOps(s) > 0; }

// Where a split kernel's statement lists are cut: at barriers (for the block) and at warp
// operations (for each warp).
auto IsBoundary(const ast::Stmt* s) -> bool { return HasBarrier(s) || HasWarpOp(s); }

// `0xffffffff`, or a `const` of it (through casts): every lane of the warp.
auto IsFullMask(const ast::Expr* e) -> bool {
  if (auto* lit = As<ast::IntLit>(e)) return lit->value == 0xffffffffu;
  if (auto* c = As<ast::Cast>(e)) return IsFullMask(c->expr);
  auto* n = As<ast::Name>(e);
  auto* k = n ? As<ast::ConstDecl>(n->decl) : nullptr;
  return k && !k->is_static && k->init && IsFullMask(k->init);
}

// The expression a warp statement (a `let`, an assignment or an expression statement with one warp
// operation, or an `if` whose condition has it) computes, whose value the statement uses.
auto WarpStmtExpr(const ast::Stmt* s) -> const ast::Expr* {
  if (auto* let = As<ast::Let>(s)) return let->init;
  if (auto* a = As<ast::Assign>(s)) return a->value;
  if (auto* es = As<ast::ExprStmt>(s)) return es->expr;
  if (auto* i = As<ast::If>(s)) return i->cond;
  return nullptr;
}

// The warp operation in `e`, when every lane evaluates it: reached through operators and casts,
// but not on the right of `&&` or `||` (which a lane may skip); else null.
auto FindWarpOp(const ast::Expr* e) -> const ast::Call* {
  if (!e) return nullptr;
  if (IsWarpOp(e)) return As<ast::Call>(e);
  if (auto* u = As<ast::Unary>(e)) return u->op == TokenKind::Amp ? nullptr : FindWarpOp(u->operand);
  if (auto* c = As<ast::Cast>(e)) return FindWarpOp(c->expr);
  auto* b = As<ast::Binary>(e);
  if (!b) return nullptr;
  const ast::Call* l = FindWarpOp(b->lhs);
  if (l || b->op == TokenKind::AmpAmp || b->op == TokenKind::PipePipe) return l;
  return FindWarpOp(b->rhs);
}

// A statement with one warp operation that the split code can run: the operation in its value
// (FindWarpOp), with a full mask (a partial mask, or lanes that may leave, run as fibers). An `if`
// qualifies when the operation is in its condition and its branches have no barrier: the whole
// `if` then runs per lane after the operation, as a `let` does.
auto SplittableWarpStmt(const ast::Stmt* s) -> const ast::Call* {
  const ast::Expr* e = WarpStmtExpr(s);
  if (!e || CountWarpOps(s) != 1 || HasBarrier(s)) return nullptr;
  const ast::Call* op = FindWarpOp(e);
  return op && (IsTensorCoreOp(op) || IsFullMask(op->args[0])) ? op : nullptr;
}

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
    size_t last = stmts.size();  // the last statement with a barrier or a warp operation
    for (size_t i = 0; i < stmts.size(); i++)
      if (IsBoundary(stmts[i])) last = i;
    if (last == stmts.size()) return true;  // one region: ordinary per-thread code
    for (size_t i = 0; i < stmts.size(); i++) {
      const ast::Stmt* s = stmts[i];
      if (Has(s, false) && !(top && i > last)) return false;  // a thread leaving before a barrier
      // A variable declared after the list's last cut lives in the last region only; one that a
      // warp operation initializes is set in a thread loop of its own.
      if (auto* let = As<ast::Let>(s);
          let && !let->is_shared && (i < last || (i == last && HasWarpOp(s))) && !Add(let, let->type))
        return false;
      if (!IsBoundary(s) || IsBarrier(s)) continue;
      if (!Stmt(s)) return false;
    }
    return true;
  }

 private:
  auto Stmt(const ast::Stmt* s) -> bool {
    switch (s->kind) {
      case ast::NodeKind::Let:
      case ast::NodeKind::Assign:
      case ast::NodeKind::ExprStmt:
        return SplittableWarpStmt(s) != nullptr;
      case ast::NodeKind::Block:
        return List(As<ast::Block>(s)->stmts, false);
      case ast::NodeKind::If: {
        auto* i = As<ast::If>(s);
        bool in_then = HasBarrier(i->then_block), in_else = i->else_stmt && HasBarrier(i->else_stmt);
        if (in_then && in_else) return false;  // threads could meet at different barriers
        if (CountWarpOps(i->cond) > 0) return SplittableWarpStmt(s) != nullptr;
        return List(i->then_block->stmts, false) && (!i->else_stmt || Stmt(i->else_stmt));
      }
      case ast::NodeKind::While: {
        auto* w = As<ast::While>(s);
        return CountWarpOps(w->cond) == 0 && !Has(w->body, true) && List(w->body->stmts, false);
      }
      case ast::NodeKind::For: {
        auto* f = As<ast::For>(s);
        return CountWarpOps(f->start) + CountWarpOps(f->end) == 0 && !Has(f->body, true) && Add(f, f->type) &&
               Add(f->end, f->type) && List(f->body->stmts, false);
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

// Whether `e` has the same value in every thread of the block, given which variables are (`var`):
// literals, constants, parameters, block_idx, block_dim, grid_dim and warp_size, and operators,
// casts and by-value fields of those. Anything else (thread_idx, memory, calls) is not. With
// `thread_ok`, thread_idx is allowed too: then `e` is a pure function of the thread's indices and
// of the variables `var` accepts (ThreadPure).
template <class IsUniformVar>
auto UniformExpr(const ast::Expr* e, const IsUniformVar& var, bool thread_ok = false) -> bool {
  auto sub = [&](const ast::Expr* c) { return UniformExpr(c, var, thread_ok); };
  switch (e->kind) {
    case ast::NodeKind::IntLit:
    case ast::NodeKind::FloatLit:
    case ast::NodeKind::BoolLit:
    case ast::NodeKind::NullLit:
    case ast::NodeKind::TypeQuery:
      return true;
    case ast::NodeKind::Name: {
      auto* n = As<ast::Name>(e);
      switch (n->gpu) {
        case ast::GpuValue::ThreadIdx:
          return thread_ok;
        case ast::GpuValue::None:
          break;
        default:
          return true;
      }
      if (auto* c = As<ast::ConstDecl>(n->decl)) return !c->is_static;
      return var(n->decl);
    }
    case ast::NodeKind::Unary: {
      auto* u = As<ast::Unary>(e);
      return (u->op == TokenKind::Minus || u->op == TokenKind::Bang || u->op == TokenKind::Tilde) &&
             sub(u->operand);
    }
    case ast::NodeKind::Binary:
      return sub(As<ast::Binary>(e)->lhs) && sub(As<ast::Binary>(e)->rhs);
    case ast::NodeKind::Cast:
      return sub(As<ast::Cast>(e)->expr);
    case ast::NodeKind::Field: {
      auto* f = As<ast::Field>(e);
      if (f->enum_decl) return true;
      return !f->through_pointer && sub(f->base);
    }
    default:
      return false;
  }
}

// Calls `f` on `e` and its subexpressions.
void VisitExprs(const ast::Expr* e, const std::function<void(const ast::Expr*)>& f) {
  if (!e) return;
  f(e);
  switch (e->kind) {
    case ast::NodeKind::ArrayLit:
      for (const ast::Expr* c : As<ast::ArrayLit>(e)->elems) VisitExprs(c, f);
      return;
    case ast::NodeKind::ArrayRepeat:
      VisitExprs(As<ast::ArrayRepeat>(e)->value, f);
      VisitExprs(As<ast::ArrayRepeat>(e)->count, f);
      return;
    case ast::NodeKind::Unary:
      return VisitExprs(As<ast::Unary>(e)->operand, f);
    case ast::NodeKind::Binary:
      VisitExprs(As<ast::Binary>(e)->lhs, f);
      return VisitExprs(As<ast::Binary>(e)->rhs, f);
    case ast::NodeKind::Call: {
      auto* c = As<ast::Call>(e);
      VisitExprs(c->callee, f);
      for (const ast::Expr* a : c->args) VisitExprs(a, f);
      for (const ast::NamedArg& a : c->named_args) VisitExprs(a.value, f);
      return;
    }
    case ast::NodeKind::Index:
      VisitExprs(As<ast::Index>(e)->base, f);
      return VisitExprs(As<ast::Index>(e)->index, f);
    case ast::NodeKind::Field:
      return VisitExprs(As<ast::Field>(e)->base, f);
    case ast::NodeKind::Cast:
      return VisitExprs(As<ast::Cast>(e)->expr, f);
    case ast::NodeKind::StructLit:
      for (const ast::FieldInit& fi : As<ast::StructLit>(e)->fields) VisitExprs(fi.value, f);
      return;
    default:
      return;
  }
}

// Calls `f` on every expression in `s`, subexpressions included.
void VisitExprs(const ast::Stmt* s, const std::function<void(const ast::Expr*)>& f) {
  switch (s->kind) {
    case ast::NodeKind::Let:
      return VisitExprs(As<ast::Let>(s)->init, f);
    case ast::NodeKind::ExprStmt:
      return VisitExprs(As<ast::ExprStmt>(s)->expr, f);
    case ast::NodeKind::Assign:
      VisitExprs(As<ast::Assign>(s)->target, f);
      return VisitExprs(As<ast::Assign>(s)->value, f);
    case ast::NodeKind::Return:
      return VisitExprs(As<ast::Return>(s)->value, f);
    case ast::NodeKind::Block:
      for (const ast::Stmt* c : As<ast::Block>(s)->stmts) VisitExprs(c, f);
      return;
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(s);
      VisitExprs(i->cond, f);
      VisitExprs(i->then_block, f);
      if (i->else_stmt) VisitExprs(i->else_stmt, f);
      return;
    }
    case ast::NodeKind::While:
      VisitExprs(As<ast::While>(s)->cond, f);
      return VisitExprs(As<ast::While>(s)->body, f);
    case ast::NodeKind::For: {
      auto* fo = As<ast::For>(s);
      VisitExprs(fo->start, f);
      VisitExprs(fo->end, f);
      return VisitExprs(fo->body, f);
    }
    default:
      return;
  }
}

// The variables and parameters of `k` whose address is taken (`&v`, `&v.f`, `&v[i]`): they may
// change through the pointer, and they need one place in memory.
auto AddressTaken(const ast::FnDecl* k) -> std::unordered_set<const ast::Node*> {
  std::unordered_set<const ast::Node*> taken;
  VisitExprs(k->body, [&](const ast::Expr* e) {
    auto* u = As<ast::Unary>(e);
    if (!u || u->op != TokenKind::Amp) return;
    const ast::Expr* root = u->operand;
    while (true) {
      if (auto* f = As<ast::Field>(root)) {
        root = f->base;
      } else if (auto* i = As<ast::Index>(root)) {
        root = i->base;
      } else {
        break;
      }
    }
    if (auto* n = As<ast::Name>(root)) taken.insert(n->decl);
  });
  return taken;
}

// The block-uniform variables of a split kernel: of its per-thread variables, the scalars whose
// every value comes from uniform operands (UniformExpr) and that are never assigned under a
// condition the threads may disagree on, nor inside a loop they may leave at different times
// (break, continue), nor have their address taken. Such a variable holds the same value in every
// thread at every barrier, so one copy serves the block. Starts from all candidates and drops
// those that break a rule until none does (a variable that reads only uniform ones stays).
class UniformPlanner {
 public:
  UniformPlanner(const ast::FnDecl* k, const std::vector<const ast::Node*>& per_thread) : k_(k) {
    for (const ast::Node* n : per_thread) {
      if (auto* let = As<ast::Let>(n); let && let->type->IsScalar()) uniform_.insert(let);
      if (auto* f = As<ast::For>(n)) uniform_.insert(f);  // a for with cuts: uniform bounds
    }
    for (const ast::Param* p : k->params) uniform_.insert(p);
  }

  // The uniform Lets and Params.
  auto Run() -> std::unordered_set<const ast::Node*> {
    for (const ast::Node* n : AddressTaken(k_)) uniform_.erase(n);
    do {
      changed_ = false;
      Stmt(k_->body, false);
    } while (changed_);
    return uniform_;
  }

 private:
  auto Uniform(const ast::Expr* e) const -> bool {
    return UniformExpr(e, [&](const ast::Node* d) { return uniform_.count(d) > 0; });
  }

  void Drop(const ast::Node* n) { changed_ |= uniform_.erase(n) > 0; }

  // `divergent`: the threads may not all run `s`.
  void Stmt(const ast::Stmt* s, bool divergent) {
    switch (s->kind) {
      case ast::NodeKind::Let: {
        auto* let = As<ast::Let>(s);
        if (divergent || (let->init && !Uniform(let->init))) Drop(let);
        return;
      }
      case ast::NodeKind::Assign: {
        auto* a = As<ast::Assign>(s);
        auto* n = As<ast::Name>(a->target);
        if (n && (divergent || !Uniform(a->value))) Drop(n->decl);
        return;
      }
      case ast::NodeKind::Block:
        for (const ast::Stmt* c : As<ast::Block>(s)->stmts) Stmt(c, divergent);
        return;
      case ast::NodeKind::If: {
        // With a barrier inside, the split code checks that the threads agree.
        auto* i = As<ast::If>(s);
        bool d = divergent || (!HasBarrier(s) && !Uniform(i->cond));
        Stmt(i->then_block, d);
        if (i->else_stmt) Stmt(i->else_stmt, d);
        return;
      }
      case ast::NodeKind::While: {
        auto* w = As<ast::While>(s);
        Stmt(w->body, divergent || (!HasBarrier(s) && (!Uniform(w->cond) || Has(w->body, true))));
        return;
      }
      case ast::NodeKind::For: {
        auto* f = As<ast::For>(s);
        bool bounds = Uniform(f->start) && Uniform(f->end);
        if (IsBoundary(s) && (divergent || !bounds)) Drop(f);
        bool d = divergent || (!HasBarrier(s) && (!bounds || Has(f->body, true)));
        Stmt(f->body, d);
        return;
      }
      default:
        return;
    }
  }

  const ast::FnDecl* k_;
  std::unordered_set<const ast::Node*> uniform_;  // candidates: Lets and Params
  bool changed_ = false;
};

// `thread_idx.x`, or a `let` of it.
auto IsThreadX(const ast::Expr* e) -> bool {
  if (auto* n = As<ast::Name>(e)) {
    auto* let = As<ast::Let>(n->decl);
    return let && !let->is_var && let->init && IsThreadX(let->init);
  }
  auto* f = As<ast::Field>(e);
  auto* base = f ? As<ast::Name>(f->base) : nullptr;
  return base && base->gpu == ast::GpuValue::ThreadIdx && f->field_index == 0;
}

// For a region that is `if thread_idx.x < bound { … }` (no else; thread_idx.x directly or through
// a `let`, a u32 comparison): `bound`, past which the threads do nothing. The step of a reduction
// tree, `if tid < s { … }`: the thread loop runs over x < s only.
auto XBound(const ast::Stmt* s) -> const ast::Expr* {
  auto* i = As<ast::If>(s);
  auto* cond = i && !i->else_stmt ? As<ast::Binary>(i->cond) : nullptr;
  if (!cond || cond->op != TokenKind::Less || !IsThreadX(cond->lhs)) return nullptr;
  const Type* t = cond->lhs->type;
  if (!t->IsInt() || t->bits != 32 || t->is_signed || cond->rhs->type != t) return nullptr;
  return cond->rhs;
}

}  // namespace

auto Lowerer::PlanSplit(const ast::FnDecl* k, std::vector<const ast::Node*>& per_thread) -> bool {
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
  align_checks_ = b_.getFalse();  // a block's threads in loops: only --check-kernels tests alignment
  shared_base_ = b_.CreateLoad(b_.getPtrTy(), b_.CreateStructGEP(ThreadTy(), t, kShared), "shared");
  BindParams(k, args);
  // The arrays: one element per thread of the block.
  auto* i32 = b_.getInt32Ty();
  llvm::Value* n = b_.getInt32(1);
  for (int d = 0; d < 3; d++)
    n = b_.CreateMul(n, b_.CreateLoad(i32, b_.CreateInBoundsGEP(ThreadTy(), t, {b_.getInt32(0), b_.getInt32(kBlockDim), b_.getInt32(d)})));
  split_threads_ = n;
  // The block-uniform variables are scalars (UniformPlanner).
  std::unordered_set<const ast::Node*> uniform = UniformPlanner(k, per_thread).Run();
  for (const ast::Param* p : k->params)
    if (uniform.count(p)) split_uniform_params_.insert(p);
  // Immutable per-thread scalars computed from the thread's indices and values that cannot change
  // while they are in scope (parameters, immutable uniform variables, constants, other such
  // scalars): recomputed where they are used instead of kept in an array (SplitRematAddr).
  std::unordered_set<const ast::Node*> taken = AddressTaken(k);
  auto fixed = [&](const ast::Node* d) {
    if (split_remat_.count(d) || split_uniform_params_.count(d)) return true;
    auto* let = As<ast::Let>(d);
    return (let && !let->is_var && uniform.count(let)) || (As<ast::For>(d) && uniform.count(d));
  };
  for (const ast::Node* node : per_thread) {  // in order: an initializer names earlier ones only
    auto* let = As<ast::Let>(node);
    if (!let || let->is_var || !let->init || !let->type->IsScalar() || uniform.count(let) || taken.count(let))
      continue;
    if (UniformExpr(let->init, fixed, /*thread_ok=*/true)) split_remat_.insert(let);
  }
  std::unordered_set<const ast::Node*> uniform_ends;  // a uniform for's end is evaluated once
  for (const ast::Node* node : per_thread)
    if (auto* f = As<ast::For>(node); f && uniform.count(f)) uniform_ends.insert(f->end);
  for (const ast::Node* node : per_thread) {
    if (uniform.count(node) || split_remat_.count(node) || uniform_ends.count(node)) continue;
    const Type* ty = TypeOf(node);
    llvm::AllocaInst* a = b_.CreateAlloca(MemTy(ty), n, "per_thread");
    a->setAlignment(llvm::Align(std::max<uint64_t>(ty->align, 1)));
    split_arrays_[node] = a;
  }
  for (const ast::Node* node : per_thread) {  // in order, so that the IR is the same every time
    if (!uniform.count(node)) continue;
    split_uniform_order_.push_back(node);
    llvm::Type* ty = MemTy(TypeOf(node));
    SplitUniform& u = split_uniform_[node];
    u.cur = EntryAlloca(ty, "uniform");
    u.own = EntryAlloca(ty, "uniform.own");
    u.out = EntryAlloca(ty, "uniform.out");
    locals_[node] = u.cur;
  }
  LowerRegions(k->body->stmts);
  split_remat_.clear();
  split_uniform_.clear();
  split_uniform_order_.clear();
  split_uniform_params_.clear();
  split_arrays_.clear();
  split_threads_ = nullptr;
  thread_ = shared_base_ = nullptr;
  align_checks_ = nullptr;
  kernel_ = nullptr;
  ret_type_ = nullptr;
}

// A statement list in block mode: runs of statements without barriers become thread loops, and
// a run with warp operations a loop over the warps (EmitWarpLoop) whose body is the run in warp
// mode. In warp mode (split_warp_base_ set) the runs without warp operations become loops over the
// warp's lanes, and a statement with a warp operation is lowered once for the warp.
void Lowerer::LowerRegions(const std::vector<ast::Stmt*>& stmts) {
  bool warp = split_warp_base_ != nullptr;
  size_t i = 0;
  while (i < stmts.size()) {
    if (warp ? HasWarpOp(stmts[i]) : HasBarrier(stmts[i])) {
      const ast::Stmt* s = stmts[i++];
      if (warp && (As<ast::If>(s) ? SplittableWarpStmt(s) != nullptr : WarpStmtExpr(s) != nullptr)) {
        LowerWarpOpStmt(s, SplittableWarpStmt(s));
      } else {
        LowerSplitStmt(s);
      }
      continue;
    }
    size_t j = i;
    bool uniform = true;  // only block-uniform variables declared or assigned: once for the block
    bool warp_ops = false;
    for (; j < stmts.size() && !(warp ? HasWarpOp(stmts[j]) : HasBarrier(stmts[j])); j++) {
      auto* let = As<ast::Let>(stmts[j]);
      auto* assign = As<ast::Assign>(stmts[j]);
      auto* target = assign ? As<ast::Name>(assign->target) : nullptr;
      uniform = uniform && ((let && split_uniform_.count(let)) || (target && split_uniform_.count(target->decl)));
      warp_ops = warp_ops || HasWarpOp(stmts[j]);
    }
    if (uniform) {
      for (size_t s = i; s < j; s++) LowerStmt(stmts[s]);
    } else if (warp_ops) {
      std::vector<ast::Stmt*> run(stmts.begin() + static_cast<ptrdiff_t>(i), stmts.begin() + static_cast<ptrdiff_t>(j));
      EmitWarpLoop([&] { LowerRegions(run); });
    } else {
      const ast::Expr* bound = !warp && j == i + 1 ? XBound(stmts[i]) : nullptr;
      llvm::Value* x_end = bound && IsUniformExpr(bound) ? LowerExpr(bound) : nullptr;
      SplitThreadLoop([&] {
        for (size_t s = i; s < j; s++) LowerStmt(stmts[s]);
      }, x_end);
    }
    i = j;
  }
}

// A thread loop in block mode: `body` for every thread, with the per-thread variables bound
// (BindPerThread). Each thread works on its own copy of each block-uniform variable, taken from the
// block's at the top; the threads that reach the end leave theirs in `out` (they all computed the
// same value), which is the block's after the loop.
void Lowerer::SplitThreadLoop(const std::function<void()>& body, llvm::Value* x_end) {
  auto move = [&](const ast::Node* node, llvm::Value* from, llvm::Value* to) {
    llvm::Type* ty = MemTy(TypeOf(node));
    b_.CreateStore(b_.CreateLoad(ty, from), to);
  };
  for (const ast::Node* node : split_uniform_order_) move(node, split_uniform_[node].cur, split_uniform_[node].out);
  auto thread = [&](llvm::Value* linear) {
    BindPerThread(linear);
    body();
    if (b_.GetInsertBlock()->getTerminator()) return;
    for (const ast::Node* node : split_uniform_order_)
      move(node, split_uniform_[node].own, split_uniform_[node].out);
  };
  if (split_warp_base_) {
    EmitLaneLoop(thread);
  } else {
    EmitThreadLoop(thread_, thread, x_end);
  }
  for (const ast::Node* node : split_uniform_order_) {
    move(node, split_uniform_[node].out, split_uniform_[node].cur);
    locals_[node] = split_uniform_[node].cur;
  }
}

// Whether every thread of the block computes the same value for `e` (UniformPlanner's rules).
auto Lowerer::IsUniformExpr(const ast::Expr* e) const -> bool {
  return UniformExpr(e, [&](const ast::Node* d) { return split_uniform_params_.count(d) || split_uniform_.count(d); });
}

// The per-thread variables as this thread's elements; the block-uniform ones as this thread's copy.
void Lowerer::BindPerThread(llvm::Value* linear) {
  for (const ast::Node* node : split_uniform_order_) {
    const SplitUniform& u = split_uniform_.at(node);
    b_.CreateStore(b_.CreateLoad(MemTy(TypeOf(node)), u.cur), u.own);
    locals_[node] = u.own;
  }
  for (auto& [node, array] : split_arrays_) {
    llvm::Value* elem = b_.CreateInBoundsGEP(MemTy(TypeOf(node)), array, linear);
    if (As<ast::Let>(node) || As<ast::For>(node)) {
      locals_[node] = elem;
    } else {
      split_ends_[node] = elem;  // a for's end
    }
  }
}

// A use of a recomputed per-thread scalar (split_remat_): its initializer, evaluated again here
// into a slot of its own. Its operands hold the values they had at the declaration (they are
// immutable and in scope), so the value is the same; LLVM merges the copies within a region.
auto Lowerer::SplitRematAddr(const ast::Let* let) -> llvm::Value* {
  llvm::AllocaInst* slot = EntryAllocaOf(let->type, let->name + ".remat");
  StoreInto(let->init, slot);
  return slot;
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
      llvm::Value* taken = IsUniformExpr(i->cond)
                               ? LowerExpr(i->cond)
                               : UniformCond([&] { return LowerExpr(i->cond); }, i->cond->range, "if");
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
      // A condition of block-uniform values once for the block, else counted over the threads.
      llvm::Value* more = IsUniformExpr(w->cond)
                              ? LowerExpr(w->cond)
                              : UniformCond([&] { return LowerExpr(w->cond); }, w->cond->range, "while");
      b_.CreateCondBr(more, body_bb, end_bb);
      b_.SetInsertPoint(body_bb);
      LowerRegions(w->body->stmts);
      b_.CreateBr(cond_bb);
      b_.SetInsertPoint(end_bb);
      return;
    }
    case ast::NodeKind::For: {
      auto* f = As<ast::For>(s);
      if (split_uniform_.count(f)) return LowerUniformFor(f);
      // As LowerFor, with the variable and the end in per-thread arrays: every thread evaluates
      // start and end once; the loop goes on while the threads agree that i < end.
      llvm::Type* ty = MemTy(f->type);
      SplitThreadLoop([&] {
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
      SplitThreadLoop([&] {
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

// A `for` with barriers whose bounds are block-uniform (UniformPlanner): as LowerFor, once for the
// block, the variable in its block-uniform slot (each thread loop of the body reads its copy; no
// thread assigns it) and the end evaluated once.
void Lowerer::LowerUniformFor(const ast::For* f) {
  llvm::Type* ty = MemTy(f->type);
  llvm::Value* slot = split_uniform_.at(f).cur;
  b_.CreateStore(LowerExpr(f->start), slot);
  llvm::Value* end = LowerExpr(f->end);
  auto* cond_bb = llvm::BasicBlock::Create(ctx_, "split.for", fn_);
  auto* body_bb = llvm::BasicBlock::Create(ctx_, "split.body", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "split.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  llvm::Value* i = b_.CreateLoad(ty, slot);
  b_.CreateCondBr(f->type->is_signed ? b_.CreateICmpSLT(i, end) : b_.CreateICmpULT(i, end), body_bb, end_bb);
  b_.SetInsertPoint(body_bb);
  LowerRegions(f->body->stmts);
  llvm::Value* one = llvm::ConstantInt::get(ty, 1);  // i < end held, so i + 1 cannot overflow
  i = b_.CreateLoad(ty, slot);
  b_.CreateStore(f->type->is_signed ? b_.CreateNSWAdd(i, one) : b_.CreateNUWAdd(i, one), slot);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(end_bb);
}

// Every thread evaluates `cond`; they must agree. The value they agree on.
auto Lowerer::UniformCond(const std::function<llvm::Value*()>& cond, SourceRange where, const char* what)
    -> llvm::Value* {
  auto* i32 = b_.getInt32Ty();
  llvm::AllocaInst* count = EntryAlloca(i32, "agree");
  b_.CreateStore(b_.getInt32(0), count);
  SplitThreadLoop([&] {
    llvm::Value* c = cond();
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i32, count), b_.CreateZExt(c, i32)), count);
  });
  llvm::Value* yes = b_.CreateLoad(i32, count);
  llvm::Value* all = split_warp_base_ ? split_warp_lanes_ : split_threads_;
  llvm::Value* split = b_.CreateAnd(b_.CreateICmpNE(yes, b_.getInt32(0)), b_.CreateICmpNE(yes, all));
  if (split_warp_base_) {
    FailIf(split, Runtime("rt_gpu_warp_divergent"), {thread_, yes, all, StringConst(what), LocOf(where)});
  } else {
    FailIf(split, Runtime("rt_gpu_divergent"), {thread_, yes, StringConst(what), LocOf(where)});
  }
  return b_.CreateICmpNE(yes, b_.getInt32(0));
}

// --- Warp operations ----------------------------------------------------------------------------
//
// A run of statements with warp operations (between two barriers) runs warp by warp: for each
// warp of 32 consecutive threads (by linear index, as the GPU forms them), the run is lowered in
// warp mode, where the stretches between warp operations are loops over the warp's lanes and a
// statement with a warp operation is two: one lane loop stores each lane's operands in arrays of
// 32, the next computes each lane's result from them and runs the statement with it.

// `body` once per warp of the block, with split_warp_base_ (its first thread's linear index) and
// split_warp_lanes_ (its lane count: 32, or fewer in the block's last warp) set. Each warp starts
// from the block-uniform values the run started with; every warp computes the same ones.
void Lowerer::EmitWarpLoop(const std::function<void()>& body) {
  auto* i32 = b_.getInt32Ty();
  std::vector<llvm::Value*> entry;  // the block-uniform values before the first warp
  for (const ast::Node* node : split_uniform_order_) {
    llvm::Type* ty = MemTy(TypeOf(node));
    llvm::AllocaInst* slot = EntryAlloca(ty, "uniform.warp");
    b_.CreateStore(b_.CreateLoad(ty, split_uniform_.at(node).cur), slot);
    entry.push_back(slot);
  }
  llvm::Value* n = split_threads_;
  llvm::Value* warps = b_.CreateLShr(b_.CreateAdd(n, b_.getInt32(kWarpSize - 1)), 5, "warps");
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(ctx_, "warp", fn_);
  auto* done = llvm::BasicBlock::Create(ctx_, "warp.done", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(warps, b_.getInt32(0)), done, loop);
  b_.SetInsertPoint(loop);
  llvm::PHINode* w = b_.CreatePHI(i32, 2, "warp.index");
  w->addIncoming(b_.getInt32(0), pre);
  for (size_t u = 0; u < entry.size(); u++) {
    const ast::Node* node = split_uniform_order_[u];
    llvm::Type* ty = MemTy(TypeOf(node));
    b_.CreateStore(b_.CreateLoad(ty, entry[u]), split_uniform_.at(node).cur);
    locals_[node] = split_uniform_.at(node).cur;
  }
  llvm::Value* base = b_.CreateShl(w, 5, "warp.base");
  llvm::Value* left = b_.CreateSub(n, base);
  split_warp_base_ = base;
  split_warp_lanes_ = b_.CreateSelect(b_.CreateICmpULT(left, b_.getInt32(kWarpSize)), left,
                                      b_.getInt32(kWarpSize), "warp.lanes");
  body();
  split_warp_base_ = split_warp_lanes_ = nullptr;
  llvm::Value* next = b_.CreateAdd(w, b_.getInt32(1));
  w->addIncoming(next, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpEQ(next, warps), done, loop);
  b_.SetInsertPoint(done);
}

// `body` for each lane of the current warp, with thread_idx and the linear index set (x fastest,
// as in EmitThreadLoop). The first lane's indices are divided out of the warp's base; each next
// lane's are counted on from them.
void Lowerer::EmitLaneLoop(const std::function<void(llvm::Value* linear)>& body) {
  llvm::StructType* tt = ThreadTy();
  auto* i32 = b_.getInt32Ty();
  auto field = [&](int f, int d) { return b_.CreateInBoundsGEP(tt, thread_, {b_.getInt32(0), b_.getInt32(f), b_.getInt32(d)}); };
  llvm::Value* nx = b_.CreateLoad(i32, field(kBlockDim, 0));
  llvm::Value* ny = b_.CreateLoad(i32, field(kBlockDim, 1));
  llvm::Value* yz = b_.CreateUDiv(split_warp_base_, nx);
  llvm::Value* x0 = b_.CreateURem(split_warp_base_, nx);
  llvm::Value* y0 = b_.CreateURem(yz, ny);
  llvm::Value* z0 = b_.CreateUDiv(yz, ny);
  llvm::Value* linear_slot = b_.CreateInBoundsGEP(tt, thread_, {b_.getInt32(0), b_.getInt32(kLinear)});
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(ctx_, "lane", fn_);
  auto* done = llvm::BasicBlock::Create(ctx_, "lane.done", fn_);
  b_.CreateBr(loop);  // a warp has at least one lane
  b_.SetInsertPoint(loop);
  llvm::PHINode* lane = b_.CreatePHI(i32, 2, "lane.index");
  llvm::PHINode* x = b_.CreatePHI(i32, 2);
  llvm::PHINode* y = b_.CreatePHI(i32, 2);
  llvm::PHINode* z = b_.CreatePHI(i32, 2);
  lane->addIncoming(b_.getInt32(0), pre);
  x->addIncoming(x0, pre);
  y->addIncoming(y0, pre);
  z->addIncoming(z0, pre);
  // thread_idx is stored for the body; when nothing in the body reads it (or passes the thread on),
  // the stores go again, so that the counting on of x, y, z does not keep the loop from being
  // vectorised (the stores would leave the loop with the last lane's values).
  llvm::SmallPtrSet<llvm::User*, 16> users_before(thread_->user_begin(), thread_->user_end());
  llvm::Instruction* stores[3] = {b_.CreateStore(x, field(kThreadIdx, 0)), b_.CreateStore(y, field(kThreadIdx, 1)),
                                  b_.CreateStore(z, field(kThreadIdx, 2))};
  llvm::Value* linear = b_.CreateAdd(split_warp_base_, lane, "linear");
  b_.CreateStore(linear, linear_slot);
  auto* next_lane = llvm::BasicBlock::Create(ctx_, "lane.next", fn_);
  llvm::BasicBlock* saved = split_next_;
  split_next_ = next_lane;
  body(linear);
  split_next_ = saved;
  bool reads_idx = false;
  for (llvm::User* u : thread_->users()) {
    if (users_before.count(u)) continue;
    auto* gep = llvm::dyn_cast<llvm::GetElementPtrInst>(u);
    auto* f = gep && gep->getNumOperands() >= 3 ? llvm::dyn_cast<llvm::ConstantInt>(gep->getOperand(2)) : nullptr;
    bool mine = false;
    for (llvm::Instruction* st : stores) mine = mine || st->getOperand(1) == u;
    if (mine || (f && f->getZExtValue() != kThreadIdx)) continue;
    reads_idx = true;
  }
  if (!reads_idx) {
    for (llvm::Instruction* st : stores) {
      auto* gep = llvm::cast<llvm::Instruction>(st->getOperand(1));
      st->eraseFromParent();
      if (gep->use_empty()) gep->eraseFromParent();
    }
  }
  if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(next_lane);
  b_.SetInsertPoint(next_lane);
  llvm::Value* x1 = b_.CreateAdd(x, b_.getInt32(1));
  llvm::Value* wrap_x = b_.CreateICmpEQ(x1, nx);
  llvm::Value* y1 = b_.CreateAdd(y, b_.CreateZExt(wrap_x, i32));
  llvm::Value* wrap_y = b_.CreateICmpEQ(y1, ny);
  x->addIncoming(b_.CreateSelect(wrap_x, b_.getInt32(0), x1), next_lane);
  y->addIncoming(b_.CreateSelect(wrap_y, b_.getInt32(0), y1), next_lane);
  z->addIncoming(b_.CreateAdd(z, b_.CreateZExt(wrap_y, i32)), next_lane);
  llvm::Value* next = b_.CreateAdd(lane, b_.getInt32(1));
  lane->addIncoming(next, next_lane);
  b_.CreateCondBr(b_.CreateICmpEQ(next, split_warp_lanes_), done, loop);
  b_.SetInsertPoint(done);
}

// A statement with one warp operation `op` (SplittableWarpStmt), for the current warp: a lane loop
// evaluates the operands and keeps them (a shuffle's values in an array of the warp's, with its
// lane or delta and width per lane unless they are block-uniform; a vote's ballot), a loop over
// the 32 lanes computes each lane's result (WarpShuffleResults), and a last lane loop runs the
// statement with its lane's result in split_warp_results_ (LowerGpuBuiltin takes it from there).
// The mask is all 32 lanes, so a warp with fewer (the last of a block that is not a multiple of
// 32) is a hazard, as on fibers.
void Lowerer::LowerWarpOpStmt(const ast::Stmt* s, const ast::Call* op) {
  FUSION_CHECK(op) << "warp statement the split planner did not accept";
  using B = ast::Builtin;
  auto* i32 = b_.getInt32Ty();
  bool shuffle = op->builtin >= B::ShflSync && op->builtin <= B::ShflXorSync;
  llvm::Value* loc = LocOf(op->range);
  WarpFailIf(b_.CreateICmpNE(split_warp_lanes_, b_.getInt32(kWarpSize)), 0, split_warp_lanes_, loc);
  auto lane_of = [&] {
    return b_.CreateSub(b_.CreateLoad(i32, b_.CreateStructGEP(ThreadTy(), thread_, kLinear)), split_warp_base_);
  };
  auto bad_width = [&](llvm::Value* w) {
    llvm::Value* pow2 = b_.CreateICmpEQ(b_.CreateAnd(w, b_.CreateSub(w, b_.getInt32(1))), b_.getInt32(0));
    return b_.CreateOr(b_.CreateICmpEQ(w, b_.getInt32(0)),
                       b_.CreateOr(b_.CreateICmpUGT(w, b_.getInt32(kWarpSize)), b_.CreateNot(pow2)));
  };
  if (IsTensorCoreOp(op)) {
    // mma_*, ldmatrix_*: each lane's record (its operands) in an array of the warp's, the results
    // from the runtime's rt_gpu_mma_warp (the fibers' rule), then each lane's result.
    auto* rec_ty = llvm::ArrayType::get(i32, RT_GPU_MMA_WORDS);
    auto* warp_ty = llvm::ArrayType::get(rec_ty, kWarpSize);
    llvm::AllocaInst* records = EntryAlloca(warp_ty, "warp.mma");
    records->setAlignment(llvm::Align(8));
    auto record = [&] { return b_.CreateInBoundsGEP(warp_ty, records, {b_.getInt32(0), lane_of()}); };
    SplitThreadLoop([&] { TensorCoreOperands(op, record()); });
    int kind = static_cast<int>(op->builtin) - static_cast<int>(B::MmaM16n8k16F16);
    b_.CreateCall(Runtime("rt_gpu_mma_warp"), {thread_, b_.getInt32(kind), records});
    SplitThreadLoop([&] {
      split_warp_results_[op] = TensorCoreResult(op, record());
      LowerStmt(s);
      split_warp_results_.erase(op);
    });
    return;
  }
  if (op->builtin >= B::SyncWarp) {
    // sync_warp, match_*_sync, reduce_*_sync: each lane's value (zero-extended) to an array, the
    // results from the runtime's rt_gpu_combine_warp (the fibers' rule), then each lane's result.
    // sync_warp has no value: the cut of the warp's lanes at it is all it does.
    llvm::Value* result_slot = nullptr;
    if (op->builtin != B::SyncWarp) {
      auto* arr_ty = llvm::ArrayType::get(b_.getInt64Ty(), kWarpSize);
      llvm::AllocaInst* values = EntryAlloca(arr_ty, "warp.values");
      llvm::AllocaInst* results = EntryAlloca(arr_ty, "warp.results");
      const Type* vt = op->args[1]->type;
      SplitThreadLoop([&] {
        llvm::Value* v = LowerExpr(op->args[1]);
        if (vt->IsFloat()) v = b_.CreateBitCast(v, b_.getIntNTy(vt->bits));
        b_.CreateStore(b_.CreateZExt(v, b_.getInt64Ty()), b_.CreateInBoundsGEP(arr_ty, values, {b_.getInt32(0), lane_of()}));
      });
      b_.CreateCall(Runtime("rt_gpu_combine_warp"), {b_.getInt32(CombineKind(op)), values, results});
      result_slot = results;
    }
    SplitThreadLoop([&] {
      llvm::Value* r = nullptr;
      if (result_slot) {
        auto* arr_ty = llvm::ArrayType::get(b_.getInt64Ty(), kWarpSize);
        r = b_.CreateTrunc(b_.CreateLoad(b_.getInt64Ty(), b_.CreateInBoundsGEP(arr_ty, result_slot, {b_.getInt32(0), lane_of()})),
                           b_.getInt32Ty());
      }
      split_warp_results_[op] = r;
      LowerStmt(s);
      split_warp_results_.erase(op);
    });
    return;
  }
  if (!shuffle) {
    llvm::AllocaInst* ballot = EntryAlloca(i32, "warp.ballot");
    b_.CreateStore(b_.getInt32(0), ballot);
    SplitThreadLoop([&] {
      llvm::Value* pred = b_.CreateZExt(LowerExpr(op->args[1]), i32);
      b_.CreateStore(b_.CreateOr(b_.CreateLoad(i32, ballot), b_.CreateShl(pred, lane_of())), ballot);
    });
    SplitThreadLoop([&] {
      llvm::Value* bits = b_.CreateLoad(i32, ballot);
      split_warp_results_[op] = op->builtin == B::BallotSync ? bits
                                : op->builtin == B::AnySync  ? b_.CreateICmpNE(bits, b_.getInt32(0))
                                                             : b_.CreateICmpEQ(bits, b_.getInt32(0xffffffffu));
      LowerStmt(s);
      split_warp_results_.erase(op);
    });
    return;
  }
  // A lane or delta and a width that every thread computes alike are evaluated once.
  const ast::Expr* width_expr = op->args.size() == 4 ? op->args[3] : nullptr;
  bool uniform = IsUniformExpr(op->args[2]) && (!width_expr || IsUniformExpr(width_expr));
  llvm::Value* arg = nullptr;
  llvm::Value* width = b_.getInt32(kWarpSize);
  if (uniform) {
    arg = LowerExpr(op->args[2]);
    if (width_expr) width = LowerExpr(width_expr);
    WarpFailIf(bad_width(width), 1, width, loc);
  }
  llvm::Type* ty = ValTy(op->type);
  // The values at [32, 64), with 32 elements either side, so that lane ± delta is in bounds.
  llvm::AllocaInst* values = EntryAlloca(llvm::ArrayType::get(ty, 3 * kWarpSize), "warp.values");
  llvm::AllocaInst* results = EntryAlloca(llvm::ArrayType::get(ty, kWarpSize), "warp.results");
  auto* lanes_ty = llvm::ArrayType::get(i32, kWarpSize);
  llvm::AllocaInst* args = uniform ? nullptr : EntryAlloca(lanes_ty, "warp.args");
  llvm::AllocaInst* widths = uniform ? nullptr : EntryAlloca(lanes_ty, "warp.widths");
  auto elem = [&](llvm::AllocaInst* a, llvm::Value* i) {
    return b_.CreateInBoundsGEP(a->getAllocatedType(), a, {b_.getInt32(0), i});
  };
  SplitThreadLoop([&] {
    llvm::Value* lane = lane_of();
    b_.CreateStore(LowerExpr(op->args[1]), elem(values, b_.CreateAdd(lane, b_.getInt32(kWarpSize))));
    if (uniform) return;
    b_.CreateStore(LowerExpr(op->args[2]), elem(args, lane));
    llvm::Value* w = width_expr ? LowerExpr(width_expr) : b_.getInt32(kWarpSize);
    FailIf(bad_width(w), Runtime("rt_gpu_warp_fault"), {thread_, b_.getInt32(1), w, loc});
    b_.CreateStore(w, elem(widths, lane));
  });
  WarpShuffleResults(op->builtin, values, results, uniform ? arg : nullptr, width, args, widths);
  SplitThreadLoop([&] {
    split_warp_results_[op] = b_.CreateLoad(ty, elem(results, lane_of()));
    LowerStmt(s);
    split_warp_results_.erase(op);
  });
}

// results[lane] = the value lane `lane` receives from the shuffle `kind` of `values` (at 32 +
// lane), for the lanes 0 to 31. With `arg` (block-uniform; `width` too), one delta for the warp,
// else each lane's from `args` and `widths`. The lane it receives from is gpu_cpu.c's
// shuffle_source: a source outside the lane's segment of `width` lanes gives it its own value. An
// up or down shuffle by a uniform delta of at most 32 reads values[32 + lane ∓ delta]: contiguous
// loads the loop vectoriser can use (it has no gathers on SSE2).
void Lowerer::WarpShuffleResults(ast::Builtin kind, llvm::AllocaInst* values, llvm::AllocaInst* results,
                                 llvm::Value* arg, llvm::Value* width, llvm::AllocaInst* args,
                                 llvm::AllocaInst* widths) {
  using B = ast::Builtin;
  auto* i32 = b_.getInt32Ty();
  llvm::Type* ty = results->getAllocatedType()->getArrayElementType();
  auto elem = [&](llvm::AllocaInst* a, llvm::Value* i) {
    return b_.CreateInBoundsGEP(a->getAllocatedType(), a, {b_.getInt32(0), i});
  };
  auto value_at = [&](llvm::Value* i) { return b_.CreateLoad(ty, elem(values, b_.CreateAdd(i, b_.getInt32(kWarpSize)))); };
  auto lanes = [&](const std::function<void(llvm::Value* lane)>& body) {
    llvm::BasicBlock* pre = b_.GetInsertBlock();
    auto* loop = llvm::BasicBlock::Create(ctx_, "shfl", fn_);
    auto* done = llvm::BasicBlock::Create(ctx_, "shfl.done", fn_);
    b_.CreateBr(loop);
    b_.SetInsertPoint(loop);
    llvm::PHINode* lane = b_.CreatePHI(i32, 2, "shfl.lane");
    lane->addIncoming(b_.getInt32(0), pre);
    body(lane);
    llvm::Value* next = b_.CreateNUWAdd(lane, b_.getInt32(1));
    lane->addIncoming(next, b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpEQ(next, b_.getInt32(kWarpSize)), done, loop);
    b_.SetInsertPoint(done);
  };
  auto generic = [&] {
    lanes([&](llvm::Value* lane) {
      llvm::Value* a = arg ? arg : b_.CreateLoad(i32, elem(args, lane));
      llvm::Value* w = arg ? width : b_.CreateLoad(i32, elem(widths, lane));
      llvm::Value* low = b_.CreateSub(w, b_.getInt32(1));
      llvm::Value* seg = b_.CreateAnd(lane, b_.CreateNot(low));
      llvm::Value* in_seg = b_.CreateSub(lane, seg);
      llvm::Value* src;
      switch (kind) {
        case B::ShflSync:
          src = b_.CreateAdd(seg, b_.CreateAnd(a, low));
          break;
        case B::ShflUpSync:
          src = b_.CreateSelect(b_.CreateICmpUGE(in_seg, a), b_.CreateSub(lane, a), lane);
          break;
        case B::ShflDownSync:
          src = b_.CreateSelect(b_.CreateICmpULT(b_.CreateAdd(in_seg, a), w), b_.CreateAdd(lane, a), lane);
          break;
        default: {  // xor
          llvm::Value* x = b_.CreateXor(lane, a);
          src = b_.CreateSelect(b_.CreateICmpEQ(b_.CreateAnd(x, b_.CreateNot(low)), seg), x, lane);
          break;
        }
      }
      b_.CreateStore(value_at(src), elem(results, lane));
    });
  };
  if (!arg || (kind != B::ShflUpSync && kind != B::ShflDownSync)) return generic();
  auto* fast_bb = llvm::BasicBlock::Create(ctx_, "shfl.near", fn_);
  auto* generic_bb = llvm::BasicBlock::Create(ctx_, "shfl.far", fn_);
  auto* end_bb = llvm::BasicBlock::Create(ctx_, "shfl.end", fn_);
  b_.CreateCondBr(b_.CreateICmpULE(arg, b_.getInt32(kWarpSize)), fast_bb, generic_bb);
  b_.SetInsertPoint(fast_bb);
  lanes([&](llvm::Value* lane) {
    llvm::Value* in_seg = b_.CreateAnd(lane, b_.CreateSub(width, b_.getInt32(1)));
    bool up = kind == B::ShflUpSync;
    llvm::Value* take = up ? b_.CreateICmpUGE(in_seg, arg) : b_.CreateICmpULT(b_.CreateAdd(in_seg, arg), width);
    llvm::Value* other = value_at(up ? b_.CreateSub(lane, arg) : b_.CreateAdd(lane, arg));
    b_.CreateStore(b_.CreateSelect(take, other, value_at(lane)), elem(results, lane));
  });
  b_.CreateBr(end_bb);
  b_.SetInsertPoint(generic_bb);
  generic();
  b_.CreateBr(end_bb);
  b_.SetInsertPoint(end_bb);
}

// When `fail` holds (the same for the whole warp), the warp's first lane reports
// rt_gpu_warp_fault(kind, value) at `loc`, with its thread's indices set.
void Lowerer::WarpFailIf(llvm::Value* fail, int kind, llvm::Value* value, llvm::Value* loc) {
  auto* fail_bb = llvm::BasicBlock::Create(ctx_, "warp.fail", fn_);
  auto* ok_bb = llvm::BasicBlock::Create(ctx_, "warp.ok", fn_);
  b_.CreateCondBr(fail, fail_bb, ok_bb);
  b_.SetInsertPoint(fail_bb);
  EmitLaneLoop([&](llvm::Value*) { CallNoReturn(Runtime("rt_gpu_warp_fault"), {thread_, b_.getInt32(kind), value, loc}); });
  b_.CreateBr(ok_bb);  // not taken: the first lane does not return
  b_.SetInsertPoint(ok_bb);
}

}  // namespace fusion::lower
