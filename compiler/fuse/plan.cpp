// The fusion pass's planning: which expressions are runs, what each group holds, which `let`s of
// a @fuse function are deferred and where they must be computed (see fuse.h).
#include "fuse/fuse.h"

#include <algorithm>
#include <functional>
#include <map>

#include "base/check.h"
#include "fuse/kernels.h"

namespace fusion::fuse {

namespace {

using ast::As;
using B = ast::Builtin;
using lex::TokenKind;

auto IsTensor(const ast::Expr* e) -> bool { return e && e->type && e->type->IsTensor(); }

auto IsMath(B b) -> bool { return b >= B::Sqrt && b <= B::Fmax; }

auto IsReduction(B b) -> bool {
  return b == B::TensorSum || b == B::TensorMean || b == B::TensorMax || b == B::TensorMin ||
         b == B::TensorArgmax || b == B::TensorArgmin;
}

// An elementwise tensor operation, and its tensor-or-scalar operands.
auto ElementwiseOperands(const ast::Expr* e, std::vector<const ast::Expr*>& out) -> bool {
  if (!IsTensor(e)) return false;
  if (auto* b = As<ast::Binary>(e)) return out = {b->lhs, b->rhs}, true;
  if (auto* u = As<ast::Unary>(e)) return out = {u->operand}, true;
  if (auto* c = As<ast::Cast>(e)) return out = {c->expr}, true;
  if (auto* c = As<ast::Call>(e)) {
    if (IsMath(c->builtin) || c->builtin == B::TensorWhere || c->builtin == B::TensorRelu || c->builtin == B::TensorSigmoid) {
      out.assign(c->args.begin(), c->args.end());
      return true;
    }
    if (c->builtin == B::TensorMap) {
      out.assign(c->args.begin() + 1, c->args.end());
      return true;
    }
  }
  return false;
}

auto IsElementwise(const ast::Expr* e) -> bool {
  std::vector<const ast::Expr*> ops;
  return ElementwiseOperands(e, ops);
}

// An expression the pass computes with kernels: elementwise, a reduction, or softmax.
auto IsComputing(const ast::Expr* e) -> bool {
  if (IsElementwise(e)) return true;
  auto* c = As<ast::Call>(e);
  return c && (IsReduction(c->builtin) || c->builtin == B::TensorSoftmax);
}

auto ReduceOf(B b) -> Reduce {
  switch (b) {
    case B::TensorSum: return Reduce::Sum;
    case B::TensorMean: return Reduce::Mean;
    case B::TensorMax: return Reduce::Max;
    case B::TensorMin: return Reduce::Min;
    case B::TensorArgmax: return Reduce::Argmax;
    case B::TensorArgmin: return Reduce::Argmin;
    default: return Reduce::None;
  }
}

// Every direct child expression of `e`.
void Children(const ast::Expr* e, std::vector<const ast::Expr*>& out) {
  switch (e->kind) {
    case ast::NodeKind::Unary: out.push_back(As<ast::Unary>(e)->operand); break;
    case ast::NodeKind::Binary: out.push_back(As<ast::Binary>(e)->lhs), out.push_back(As<ast::Binary>(e)->rhs); break;
    case ast::NodeKind::Call: {
      auto* c = As<ast::Call>(e);
      if (c->self) out.push_back(c->self);
      else if (c->builtin == B::None && !c->fn) out.push_back(c->callee);
      for (const ast::Expr* a : c->args) out.push_back(a);
      for (const ast::NamedArg& a : c->named_args) out.push_back(a.value);
      break;
    }
    case ast::NodeKind::Index: {
      auto* i = As<ast::Index>(e);
      out.push_back(i->base), out.push_back(i->index);
      for (const ast::Expr* m : i->more) out.push_back(m);
      break;
    }
    case ast::NodeKind::Field: out.push_back(As<ast::Field>(e)->base); break;
    case ast::NodeKind::Cast: out.push_back(As<ast::Cast>(e)->expr); break;
    case ast::NodeKind::ArrayLit:
      for (const ast::Expr* x : As<ast::ArrayLit>(e)->elems) out.push_back(x);
      break;
    case ast::NodeKind::ArrayRepeat: out.push_back(As<ast::ArrayRepeat>(e)->value); break;
    case ast::NodeKind::StructLit:
      for (const ast::FieldInit& f : As<ast::StructLit>(e)->fields) out.push_back(f.value);
      break;
    default: break;
  }
  std::erase(out, nullptr);
}

// The statements directly inside `s` and its expressions.
void StmtParts(const ast::Stmt* s, std::vector<const ast::Stmt*>& stmts, std::vector<const ast::Expr*>& exprs) {
  switch (s->kind) {
    case ast::NodeKind::Let: exprs.push_back(As<ast::Let>(s)->init); break;
    case ast::NodeKind::ExprStmt: exprs.push_back(As<ast::ExprStmt>(s)->expr); break;
    case ast::NodeKind::Assign: exprs.push_back(As<ast::Assign>(s)->target), exprs.push_back(As<ast::Assign>(s)->value); break;
    case ast::NodeKind::Return: exprs.push_back(As<ast::Return>(s)->value); break;
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(s);
      exprs.push_back(i->cond), stmts.push_back(i->then_block), stmts.push_back(i->else_stmt);
      break;
    }
    case ast::NodeKind::While: exprs.push_back(As<ast::While>(s)->cond), stmts.push_back(As<ast::While>(s)->body); break;
    case ast::NodeKind::For: {
      auto* f = As<ast::For>(s);
      exprs.push_back(f->start), exprs.push_back(f->end), stmts.push_back(f->body);
      break;
    }
    case ast::NodeKind::Block:
      for (const ast::Stmt* c : As<ast::Block>(s)->stmts) stmts.push_back(c);
      break;
    case ast::NodeKind::Launch: {
      auto* l = As<ast::Launch>(s);
      exprs.push_back(l->grid), exprs.push_back(l->block), exprs.push_back(l->shared_bytes), exprs.push_back(l->stream);
      for (const ast::Expr* a : l->args) exprs.push_back(a);
      break;
    }
    default: break;
  }
  std::erase(stmts, nullptr);
  std::erase(exprs, nullptr);
}

class Planner {
 public:
  Planner(const sema::CheckedModule& m, const SourceManager& sources, Plan& plan)
      : m_(m), sources_(sources), plan_(plan), kernels_(plan) {}

