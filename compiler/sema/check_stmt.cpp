// Statements: blocks and scopes, let/var, assignment, control flow, return.
#include "base/check.h"
#include "sema/checker.h"

namespace fusion::sema {

void Checker::CheckBlock(ast::Block* block) {
  if (!block) return;
  DepthGuard guard(*this, block->range);
  if (!guard.ok) return;
  PushScope();
  if (block->is_unsafe) unsafe_depth_++;
  for (ast::Stmt* s : block->stmts) CheckStmt(s);
  if (block->is_unsafe) unsafe_depth_--;
  PopScope();
}

void Checker::CheckCondition(ast::Expr* cond) {
  const Type* t = CheckExpr(cond, types_->bool_type());
  if (t->IsError() || t->kind == TypeKind::Bool) return;
  if (t->IsUntyped()) Finalize(cond);
  Error(diag::Kind::ConditionNotBool, cond->range, {ToString(cond->type)});
  if (t->IsTensor() && t->elem == types_->bool_type()) Note(diag::Kind::NoteTensorItem, cond->range, {"bool"});
}

void Checker::CheckStmt(ast::Stmt* stmt) {
  if (!stmt) return;
  switch (stmt->kind) {
    case ast::NodeKind::Let:
      return CheckLet(As<ast::Let>(stmt));
    case ast::NodeKind::Assign:
      return CheckAssign(As<ast::Assign>(stmt));
    case ast::NodeKind::Launch:
      return CheckLaunch(As<ast::Launch>(stmt));
    case ast::NodeKind::Block:
      return CheckBlock(As<ast::Block>(stmt));
    case ast::NodeKind::ExprStmt: {
      ast::Expr* e = As<ast::ExprStmt>(stmt)->expr;
      CheckValue(e);
      if (!As<ast::Call>(e) && e && !e->type->IsError())
        diags_.Report(diag::Kind::UnusedValue, e->range);
      return;
    }
    case ast::NodeKind::If: {
      auto* s = As<ast::If>(stmt);
      CheckCondition(s->cond);
      CheckBlock(s->then_block);
      CheckStmt(s->else_stmt);
      return;
    }
    case ast::NodeKind::While: {
      auto* s = As<ast::While>(stmt);
      CheckCondition(s->cond);
      loop_depth_++;
      CheckBlock(s->body);
      loop_depth_--;
      return;
    }
    case ast::NodeKind::For: {
      auto* s = As<ast::For>(stmt);
      if (s->is_lines) {  // for line in x.lines()
        s->type = CheckLinesCall(s->start) ? types_->string() : types_->error();
        return CheckForBody(s);
      }
      const Type* st = CheckExpr(s->start);
      const Type* et = CheckExpr(s->end, st->IsUntyped() ? nullptr : st);
      const Type* t = st;
      if (st->IsUntyped() && !et->IsUntyped()) {
        Coerce(s->start, et);
        t = et;
      } else if (st->IsUntyped()) {
        t = Finalize(s->start);
        Coerce(s->end, t);
      } else {
        Coerce(s->end, st);
      }
      if (!t->IsError() && !t->IsInt()) {
        Error(diag::Kind::RangeNotInteger, s->start->range, {ToString(t)});
        t = types_->error();
      }
      s->type = t;
      return CheckForBody(s);
    }
    case ast::NodeKind::Break:
    case ast::NodeKind::Continue:
      if (loop_depth_ == 0)
        Error(diag::Kind::BreakOutsideLoop, stmt->range,
              {stmt->kind == ast::NodeKind::Break ? "break" : "continue"});
      return;
    case ast::NodeKind::Return: {
      auto* r = As<ast::Return>(stmt);
      if (!fn_) {
        if (r->value) {
          CheckValue(r->value);
          Error(diag::Kind::ReturnInScript, r->range);
        }
        return;
      }
      const Type* ret = fn_->ret_type;
      if (r->value) {
        if (ret->kind == TypeKind::Void) {
          CheckValue(r->value);
          Error(diag::Kind::ReturnValueInVoid, r->value->range, {fn_->name});
        } else {
          CheckExpr(r->value, ret);
          if (Coerce(r->value, ret)) WarnReturnedCstr(r->value);
          else NoteInferredType(r->value, ret);  // `var n = 0 … return n` from an `-> i32`
        }
      } else if (ret->kind != TypeKind::Void && !ret->IsError() && !r->parse_error) {
        Error(diag::Kind::ReturnMissingValue, r->range, {fn_->name, ToString(ret)});
      }
      return;
    }
    default:
      FUSION_UNREACHABLE("statement kind " << ast::NodeKindName(stmt->kind));
  }
}

void Checker::CheckLet(ast::Let* let) {
  const Type* declared = let->declared_type ? ResolveType(let->declared_type) : nullptr;
  if (declared && declared->kind == TypeKind::Void) {
    Error(diag::Kind::VoidValue, let->declared_type->range);
    declared = types_->error();
  }
  if (declared) EnsureLayout(declared, let->declared_type->range);
  if (declared && declared->IsCounted() && InDevice()) {  // host values (the initializer may be absent)
    CountedInDevice(let->declared_type->range, declared, DeviceWhat(), fn_->name);
    declared = types_->error();
  }
  const Type* t = declared;
  if (let->init) {
    const Type* it = CheckExpr(let->init, declared);
    if (declared) {
      Coerce(let->init, declared);
    } else if (it->kind == TypeKind::Null) {
      Error(diag::Kind::CannotInfer, let->name_range, {let->name});
      t = types_->error();
    } else if (it->kind == TypeKind::Void) {
      Error(diag::Kind::VoidValue, let->init->range);
      t = types_->error();
    } else {
      t = Finalize(let->init);
    }
  } else if (!declared) {
    if (!let->parse_error && !let->is_shared) Error(diag::Kind::CannotInfer, let->name_range, {let->name});
    t = types_->error();
  }
  let->type = t;
  if (let->is_shared) CheckSharedVar(let);
  Declare(let->name, let);  // after the initializer: `let x = x + 1` sees the outer x
}

// After a mismatch between a variable and a type: `target` assigned a `wanted` value, or a
// variable `target` returned or passed where a `wanted` is expected. When the variable's type came
// from an untyped literal (`var s = 0` is an `i64`), a note says so and how to choose.
void Checker::NoteInferredType(const ast::Expr* target, const Type* wanted) {
  auto* name = As<ast::Name>(target);
  auto* let = name ? As<ast::Let>(name->decl) : nullptr;
  if (!let || let->declared_type || !let->init || !let->type || !wanted || wanted->IsError()) return;
  auto* lit = As<ast::IntLit>(let->init);
  bool untyped = As<ast::FloatLit>(let->init) || (lit && !lit->is_char) || As<ast::Unary>(let->init) ||
                 As<ast::Binary>(let->init);
  if (!untyped || !(let->type == types_->i64() || let->type == types_->f64())) return;
  if (let->type->IsInt() ? !wanted->IsInt() : !wanted->IsFloat()) return;  // another kind of value
  Note(diag::Kind::NoteTypeFromInit, let->name_range,
       {let->name, ToString(let->type), ToString(wanted), let->is_var ? "var" : "let"});
}

// `return s.cstr()` of a string that the return releases (a local variable of the function or a
// temporary): the C string would point to freed memory (docs/strings.md, "Strings and C").
// Parameters are the caller's, and a literal is a constant of the program.
void Checker::WarnReturnedCstr(const ast::Expr* value) {
  auto* call = As<ast::Call>(value);
  if (!call || call->builtin != ast::Builtin::StrCstr || !call->self) return;
  const ast::Expr* self = call->self;
  if (As<ast::StringLit>(self)) return;
  std::string what = "a temporary string";
  if (auto* name = As<ast::Name>(self)) {
    // A local (a `let`, or the string a `for line in …lines()` loop holds); not a parameter, nor
    // a `let` that names one (the caller's reference keeps the string).
    auto* let = As<ast::Let>(name->decl);
    auto* init = let ? As<ast::Name>(let->init) : nullptr;
    if (!let && !As<ast::For>(name->decl)) return;
    if (init && As<ast::Param>(init->decl)) return;
    what = "`" + name->name + "`";
  }
  diags_.Report(diag::Kind::ReturnedCstrDangles, value->range, {what});
}

// A `for` loop's variable (its type set) and body.
void Checker::CheckForBody(ast::For* s) {
  PushScope();
  Declare(s->name, s);
  loop_depth_++;
  CheckBlock(s->body);
  loop_depth_--;
  PopScope();
}

void Checker::CheckAssign(ast::Assign* a) {
  const Type* tt = CheckExpr(a->target);
  if (!a->value) return;  // a syntax error, reported by the parser
  if (tt->IsError()) {
    CheckValue(a->value);
    return;
  }
  const ast::Node* root = ImmutableRoot(a->target);
  if (!root && !IsPlace(a->target)) {
    Error(diag::Kind::NotAssignable, a->target->range);
    CheckValue(a->value);
    return;
  }
  if (root) {
    const char* how = As<ast::Param>(root)       ? "a parameter"
                      : As<ast::For>(root)       ? "a loop variable"
                      : As<ast::ConstDecl>(root) ? "declared with `const`"
                                                 : "declared with `let`";
    Error(diag::Kind::AssignImmutable, a->target->range, {DeclName(root), how});
    Note(diag::Kind::NoteDeclaredHere, DeclRange(root), {DeclName(root)});
  }
  if (tt->IsTensor()) return CheckTensorAssign(a, tt);
  if (auto* index = As<ast::Index>(a->target); index && index->base->type->IsString()) {
    Error(diag::Kind::StringImmutable, a->target->range);
    CheckValue(a->value);
    return;
  }
  if (a->op == TokenKind::Eq) {
    CheckExpr(a->value, tt);
    if (!Coerce(a->value, tt)) NoteInferredType(a->target, a->value->type);
    return;
  }
  // x op= v has the rules of x = x op v.
  TokenKind op = lex::CompoundAssignBase(a->op);
  if (tt->kind == TypeKind::Pointer && (op == TokenKind::Plus || op == TokenKind::Minus)) {
    RequireUnsafe(a->range, "pointer arithmetic");
    const Type* vt = CheckValue(a->value, types_->i64());
    if (!vt->IsError() && !vt->IsInt())
      Error(diag::Kind::BinaryTypes, a->range, {lex::Spelling(a->op), ToString(tt), ToString(vt)});
    return;
  }
  bool shift = op == TokenKind::Shl || op == TokenKind::Shr;
  if (tt->IsVector()) {  // as `v = v op x`: x a vector of the same type or a scalar for every lane
    const Type* xt = shift ? CheckValue(a->value) : CheckExpr(a->value, tt->elem);
    if (xt->IsError()) return;
    bool ok = shift ? tt->elem->IsInt() && (xt == tt || xt->IsInt())
                    : ArithmeticAccepts(op, tt->elem) && VecOperand(a->value, tt);
    if (!ok && !a->value->type->IsError())
      Error(diag::Kind::BinaryTypes, a->range, {lex::Spelling(a->op), ToString(tt), ToString(Finalize(a->value))});
    return;
  }
  const Type* vt = nullptr;
  if (shift) {
    vt = CheckValue(a->value, tt);
  } else {
    CheckExpr(a->value, tt);
    if (!Coerce(a->value, tt)) return NoteInferredType(a->target, a->value->type);  // reported
    vt = a->value->type;
  }
  if (vt->IsError()) return;
  bool ok = shift ? tt->IsInt() && vt->IsInt() : tt->IsString() ? op == TokenKind::Plus : ArithmeticAccepts(op, tt);
  if (!ok) Error(diag::Kind::BinaryTypes, a->range, {lex::Spelling(a->op), ToString(tt), ToString(vt)});
}

}  // namespace fusion::sema
