// @noalloc: proves that a function, and every Fusion function it calls, never allocates
// (docs/performance.md), and otherwise names the chain of calls that leads to an allocation.
#include <deque>
#include <map>

#include "sema/checker.h"

namespace fusion::sema {

namespace {

using ast::Builtin;

// Why a builtin may allocate, or null when it does not (docs/performance.md lists these).
auto BuiltinAllocates(Builtin b) -> const char* {
  switch (b) {
    case Builtin::Alloc: return "`alloc` allocates";
    case Builtin::Free: return "`free` calls the allocator";
    case Builtin::Print:
    case Builtin::Eprint: return "`print` writes through C's stdio, which may allocate its buffer";
    case Builtin::Format: return "`format` allocates a string";
    case Builtin::Arg: return "`arg` allocates a string";
    case Builtin::Env: return "`env` allocates a string";
    case Builtin::Own: return "`own` allocates a handle";
    case Builtin::LibAvailable: return "`lib_available` loads a library";
    // Strings: what only reads the bytes allocates nothing.
    case Builtin::StrLen:
    case Builtin::StrFind:
    case Builtin::StrRfind:
    case Builtin::StrContains:
    case Builtin::StrStartsWith:
    case Builtin::StrEndsWith:
    case Builtin::StrParseI64:
    case Builtin::StrParseF64:
    case Builtin::StrIsI64:
    case Builtin::StrIsF64: return nullptr;
    // Tensors: their shape and data pointer are read in place.
    case Builtin::TensorRankOf:
    case Builtin::TensorDim:
    case Builtin::TensorNumel:
    case Builtin::TensorDataPtr: return nullptr;
    default: break;
  }
  if (b > Builtin::StringFirst) return "strings and files allocate (a new string, a file's buffers)";
  if (b > Builtin::TensorFirst) return "tensor operations allocate (their results, their plans)";
  if (b > Builtin::GpuFirst) return "`gpu.*` calls the GPU runtime, which may allocate";
  return nullptr;
}

// One function's own facts: the first place in it that allocates by itself, and its calls.
struct FnFacts {
  SourceRange site;
  std::string why;  // empty: nothing in the body allocates by itself
  bool extern_cause = false;
  std::string extern_name;
  std::vector<std::pair<const ast::Call*, const ast::FnDecl*>> calls;  // Fusion callees to prove
};

class Walker {
 public:
  explicit Walker(FnFacts& facts) : facts_(facts) {}

  void Stmt(const ast::Stmt* s) {
    if (!s) return;
    switch (s->kind) {
      case ast::NodeKind::Let: Expr(ast::As<ast::Let>(s)->init); break;
      case ast::NodeKind::ExprStmt: Expr(ast::As<ast::ExprStmt>(s)->expr); break;
      case ast::NodeKind::Assign: {
        auto* a = ast::As<ast::Assign>(s);
        const Type* t = a->target->type;
        if (t && t->IsCounted())
          Found(a->target->range, a->op == lex::TokenKind::Eq
                                      ? "assigning to a counted variable releases its old value, which may free it"
                                      : "`" + ToString(t) + "` arithmetic allocates its result");
        Expr(a->target);
        Expr(a->value);
        break;
      }
      case ast::NodeKind::Block:
        for (const ast::Stmt* c : ast::As<ast::Block>(s)->stmts) Stmt(c);
        break;
      case ast::NodeKind::Launch: {
        auto* l = ast::As<ast::Launch>(s);
        Found(l->range, "`launch` calls the GPU runtime, which may allocate");
        for (const ast::Expr* e : {l->grid, l->block, l->shared_bytes, l->stream}) Expr(e);
        for (const ast::Expr* e : l->args) Expr(e);
        break;
      }
      case ast::NodeKind::If: {
        auto* i = ast::As<ast::If>(s);
        Expr(i->cond);
        Stmt(i->then_block);
        Stmt(i->else_stmt);
        break;
      }
      case ast::NodeKind::While: {
        auto* w = ast::As<ast::While>(s);
        Expr(w->cond);
        Stmt(w->body);
        break;
      }
      case ast::NodeKind::For: {
        auto* f = ast::As<ast::For>(s);
        if (f->is_lines) Found(f->range, "`lines()` allocates each line");
        Expr(f->start);
        Expr(f->end);
        Stmt(f->body);
        break;
      }
      case ast::NodeKind::Return: Expr(ast::As<ast::Return>(s)->value); break;
      default: break;
    }
  }