  void PlanAll() {
    for (const ast::FnDecl* fn : m_.fns) {
      if (!fn->body || fn->is_kernel || fn->is_device) continue;
      fuse_ = fn->is_fuse;
      fn_ = fn;
      views_ = fuse_ ? OutsideViews(fn) : std::string();
      if (fuse_) explain_ += "@fuse fn " + fn->name + " (" + Where(fn->name_range) + "):\n";
      size_t groups_before = group_count_;
      PlanBlock(fn->body->stmts);
      if (fuse_ && group_count_ == groups_before) explain_ += "  no tensor operations\n";
    }
    fuse_ = false;
    fn_ = nullptr;
    views_.clear();
    for (const ast::Stmt* s : m_.script_stmts) PlanStmt(s);
    plan_.explain = explain_;
    kernels_.Finish();
  }

 private:
  // A deferred value of a variable: `let x = e`, `var x = e` or `x = e` in a @fuse function.
  struct Def {
    const ast::Let* var = nullptr;
    const ast::Expr* expr = nullptr;
    bool pending = true;  // false once stored in the variable's slot
  };

  auto Where(SourceRange r) const -> std::string {
    const SourceFile& f = sources_.file(r.begin.file);
    LineCol lc = sources_.LineColOf(r.begin);
    return f.path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
  }
  auto Text(const ast::Expr* e) const -> std::string {
    const SourceFile& f = sources_.file(e->range.begin.file);
    std::string t = std::string(f.text().substr(e->range.begin.offset, e->range.end - e->range.begin.offset));
    if (t.size() > 60) t = t.substr(0, 57) + "...";
    return t;
  }

  // ---- statements ----
  void PlanBlock(const std::vector<ast::Stmt*>& stmts) {
    if (!fuse_) {
      for (const ast::Stmt* s : stmts) PlanStmt(s);
      return;
    }
    std::vector<const ast::Let*> declared_here;  // the block's tensor variables
    for (const ast::Stmt* s : stmts) {
      auto* let = As<ast::Let>(s);
      std::string stored_why;
      if (let && IsTensor(let->init) && CanDefer(let, let->init, stored_why)) {
        plan_.deferred.insert(let);
        Defer(let, let->init);
        declared_here.push_back(let);
        continue;
      }
      // `x = e` of a variable of this block: a new value, deferred as a `let` is (rebinding fuses).
      if (auto* a = As<ast::Assign>(s); a && a->op == TokenKind::Eq && IsTensor(a->target)) {
        auto* name = As<ast::Name>(a->target);
        auto* target = name ? As<ast::Let>(name->decl) : nullptr;
        std::string why;
        if (target && std::find(declared_here.begin(), declared_here.end(), target) != declared_here.end() &&
            CanDefer(target, a->value, why)) {
          plan_.deferred_assigns.insert(a);
          Defer(target, a->value);
          continue;
        }
      }
      FlushFor(s);
      if (!stored_why.empty())
        explain_ += "  `" + let->name + "` (" + Where(let->name_range) + ") is evaluated where it is declared: " + stored_why + "\n";
      if (let && IsTensor(let->init)) declared_here.push_back(let);
      PlanStmt(s);
    }
    for (const ast::Let* let : declared_here) {
      auto it = current_.find(let);
      if (it == current_.end()) continue;
      current_.erase(it);
      explain_ += "  `" + let->name + "` (" + Where(let->name_range) + ") " +
                  (CountUses(fn_->body, let) == 0 ? "is never used: not computed" : "is fused into each group that uses it: not stored") + "\n";
    }
  }

  // `var` (a variable of the block being planned) gets the deferred value `expr`; the names `expr`
  // reads keep the values they have now.
  void Defer(const ast::Let* var, const ast::Expr* expr) {
    BindNames(expr);
    auto d = std::make_unique<Def>();
    d->var = var;
    d->expr = expr;
    current_[var] = d.get();
    defs_.push_back(std::move(d));
  }
  void BindNames(const ast::Expr* e) {
    if (auto* n = As<ast::Name>(e)) {
      if (auto* let = As<ast::Let>(n->decl); let && IsTensor(e)) {
        auto it = current_.find(let);
        name_def_[n] = it == current_.end() ? nullptr : it->second;
      }
      return;
    }
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    for (const ast::Expr* k : kids) BindNames(k);
  }
  // The deferred value a name reads, or null when it reads its variable's slot.
  auto PendingOf(const ast::Name* n) const -> Def* {
    auto b = name_def_.find(n);
    if (b != name_def_.end()) return b->second && b->second->pending ? b->second : nullptr;
    auto* let = As<ast::Let>(n->decl);
    auto it = let ? current_.find(let) : current_.end();
    return it == current_.end() ? nullptr : it->second;
  }

