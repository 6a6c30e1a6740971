// The checker's entry point, passes, scopes, and the always-exits analysis.
#include "sema/checker.h"

#include "base/check.h"

namespace fusion::sema {

Checker::Checker(std::vector<ast::Tree*> trees, diag::Consumer& diags)
    : trees_(std::move(trees)), diags_(diags) {
  out_.types = std::make_unique<TypeContext>();
  out_.trees = trees_;
  types_ = out_.types.get();
}

auto Check(std::vector<ast::Tree*> trees, diag::Consumer& diags, const GenerateHook& generate) -> CheckedModule {
  return Checker(std::move(trees), diags).Run(generate);
}

// Passes: names of every file's declarations; types; function signatures; constants;
// extern blocks' @on_load and function bodies; the main file's top-level statements.
auto Checker::Run(const GenerateHook& generate) -> CheckedModule {
  CollectGlobals();
  for (ast::Tree* tree : trees_)
    for (ast::Decl* d : tree->decls) CheckTypeDecl(d);
  for (ast::Tree* tree : trees_)
    for (ast::Decl* d : tree->decls)
      if (auto* fn = As<ast::FnDecl>(d)) CheckFnSignature(fn);
  for (ast::Tree* tree : trees_)
    for (ast::Decl* d : tree->decls)
      if (auto* c = As<ast::ConstDecl>(d)) CheckConstDecl(c);
  for (ast::Tree* tree : trees_)
    for (ast::Decl* d : tree->decls)
      if (auto* fn = As<ast::FnDecl>(d)) CheckOnLoad(fn), CheckFnBody(fn);
  CheckScript();
  if (generate && diags_.error_count() == 0)
    if (ast::Tree* tree = generate(out_)) CheckGenerated(tree);
  FinishGpu();
  CheckNoalloc();
  return std::move(out_);
}

void Checker::CheckGenerated(ast::Tree* tree) {
  trees_.push_back(tree);
  out_.trees.push_back(tree);
  for (ast::Decl* d : tree->decls) {
    DeclareGlobal(d, d->name_range);
    if (auto* fn = As<ast::FnDecl>(d)) out_.fns.push_back(fn);
  }
  for (ast::Decl* d : tree->decls) CheckTypeDecl(d);
  for (ast::Decl* d : tree->decls)
    if (auto* fn = As<ast::FnDecl>(d)) CheckFnSignature(fn);
  for (ast::Decl* d : tree->decls)
    if (auto* fn = As<ast::FnDecl>(d)) CheckFnBody(fn);
}

void Checker::CheckScript() {
  ast::Tree* root = trees_.front();
  out_.script = !root->stmts.empty();
  auto it = globals_.find("main");
  ast::FnDecl* main_fn = it != globals_.end() ? As<ast::FnDecl>(it->second) : nullptr;
  if (out_.script) {
    if (main_fn) Error(diag::Kind::ScriptAndMain, main_fn->name_range);
    out_.script_stmts = root->stmts;
    PushScope();
    for (ast::Stmt* s : root->stmts) CheckStmt(s);
    PopScope();
  } else if (main_fn) {
    if (main_fn->is_kernel || main_fn->is_device) {
      Error(diag::Kind::GpuFnNotHost, main_fn->name_range, {main_fn->is_kernel ? "kernel" : "device function", "main", "the program's entry point"});
      return;
    }
    out_.main = main_fn;
    const Type* ret = main_fn->ret_type;
    if (!main_fn->params.empty() || (ret && ret != types_->void_type() && ret != types_->i32() && !ret->IsError()))
      Error(diag::Kind::MainSignature, main_fn->name_range);
  }
  // A file with neither runs nothing, which is a valid (empty) program.
}

auto Checker::Lookup(const std::string& name) const -> ast::Node* {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end()) return found->second;
  }
  auto g = globals_.find(name);
  return g == globals_.end() ? nullptr : g->second;
}

auto Checker::DeclName(const ast::Node* n) const -> std::string {
  if (auto* l = As<ast::Let>(n)) return l->name;
  if (auto* f = As<ast::For>(n)) return f->name;
  if (n && (n->kind >= ast::NodeKind::FnDecl)) return static_cast<const ast::Decl*>(n)->name;
  return "?";
}

auto Checker::DeclRange(const ast::Node* n) const -> SourceRange {
  if (auto* l = As<ast::Let>(n)) return l->name_range;
  if (auto* f = As<ast::For>(n)) return f->name_range;
  if (n->kind >= ast::NodeKind::FnDecl) return static_cast<const ast::Decl*>(n)->name_range;
  return n->range;
}

auto Checker::Enter(SourceRange where) -> bool {
  if (depth_ >= kMaxCheckDepth) {
    if (!too_deep_) Error(diag::Kind::DependencyTooDeep, where, {std::to_string(kMaxCheckDepth)});
    too_deep_ = true;
    return false;
  }
  depth_++;
  return true;
}

auto Checker::RequireUnsafe(SourceRange where, const std::string& what) -> bool {
  if (unsafe_depth_ > 0) return false;
  Error(diag::Kind::NeedsUnsafe, where, {what});
  return true;
}

auto AlwaysExits(const ast::Stmt* stmt) -> bool {
  if (!stmt) return false;
  switch (stmt->kind) {
    case ast::NodeKind::Return:
      return true;
    case ast::NodeKind::Block:
      for (const ast::Stmt* s : As<ast::Block>(stmt)->stmts)
        if (AlwaysExits(s)) return true;
      return false;
    case ast::NodeKind::If: {
      auto* i = As<ast::If>(stmt);
      return i->else_stmt && AlwaysExits(i->then_block) && AlwaysExits(i->else_stmt);
    }
    case ast::NodeKind::While: {
      // `while true` without a `break` of its own never falls through.
      auto* w = As<ast::While>(stmt);
      auto* lit = As<ast::BoolLit>(w->cond);
      if (!lit || !lit->value) return false;
      struct BreakFinder {
        static auto Has(const ast::Stmt* s) -> bool {
          if (!s) return false;
          if (s->kind == ast::NodeKind::Break) return true;
          if (auto* b = As<ast::Block>(s)) {
            for (auto* c : b->stmts)
              if (Has(c)) return true;
          }
          if (auto* i = As<ast::If>(s)) return Has(i->then_block) || Has(i->else_stmt);
          return false;  // a nested loop's break is its own
        }
      };
      return !BreakFinder::Has(w->body);
    }
    case ast::NodeKind::ExprStmt: {
      auto* call = As<ast::Call>(As<ast::ExprStmt>(stmt)->expr);
      return call && (call->builtin == ast::Builtin::Panic || call->builtin == ast::Builtin::Exit);
    }
    default:
      return false;
  }
}

}  // namespace fusion::sema