  void Expr(const ast::Expr* e) {
    if (!e) return;
    // A new counted value that no call made (those are proved as calls).
    if (e->type && (e->type->IsTensor() || e->type->IsString()) &&
        (e->kind == ast::NodeKind::Binary || e->kind == ast::NodeKind::Unary || e->kind == ast::NodeKind::Cast))
      Found(e->range, e->type->IsTensor() ? "tensor operations allocate their results"
                                          : "a new string (`+`, `as string`) is allocated");
    switch (e->kind) {
      case ast::NodeKind::Call: Call(ast::As<ast::Call>(e)); break;
      case ast::NodeKind::ArrayLit:
        for (const ast::Expr* c : ast::As<ast::ArrayLit>(e)->elems) Expr(c);
        break;
      case ast::NodeKind::TupleLit:
        for (const ast::Expr* c : ast::As<ast::TupleLit>(e)->elems) Expr(c);
        break;
      case ast::NodeKind::ArrayRepeat: Expr(ast::As<ast::ArrayRepeat>(e)->value); break;
      case ast::NodeKind::Unary: Expr(ast::As<ast::Unary>(e)->operand); break;
      case ast::NodeKind::Binary:
        Expr(ast::As<ast::Binary>(e)->lhs);
        Expr(ast::As<ast::Binary>(e)->rhs);
        break;
      case ast::NodeKind::Index: {
        auto* i = ast::As<ast::Index>(e);
        Expr(i->base);
        Expr(i->index);
        for (const ast::Expr* c : i->more) Expr(c);
        break;
      }
      case ast::NodeKind::Field: Expr(ast::As<ast::Field>(e)->base); break;
      case ast::NodeKind::Cast: Expr(ast::As<ast::Cast>(e)->expr); break;
      case ast::NodeKind::StructLit:
        for (const ast::FieldInit& f : ast::As<ast::StructLit>(e)->fields) Expr(f.value);
        break;
      default: break;
    }
  }

 private:
  void Call(const ast::Call* c) {
    bool erroneous = (c->type && c->type->IsError()) || (c->callee->type && c->callee->type->IsError());
    if (erroneous) {
      // Reported already; nothing is known about what it calls.
    } else if (c->builtin != Builtin::None) {
      if (const char* why = BuiltinAllocates(c->builtin)) Found(c->callee->range, why);
    } else if (c->fn && c->fn->is_extern) {
      if (!c->fn->is_noalloc && facts_.why.empty()) {
        facts_.extern_cause = true;
        facts_.extern_name = c->fn->name;
      }
      if (!c->fn->is_noalloc) Found(c->callee->range, "the extern function `" + c->fn->name + "` is not declared `@noalloc`");
    } else if (c->fn) {
      // A @noalloc callee is proved on its own (and reports its own error).
      if (!c->fn->is_noalloc) facts_.calls.emplace_back(c, c->fn);
    } else {
      Found(c->callee->range, "a call through a function pointer cannot be proved not to allocate");
    }
    // A method's receiver is its callee's base (`s.len()`), walked with the callee.
    Expr(c->callee);
    for (const ast::Expr* a : c->args) Expr(a);
    for (const ast::NamedArg& a : c->named_args) Expr(a.value);
  }

  void Found(SourceRange where, const std::string& why) {
    if (!facts_.why.empty()) return;  // the first one in the body is reported
    facts_.site = where;
    facts_.why = why;
  }

  FnFacts& facts_;
};

}  // namespace

// Every function's own facts, then a breadth-first walk from the functions that allocate by
// themselves to their callers (so the chain reported is a shortest one), then an error for each
// @noalloc function reached. Iterative, so a long chain of calls cannot exhaust the stack.
void Checker::CheckNoalloc() {
  bool any = false;
  for (const ast::FnDecl* fn : out_.fns) any |= fn->is_noalloc && fn->body;
  if (!any) return;
  std::map<const ast::FnDecl*, FnFacts> facts;
  std::map<const ast::FnDecl*, std::vector<std::pair<const ast::FnDecl*, const ast::Call*>>> callers;
  std::deque<const ast::FnDecl*> queue;
  // How a function came to allocate: by itself (call null) or through a call of `next`.
  struct Reason {
    const ast::Call* call = nullptr;
    const ast::FnDecl* next = nullptr;
  };
  std::map<const ast::FnDecl*, Reason> bad;
  for (const ast::FnDecl* fn : out_.fns) {
    if (!fn->body) continue;
    FnFacts& f = facts[fn];
    Walker(f).Stmt(fn->body);
    for (auto& [call, callee] : f.calls) callers[callee].emplace_back(fn, call);
    if (!f.why.empty()) {
      bad[fn] = {};
      queue.push_back(fn);
    }
  }
  while (!queue.empty()) {
    const ast::FnDecl* g = queue.front();
    queue.pop_front();
    for (auto& [caller, call] : callers[g]) {
      if (bad.count(caller)) continue;
      bad[caller] = {call, g};
      queue.push_back(caller);
    }
  }
  for (const ast::FnDecl* fn : out_.fns) {
    if (!fn->is_noalloc || !fn->body || !bad.count(fn)) continue;
    const Reason& r = bad[fn];
    const FnFacts& own = facts[fn];
    if (!r.call) {
      Error(diag::Kind::NoallocViolation, own.site, {fn->name, own.why});
      if (own.extern_cause) Note(diag::Kind::NoteNoallocExtern, own.site, {own.extern_name});
      continue;
    }
    Error(diag::Kind::NoallocViolation, r.call->callee->range, {fn->name, "it calls `" + r.next->name + "`"});
    const ast::FnDecl* at = r.next;
    for (int steps = 0; steps < 64; steps++) {
      const Reason& next = bad[at];
      if (!next.call) {
        const FnFacts& leaf = facts[at];
        Note(diag::Kind::NoteNoallocCause, leaf.site, {at->name, leaf.why});
        if (leaf.extern_cause) Note(diag::Kind::NoteNoallocExtern, leaf.site, {leaf.extern_name});
        break;
      }
      Note(diag::Kind::NoteNoallocCall, next.call->callee->range, {at->name, next.next->name});
      at = next.next;
    }
  }
}

}  // namespace fusion::sema