  void PlanStmt(const ast::Stmt* s) {
    std::vector<const ast::Stmt*> stmts;
    std::vector<const ast::Expr*> exprs;
    StmtParts(s, stmts, exprs);
    if (auto* a = As<ast::Assign>(s); a && a->op != TokenKind::Eq && IsTensor(a->target)) {
      // `t op= v` computes `t op v` (one group: v's elementwise chain fuses in a @fuse function),
      // then writes it into t's memory.
      plan_.uses_tensors = true;
      auto run = std::make_unique<Run>();
      run_ = run.get();
      auto g = NewGroup(a->target);
      g->chain_elem = g->out_elem = a->target->type->elem;
      Input in;
      in.leaf = AddLeaf(a->target);
      int t = InputNode(*g, in, g->out_elem);
      int v = Build(*g, a->value, fuse_);
      // Its operation is the statement (`+=` at the target's place), for shape errors.
      AddNode(*g, Binary(lex::CompoundAssignBase(a->op), t, v, g->out_elem, nullptr, lex::Spelling(a->op)));
      g->ops.push_back(a->range);
      FinishGroup(std::move(g));
      run_ = nullptr;
      for (const ast::Expr* leaf : run->leaves) PlanLeaf(leaf);
      plan_.compound[a] = std::move(run);
      return;
    }
    for (const ast::Expr* e : exprs) PlanExpr(e);
    if (auto* b = As<ast::Block>(s)) return PlanBlock(b->stmts);
    for (const ast::Stmt* c : stmts) {
      if (auto* b = As<ast::Block>(c)) PlanBlock(b->stmts);
      else PlanStmt(c);
    }
  }

  // An immutable tensor `let` of a @fuse function whose value is computed by kernels from
  // variables and constant scalars can wait until it is needed. When a tensor `let` cannot, `why`
  // says why (for --explain-fusion; empty for a name of another variable's tensor).
  auto CanDefer(const ast::Let* let, const ast::Expr* init, std::string& why) -> bool {
    if (As<ast::Name>(init)) return false;
    // A reduction's value is needed whole by whatever reads it: stored at once (its own chain fused).
    if (!IsElementwise(init)) {
      auto* call = As<ast::Call>(init);
      why = "`" + Text(init) + "` " + (call && IsReduction(call->builtin) ? "is a reduction" : "is not elementwise");
      return false;
    }
    if (const ast::Expr* c = ChangingOperand(init)) {
      why = "it reads `" + Text(c) + "` (" + Where(c->range) + "), which may change";
      return false;
    }
    // Used more than once and costly to recompute: stored once, at the `let`.
    // Uses in one statement are one consumer: its group computes the value once.
    int uses = CountUsingStmts(fn_->body, let);
    int cost = Cost(init);
    if (uses >= 2 && cost > kRecomputeLimit) {
      why = "it is used by " + std::to_string(uses) + " statements and costs " + std::to_string(cost) +
            " operations to recompute (more than " + std::to_string(kRecomputeLimit) + ")";
      return false;
    }
    return true;
  }

  // The first operand whose value could change before a deferred `let` is computed, or null when
  // there is none: tensor variables (a statement that could change one flushes first), literals,
  // constants, immutable scalars and loop variables cannot.
  auto ChangingOperand(const ast::Expr* e) -> const ast::Expr* {
    if (!e) return nullptr;
    if (IsComputing(e)) {
      std::vector<const ast::Expr*> kids;
      Children(e, kids);
      for (const ast::Expr* k : kids)
        if (const ast::Expr* c = ChangingOperand(k)) return c;
      return nullptr;
    }
    if (auto* n = As<ast::Name>(e)) {
      bool fixed = IsTensor(e);
      if (auto* let = As<ast::Let>(n->decl)) fixed = fixed || !let->is_var;
      else if (auto* c = As<ast::ConstDecl>(n->decl)) fixed = fixed || !c->is_static;
      // A loop variable is fixed for the body, where every `let` that reads it lives.
      else fixed = fixed || As<ast::Param>(n->decl) || As<ast::For>(n->decl);
      return fixed ? nullptr : e;
    }
    if (As<ast::IntLit>(e) || As<ast::FloatLit>(e) || As<ast::BoolLit>(e)) return nullptr;
    if (auto* u = As<ast::Unary>(e); u && !IsTensor(e)) return u->op == TokenKind::Minus ? ChangingOperand(u->operand) : e;
    if (auto* b = As<ast::Binary>(e); b && !IsTensor(e)) {
      const ast::Expr* c = ChangingOperand(b->lhs);
      return c ? c : ChangingOperand(b->rhs);
    }
    if (auto* c = As<ast::Cast>(e); c && !IsTensor(e)) return ChangingOperand(c->expr);
    return e;
  }

  static constexpr int kRecomputeLimit = 8;

  // What recomputing an expression costs, in simple operations (+, *, a comparison: 1 each): a
  // transcendental function (exp, tanh, pow, sigmoid, a user's map) counts as kTranscendental, a
  // reduction as too many.
  static constexpr int kTranscendental = 8;
  auto Cost(const ast::Expr* e) -> int {
    if (!IsComputing(e)) return 0;
    if (!IsElementwise(e)) return 1000;
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    int c = 1;
    if (auto* call = As<ast::Call>(e)) {
      B b = call->builtin;
      bool cheap = b == B::Fmin || b == B::Fmax || b == B::Fabs || b == B::Floor || b == B::Ceil || b == B::TensorWhere ||
                   b == B::TensorRelu;
      if (!cheap) c = kTranscendental;
    }
    for (const ast::Expr* k : kids) {
      auto* n = As<ast::Name>(k);
      if (Def* d = n ? PendingOf(n) : nullptr) c += Cost(d->expr);
      else c += Cost(k);
    }
    return c;
  }

  static auto CountUses(const ast::Stmt* s, const ast::Let* let) -> int {
    int n = 0;
    std::vector<const ast::Stmt*> stmts;
    std::vector<const ast::Expr*> exprs;
    StmtParts(s, stmts, exprs);
    for (const ast::Expr* e : exprs) n += CountExprUses(e, let);
    for (const ast::Stmt* c : stmts) n += CountUses(c, let);
    return n;
  }
  // The statements (not blocks, ifs or loops: what they hold) that use `let`.
  static auto CountUsingStmts(const ast::Stmt* s, const ast::Let* let) -> int {
    std::vector<const ast::Stmt*> stmts;
    std::vector<const ast::Expr*> exprs;
    StmtParts(s, stmts, exprs);
    int n = 0;
    for (const ast::Expr* e : exprs)
      if (CountExprUses(e, let) > 0) {
        n = 1;
        break;
      }
    for (const ast::Stmt* c : stmts) n += CountUsingStmts(c, let);
    return n;
  }
  static auto CountExprUses(const ast::Expr* e, const ast::Let* let) -> int {
    if (auto* name = As<ast::Name>(e)) return name->decl == let ? 1 : 0;
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    int n = 0;
    for (const ast::Expr* k : kids) n += CountExprUses(k, let);
    return n;
  }

  // Before statement `s`: computes every pending `let` that `s` needs as a stored tensor, or all
  // of them when `s` may change a tensor one of them reads.
  void FlushFor(const ast::Stmt* s) {
    if (current_.empty()) return;
    std::string why;
    if (Changes(s, why)) {
      std::vector<const ast::Let*> all;
      for (auto& [var, d] : current_) all.push_back(var);
      std::sort(all.begin(), all.end(), [](const ast::Let* a, const ast::Let* b) { return a->range.begin.offset < b->range.begin.offset; });
      for (const ast::Let* let : all) Flush(s, let, why);
      return;
    }
    std::vector<std::pair<const ast::Let*, std::string>> needed;
    NeededIn(s, needed, false);
    for (auto& [let, reason] : needed) Flush(s, let, reason);
  }

  // Stores `let`'s deferred value in its variable before statement `s`. Deferred values that read
  // the variable's slot as it is now are stored first, since the store overwrites it.
  void Flush(const ast::Stmt* s, const ast::Let* let, const std::string& why) {
    auto it = current_.find(let);
    if (it == current_.end()) return;
    Def* d = it->second;
    current_.erase(it);
    std::vector<const ast::Let*> readers;
    for (auto& [var, other] : current_)
      if (ReadsSlot(other->expr, let)) readers.push_back(var);
    std::sort(readers.begin(), readers.end(), [](const ast::Let* a, const ast::Let* b) { return a->range.begin.offset < b->range.begin.offset; });
    for (const ast::Let* r : readers)
      Flush(s, r, "it reads `" + let->name + "`, which is stored next");
    // Before the groups that compute it.
    explain_ += "  `" + let->name + "` is stored before " + Where(s->range) + ": " + why + "\n";
    std::unique_ptr<Run> run = MakeRun(d->expr);
    d->pending = false;
    fuse::Flush flush{let, run.get(), why};
    plan_.flush_runs.push_back(std::move(run));
    plan_.flush_before[s].push_back(flush);
  }

  // Whether computing `e` now reads the slot of `var` (directly, or through deferred values).
  auto ReadsSlot(const ast::Expr* e, const ast::Let* var) const -> bool {
    if (auto* n = As<ast::Name>(e)) {
      if (Def* d = PendingOf(n)) return ReadsSlot(d->expr, var);
      return n->decl == var;
    }
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    for (const ast::Expr* k : kids)
      if (ReadsSlot(k, var)) return true;
    return false;
  }

  // Pending lets that statement `s` reads as stored tensors (not only inside fused expressions),
  // or reads inside a loop (computed once before it rather than in every iteration).
  void NeededIn(const ast::Stmt* s, std::vector<std::pair<const ast::Let*, std::string>>& out, bool in_loop) {
    std::vector<const ast::Stmt*> stmts;
    std::vector<const ast::Expr*> exprs;
    StmtParts(s, stmts, exprs);
    bool loop = in_loop || As<ast::While>(s) || As<ast::For>(s);
    for (const ast::Expr* e : exprs) NeededInExpr(e, out, false, loop);
    for (const ast::Stmt* c : stmts) NeededIn(c, out, loop);
  }
  void NeededInExpr(const ast::Expr* e, std::vector<std::pair<const ast::Let*, std::string>>& out, bool fused, bool loop) {
    if (auto* n = As<ast::Name>(e)) {
      Def* d = PendingOf(n);
      if (!d) return;
      const ast::Let* let = d->var;
      // Only the variable's current value can be stored in its slot; an older one is inlined.
      bool current = current_.count(let) && current_.at(let) == d;
      if (!fused && current) out.push_back({let, "`" + let->name + "` is used as a stored tensor at " + Where(e->range)});
      else if (loop && current) out.push_back({let, "`" + let->name + "` is used in a loop at " + Where(e->range)});
      else NeededInExpr(d->expr, out, true, loop);  // its own operands, inlined here
      return;
    }
    bool computing = IsComputing(e);
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    for (const ast::Expr* k : kids) NeededInExpr(k, out, computing, loop);
  }

  // Whether `s` may change a tensor's elements or a tensor variable: in-place operations, element
  // stores, assignments to tensor variables, tensors passed to functions.
  auto Changes(const ast::Stmt* s, std::string& why) -> bool {
    if (auto* a = As<ast::Assign>(s)) {
      const ast::Expr* root = a->target;
      while (auto* i = As<ast::Index>(root)) root = i->base;
      if (IsTensor(root)) {
        std::string name = As<ast::Name>(root) ? "`" + As<ast::Name>(root)->name + "`" : "a tensor";
        why = name + (a->op != TokenKind::Eq || As<ast::Index>(a->target) ? " is modified in place at " : " is assigned at ") + Where(a->range);
        return true;
      }
      if (!views_.empty() && StoresThroughPointer(a->target)) {
        why = "memory is written through a pointer at " + Where(a->range) + ", and " + views_;
        return true;
      }
    }
    if (auto* l = As<ast::Launch>(s); l && !views_.empty()) {
      why = "kernel `" + l->kernel + "` is launched at " + Where(l->range) + " and may write memory, and " + views_;
      return true;
    }
    std::vector<const ast::Stmt*> stmts;
    std::vector<const ast::Expr*> exprs;
    StmtParts(s, stmts, exprs);
    for (const ast::Expr* e : exprs)
      if (ExprChanges(e, why)) return true;
    for (const ast::Stmt* c : stmts)
      if (Changes(c, why)) return true;
    return false;
  }
  auto ExprChanges(const ast::Expr* e, std::string& why) -> bool {
    if (auto* c = As<ast::Call>(e); c && c->builtin == B::TensorDataPtr) {
      // Through the pointer the program may write the tensor's memory.
      why = "the memory of `" + Text(c->self) + "` is taken at " + Where(c->range) + " (`data_ptr`)";
      return true;
    }
    if (auto* c = As<ast::Call>(e); c && c->builtin == B::TensorFromPtr) {
      // The memory has another owner, which may write it.
      why = "a tensor views memory at a pointer at " + Where(c->range) + " (`tensor.from_ptr`)";
      return true;
    }
    if (auto* c = As<ast::Call>(e); c && c->builtin == B::None) {
      std::string fname = c->fn ? "`" + c->fn->name + "`" : "a function pointer";
      for (const ast::Expr* a : c->args) {
        if (!IsTensor(a)) continue;
        why = "a tensor is passed to " + fname + " at " + Where(c->range);
        return true;
      }
      if (!views_.empty()) {
        why = fname + " is called at " + Where(c->range) + " and may write memory, and " + views_;
        return true;
      }
    }
    if (auto* c = As<ast::Call>(e); c && c->builtin != B::None && !views_.empty()) {
      // A builtin given a pointer (`gpu.copy_to_device(d, h, n)`, `gpu.memset`) may write there.
      for (const ast::Expr* a : c->args) {
        if (!a->type || !a->type->IsPointerLike()) continue;
        why = "`" + Text(c->callee) + "` is given a pointer at " + Where(c->range) + " and may write memory, and " + views_;
        return true;
      }
    }
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    for (const ast::Expr* k : kids)
      if (ExprChanges(k, why)) return true;
    return false;
  }

  // Whether assigning to `target` stores through a raw pointer (`*p = v`, `p[i] = v`, `p.f = v`
  // with `p` a pointer), which may write memory a tensor views.
  static auto StoresThroughPointer(const ast::Expr* target) -> bool {
    for (const ast::Expr* e = target; e;) {
      if (auto* u = As<ast::Unary>(e)) return u->op == TokenKind::Star;
      if (auto* i = As<ast::Index>(e)) {
        if (i->base->type && i->base->type->kind == sema::TypeKind::Pointer) return true;
        e = i->base;
      } else if (auto* f = As<ast::Field>(e)) {
        if (f->through_pointer) return true;
        e = f->base;
      } else {
        return false;
      }
    }
    return false;
  }

  // Whether the tensors of @fuse function `fn` may view memory that the program also reaches
  // through pointers: it makes a view (`tensor.from_ptr`), exposes a tensor's memory
  // (`data_ptr`), or takes tensors from its caller or from functions it calls, who may have made
  // them either way. Then a store through a pointer, a call of a function (which may store through
  // one), a builtin given a pointer (`gpu.copy_to_device`) and a kernel launch compute the pending
  // values before them, so that these read the memory as it is where they are written.
  // Returns the reason for --explain-fusion, or empty.
  auto OutsideViews(const ast::FnDecl* fn) -> std::string {
    std::string found;
    std::function<void(const ast::Expr*)> visit = [&](const ast::Expr* e) {
      if (!e || !found.empty()) return;
      if (auto* c = As<ast::Call>(e); c && (c->builtin == B::TensorFromPtr || c->builtin == B::TensorDataPtr)) {
        found = std::string(c->builtin == B::TensorFromPtr ? "`tensor.from_ptr`" : "`data_ptr`") + " at " + Where(c->range) +
                " lets tensors share memory with pointers";
        return;
      }
      if (auto* c = As<ast::Call>(e); c && c->builtin == B::None && IsTensor(c)) {
        found = "the tensor that " + std::string(c->fn ? "`" + c->fn->name + "`" : "a function pointer") + " returns at " +
                Where(c->range) + " may view memory shared with pointers (`tensor.from_ptr`)";
        return;
      }
      std::vector<const ast::Expr*> kids;
      Children(e, kids);
      for (const ast::Expr* k : kids) visit(k);
    };
    std::function<void(const ast::Stmt*)> walk = [&](const ast::Stmt* s) {
      std::vector<const ast::Stmt*> stmts;
      std::vector<const ast::Expr*> exprs;
      StmtParts(s, stmts, exprs);
      for (const ast::Expr* e : exprs) visit(e);
      for (const ast::Stmt* c : stmts) walk(c);
    };
    walk(fn->body);
    if (!found.empty()) return found;
    for (const ast::Param* p : fn->params)
      if (p->type && p->type->IsTensor())
        return "parameter `" + p->name + "` may view memory its caller shares (`tensor.from_ptr`, `data_ptr`)";
    return {};
  }

  // ---- expressions ----
  void PlanExpr(const ast::Expr* e) {
    if (!e) return;
    if (IsTensor(e)) {
      plan_.uses_tensors = true;
      std::string dt = sema::ToString(e->type->elem);
      plan_.needs.insert(dt);
      if (auto* c = As<ast::Call>(e); c && (c->builtin == B::TensorArange || c->builtin == B::TensorRand))
        plan_.needs.insert((c->builtin == B::TensorArange ? "arange." : "rand.") + dt);
    }
    if (IsComputing(e) && !plan_.runs.count(e)) {
      plan_.runs[e] = MakeRun(e);
      return;
    }
    std::vector<const ast::Expr*> kids;
    Children(e, kids);
    for (const ast::Expr* k : kids) PlanExpr(k);
  }

  auto MakeRun(const ast::Expr* root) -> std::unique_ptr<Run> {
    plan_.uses_tensors = true;
    auto run = std::make_unique<Run>();
    run_ = run.get();
    auto* call = As<ast::Call>(root);
    if (call && call->builtin == B::TensorSoftmax) {
      MakeSoftmax(call);
    } else if (call && IsReduction(call->builtin)) {
      auto g = NewGroup(root);
      g->reduce = ReduceOf(call->builtin);
      g->chain_elem = call->self->type->elem;
      g->out_elem = root->type->elem;
      // Eager: the reduction reads its operand's value (one operation a group).
      Build(*g, call->self, fuse_);
      g->ops.push_back(root->range);
      if (!call->args.empty()) g->axis_leaf = AddLeaf(call->args[0]);
      for (const ast::NamedArg& a : call->named_args)
        if (a.name == "keepdim") g->keepdim = As<ast::BoolLit>(a.value) && As<ast::BoolLit>(a.value)->value;
      FinishGroup(std::move(g));
    } else {
      auto g = NewGroup(root);
      g->chain_elem = g->out_elem = root->type->elem;
      Build(*g, root, true);
      FinishGroup(std::move(g));
    }
    run_ = nullptr;
    // What the leaves compute is planned where they are lowered.
    for (const ast::Expr* leaf : run->leaves) PlanLeaf(leaf);
    return run;
  }

  void PlanLeaf(const ast::Expr* leaf) {
    if (IsComputing(leaf)) {
      if (!plan_.runs.count(leaf)) plan_.runs[leaf] = MakeRun(leaf);
      return;
    }
    PlanExpr(leaf);
  }

  // softmax(x, axis) = exp(x - max) / sum(exp(x - max)), max and sum along the axis (kept):
  // three groups; in a @fuse function x's own chain is recomputed in each, eager reads x's value.
  // f16 and bf16 compute the exponentials, their sum and the division in f32 and round the
  // result once (PyTorch's softmax of a half tensor); the maximum is exact in either type.
  void MakeSoftmax(const ast::Call* call) {
    const sema::Type* elem = call->type->elem;
    const sema::Type* wide = elem->IsHalf() ? m_.types->f32() : elem;
    if (wide != elem) plan_.needs.insert(sema::ToString(wide));
    int axis = AddLeaf(call->args[0]);
    auto step = [&](Reduce r) {
      auto g = NewGroup(call);
      g->reduce = r;
      g->axis_leaf = r == Reduce::None ? -1 : axis;
      g->keepdim = true;
      g->chain_elem = g->out_elem = elem;
      return g;
    };
    auto g_max = step(Reduce::Max);
    Build(*g_max, call->self, fuse_);
    FinishGroup(std::move(g_max));
    auto widen = [&](Group& g, int node) {
      if (wide == elem) return node;
      Node c;
      c.kind = OpKind::Cast, c.args[0] = node, c.type = wide, c.text = "as";
      return AddNode(g, c);
    };
    auto shifted_exp = [&](Group& g) {
      int x = widen(g, Build(g, call->self, fuse_));
      int m = widen(g, StepInput(g, 0, elem));
      int d = AddNode(g, Binary(TokenKind::Minus, x, m, wide, call, "-"));
      Node ex;
      ex.kind = OpKind::Math, ex.fn = B::Exp, ex.args[0] = d, ex.type = wide, ex.expr = call, ex.text = "exp";
      return AddNode(g, ex);
    };
    auto g_sum = step(Reduce::Sum);
    g_sum->chain_elem = g_sum->out_elem = wide;
    shifted_exp(*g_sum);
    FinishGroup(std::move(g_sum));
    auto g_div = step(Reduce::None);
    int ex = shifted_exp(*g_div);
    int s = StepInput(*g_div, 1, wide);
    int q = AddNode(*g_div, Binary(TokenKind::Slash, ex, s, wide, call, "/"));
    if (wide != elem) {
      Node c;
      c.kind = OpKind::Cast, c.args[0] = q, c.type = elem, c.text = "as";
      AddNode(*g_div, c);
    }
    FinishGroup(std::move(g_div));
  }

  static auto Binary(TokenKind op, int a, int b, const sema::Type* t, const ast::Expr* e, const char* text) -> Node {
    Node n;
    n.kind = OpKind::Binary, n.op = op, n.args[0] = a, n.args[1] = b, n.type = t, n.expr = e, n.text = text;
    return n;
  }

  auto NewGroup(const ast::Expr* root) -> std::unique_ptr<Group> {
    auto g = std::make_unique<Group>();
    g->where = root->range;
    return g;
  }

  void FinishGroup(std::unique_ptr<Group> g) {
    group_count_++;
    kernels_.Assign(*g);
    if (fuse_) {
      std::string ops;
      for (const Node& n : g->nodes)
        if (n.kind != OpKind::Input && n.kind != OpKind::Scalar) ops += std::string(ops.empty() ? "" : " ") + n.text;
      if (g->reduce != Reduce::None) ops += std::string(ops.empty() ? "" : " ") + ReduceName(g->reduce);
      std::vector<int> lines;
      for (SourceRange r : g->ops) {
        int line = static_cast<int>(sources_.LineColOf(r.begin).line);
        if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
      }
      std::sort(lines.begin(), lines.end());
      std::string at;
      for (int l : lines) at += (at.empty() ? "" : ", ") + std::to_string(l);
      explain_ += "  group " + g->kernel + " at " + Where(g->where) + ": " + (ops.empty() ? "copy" : ops) +
                  (at.empty() ? "" : " (line" + std::string(lines.size() > 1 ? "s " : " ") + at + ")") + "\n";
      for (const Input& in : g->inputs) {
        if (in.leaf < 0) continue;
        const ast::Expr* leaf = run_->leaves[in.leaf];
        if (As<ast::Name>(leaf)) continue;
        auto* call = As<ast::Call>(leaf);
        std::string what = call && IsReduction(call->builtin) ? "is a reduction: it ends its own group"
                           : IsComputing(leaf)                 ? "is computed by its own group"
                                                               : "is not elementwise";
        explain_ += "    its input `" + Text(leaf) + "` (" + Where(leaf->range) + ") " + what + "\n";
      }
    }
    run_->steps.push_back(std::move(g));
  }


  auto AddLeaf(const ast::Expr* e) -> int {
    for (size_t i = 0; i < run_->leaves.size(); i++) {
      const ast::Expr* l = run_->leaves[i];
      if (l == e) return static_cast<int>(i);
      // The same variable read twice is one leaf.
      auto* a = As<ast::Name>(l);
      auto* b = As<ast::Name>(e);
      if (a && b && a->decl && a->decl == b->decl) return static_cast<int>(i);
    }
    run_->leaves.push_back(e);
    return static_cast<int>(run_->leaves.size() - 1);
  }

  auto AddNode(Group& g, const Node& n) -> int {
    g.nodes.push_back(n);
    if (n.expr) g.ops.push_back(n.expr->range);
    return static_cast<int>(g.nodes.size() - 1);
  }

  auto StepInput(Group& g, int step, const sema::Type* elem) -> int {
    Input in;
    in.step = step;
    return InputNode(g, in, elem);
  }

  auto InputNode(Group& g, Input in, const sema::Type* elem) -> int {
    int index = -1;
    for (size_t i = 0; i < g.inputs.size(); i++)
      if (g.inputs[i].leaf == in.leaf && g.inputs[i].step == in.step) index = static_cast<int>(i);
    if (index < 0) {
      g.inputs.push_back(in);
      index = static_cast<int>(g.inputs.size() - 1);
    }
    for (size_t i = 0; i < g.nodes.size(); i++)
      if (g.nodes[i].kind == OpKind::Input && g.nodes[i].index == index) return static_cast<int>(i);
    Node n;
    n.kind = OpKind::Input, n.index = index, n.type = elem;
    return AddNode(g, n);
  }

  // The node computing `e` in group `g`: its elementwise operations when `inline_ops` (the root,
  // and everything in a @fuse function), else an input.
  auto Build(Group& g, const ast::Expr* e, bool inline_ops) -> int {
    if (!IsTensor(e)) {
      Node n;
      n.kind = OpKind::Scalar, n.index = static_cast<int>(g.scalars.size()), n.type = e->type;
      g.scalars.push_back(AddLeaf(e));
      return AddNode(g, n);
    }
    if (fuse_) {
      if (auto* name = As<ast::Name>(e))
        if (Def* d = PendingOf(name)) {
          // A deferred value read twice in one group is computed once there.
          auto key = std::make_pair(static_cast<const Group*>(&g), static_cast<const Def*>(d));
          auto it = inlined_.find(key);
          if (it != inlined_.end()) return it->second;
          int node = Build(g, d->expr, true);
          inlined_[key] = node;
          return node;
        }
    }
    std::vector<const ast::Expr*> operands;
    if (!inline_ops || !ElementwiseOperands(e, operands)) {
      Input in;
      in.leaf = AddLeaf(e);
      return InputNode(g, in, e->type->elem);
    }
    bool next = fuse_;
    std::vector<int> args;
    for (const ast::Expr* o : operands) args.push_back(Build(g, o, next));
    Node n;
    n.type = e->type->elem;
    n.expr = e;
    for (size_t i = 0; i < args.size() && i < 3; i++) n.args[i] = args[i];
    if (auto* b = As<ast::Binary>(e)) {
      n.kind = OpKind::Binary, n.op = b->op, n.text = lex::Spelling(b->op);
    } else if (auto* u = As<ast::Unary>(e)) {
      n.kind = OpKind::Unary, n.op = u->op, n.text = lex::Spelling(u->op);
    } else if (As<ast::Cast>(e)) {
      n.kind = OpKind::Cast, n.text = "as";
    } else {
      auto* c = As<ast::Call>(e);
      switch (c->builtin) {
        case B::TensorWhere: n.kind = OpKind::Where, n.text = "where"; break;
        case B::TensorRelu: n.kind = OpKind::Relu, n.text = "relu"; break;
        case B::TensorSigmoid: n.kind = OpKind::Sigmoid, n.text = "sigmoid"; break;
        case B::TensorMap: {
          n.kind = OpKind::Map, n.text = "map";
          n.map_fn = As<ast::FnDecl>(As<ast::Name>(c->args[0])->decl);
          n.args[0] = n.args[1] = n.args[2] = -1;
          // A map takes any number of arguments: kept beside the nodes.
          g.map_args.push_back(args);
          n.index = static_cast<int>(g.map_args.size() - 1);
          break;
        }
        default:
          n.kind = OpKind::Math, n.fn = c->builtin;
          n.text = MathName(c->builtin);
          break;
      }
    }
    return AddNode(g, n);
  }

  static auto MathName(B b) -> const char* {
    switch (b) {
#define BUILTIN(name, kind) \
  case B::kind: return name;
#include "sema/builtins.def"
      default: return "?";
    }
  }

  const sema::CheckedModule& m_;
  const SourceManager& sources_;
  Plan& plan_;
  KernelWriter kernels_;
  bool fuse_ = false;
  const ast::FnDecl* fn_ = nullptr;
  std::string views_;  // OutsideViews of the @fuse function being planned
  Run* run_ = nullptr;
  std::vector<std::unique_ptr<Def>> defs_;
  std::unordered_map<const ast::Let*, Def*> current_;   // a variable's pending value (none: its slot holds it)
  std::unordered_map<const ast::Name*, Def*> name_def_;  // in deferred expressions: the value a name read then
  std::map<std::pair<const Group*, const Def*>, int> inlined_;  // a deferred value's node in a group
  size_t group_count_ = 0;
  std::string explain_;
};

}  // namespace

void Plan::BindKernels(const ast::Tree& generated) {
  for (const ast::Decl* d : generated.decls)
    if (auto* fn = As<ast::FnDecl>(d)) kernel_fns[fn->name] = fn;
}

auto Plan::Kernel(const std::string& name) const -> const ast::FnDecl* {
  auto it = kernel_fns.find(name);
  return it == kernel_fns.end() ? nullptr : it->second;
}

auto PlanModule(const sema::CheckedModule& m, const SourceManager& sources) -> std::unique_ptr<Plan> {
  auto plan = std::make_unique<Plan>();
  Planner(m, sources, *plan).PlanAll();
  return plan;
}

auto DtypeOf(const sema::Type* elem) -> int {
  if (elem->kind == sema::TypeKind::Bool) return 4;
  if (elem->IsHalf()) return elem->is_bfloat ? 6 : 5;
  if (elem->IsFloat()) return elem->bits == 32 ? 0 : 1;
  return elem->bits == 32 ? 2 : 3;
}

auto ReduceCode(Reduce r) -> int { return static_cast<int>(r); }

auto ReduceName(Reduce r) -> const char* {
  switch (r) {
    case Reduce::Sum: return "sum";
    case Reduce::Max: return "max";
    case Reduce::Min: return "min";
    case Reduce::Mean: return "mean";
    case Reduce::Argmax: return "argmax";
    case Reduce::Argmin: return "argmin";
    case Reduce::None: return "none";
  }
  return "none";
}

}  // namespace fusion::fuse
