// Expressions: names, operators, calls, indexing, fields, casts, literals; untyped literals.
#include <cmath>

#include "base/check.h"
#include "parse/parse.h"
#include "sema/checker.h"

namespace fusion::sema {

namespace {
// The Fusion spelling of a CUDA C name (cuda_names.def), or null.
auto FusionNameOfCuda(std::string_view name) -> const char* {
  static const std::pair<std::string_view, const char*> kNames[] = {
#define CUDA_NAME(cuda, fusion) {cuda, fusion},
#include "sema/cuda_names.def"
  };
  for (const auto& [cuda, fusion] : kNames)
    if (cuda == name) return fusion;
  return nullptr;
}

// Whether the integer constant `v` (of expression `e`) is a value of the integer type `t`.
auto FitsIn(const ast::Expr* e, const ConstValue& v, const Type* t) -> bool {
  if (auto* lit = As<ast::IntLit>(e)) {
    uint64_t max = t->bits == 64 ? (t->is_signed ? INT64_MAX : UINT64_MAX)
                                 : (t->is_signed ? (uint64_t(1) << (t->bits - 1)) - 1 : (uint64_t(1) << t->bits) - 1);
    return lit->value <= max;
  }
  if (v.big) return t->bits == 64 && !t->is_signed;
  int64_t s = v.AsSigned();
  if (t->bits == 64) return t->is_signed || s >= 0;
  if (t->is_signed) return s >= -(int64_t(1) << (t->bits - 1)) && s < (int64_t(1) << (t->bits - 1));
  return s >= 0 && s < (int64_t(1) << t->bits);
}

// Gives every untyped node of `e` the type `t`.
void SetTypeDeep(ast::Expr* e, const Type* t) {
  if (!e || !e->type || !e->type->IsUntyped()) return;
  e->type = t;
  if (auto* u = As<ast::Unary>(e)) SetTypeDeep(u->operand, t);
  if (auto* b = As<ast::Binary>(e)) {
    SetTypeDeep(b->lhs, t);
    SetTypeDeep(b->rhs, t);
  }
}
}  // namespace

auto Checker::CheckValue(ast::Expr* e, const Type* expected) -> const Type* {
  CheckExpr(e, expected);
  return Finalize(e);
}

auto Checker::CheckExpr(ast::Expr* e, const Type* expected) -> const Type* {
  if (!e) return types_->error();
  if (e->type) return e->type;  // checked already (e.g. an enum member value)
  DepthGuard guard(*this, e->range);
  if (!guard.ok) return e->type = types_->error();
  const Type* t = types_->error();
  int errors_before = diags_.error_count();
  switch (e->kind) {
    case ast::NodeKind::IntLit: {
      auto* lit = As<ast::IntLit>(e);
      if (lit->is_char)
        t = types_->u8();
      else if (expected && (expected->IsInt() || expected->IsFloat()))
        t = expected;
      else
        t = types_->untyped_int();
      e->type = t;
      if (!lit->is_char) CheckIntRange(e, t);
      return t;
    }
    case ast::NodeKind::FloatLit:
      t = expected && expected->IsFloat() ? expected : types_->untyped_float();
      break;
    case ast::NodeKind::BoolLit:
      t = types_->bool_type();
      break;
    case ast::NodeKind::NullLit:
      t = expected && expected->IsPointerLike() ? expected : types_->null_type();
      break;
    case ast::NodeKind::StringLit:
      // A `cstring`, unless its context wants a `string` (as an untyped number takes its type).
      t = expected && expected->IsString() ? types_->string() : types_->cstring();
      break;
    case ast::NodeKind::Name:
      t = CheckName(As<ast::Name>(e));
      break;
    case ast::NodeKind::Unary:
      t = CheckUnary(As<ast::Unary>(e), expected);
      break;
    case ast::NodeKind::Binary:
      t = CheckBinary(As<ast::Binary>(e), expected);
      break;
    case ast::NodeKind::Call:
      t = CheckCall(As<ast::Call>(e), expected);
      break;
    case ast::NodeKind::Index:
      t = CheckIndex(As<ast::Index>(e));
      break;
    case ast::NodeKind::Field:
      t = CheckField(As<ast::Field>(e));
      break;
    case ast::NodeKind::Cast:
      t = CheckCast(As<ast::Cast>(e));
      break;
    case ast::NodeKind::ArrayLit:
    case ast::NodeKind::ArrayRepeat:
      t = CheckArrayLit(e, expected);
      break;
    case ast::NodeKind::StructLit:
      t = CheckStructLit(As<ast::StructLit>(e));
      break;
    case ast::NodeKind::TypeQuery:
      t = CheckTypeQuery(As<ast::TypeQuery>(e), expected);
      break;
    case ast::NodeKind::TupleLit:
      // Only `@kernel(threads: …)` takes one (CheckGpuAttribute); the elements get their own errors.
      Error(diag::Kind::TupleNotHere, e->range);
      for (ast::Expr* x : As<ast::TupleLit>(e)->elems) CheckValue(x);
      t = types_->error();
      break;
    default:
      FUSION_UNREACHABLE("expression kind " << ast::NodeKindName(e->kind));
  }
  e->type = t;
  if (t->IsCounted() && !t->IsTensor() && !CountedHostOnly(e)) return e->type = types_->error();
  // Shapes only of well-formed expressions (a call with too few arguments has no argument 0).
  if (!t->IsError() && diags_.error_count() == errors_before &&
      (t->IsTensor() || e->kind == ast::NodeKind::Index || e->kind == ast::NodeKind::Call))
    CheckStaticShape(e);
  return t;
}

// A `let` or `var` of the main file's top-level statements named `name`, or null: what a
// function that cannot find `name` most likely meant (docs/language.md: functions do not see them).
auto Checker::ScriptLocal(const std::string& name) const -> const ast::Let* {
  for (ast::Stmt* s : trees_.front()->stmts)
    if (auto* l = As<ast::Let>(s); l && l->name == name) return l;
  return nullptr;
}

auto Checker::CheckName(ast::Name* e) -> const Type* {
  ast::Node* d = Lookup(e->name);
  if (!d) {
    if (ast::GpuValue v = GpuValueOf(e->name); v != ast::GpuValue::None) return CheckGpuName(e, v);
    if (e->name == "tensor")
      Error(diag::Kind::TensorNotValue, e->range);  // `let f = tensor`, `tensor.zeros` not called
    else if (BuiltinOf(e->name) != ast::Builtin::None)
      Error(diag::Kind::NotSupportedYet, e->range, {"using a function as a value"});
    else if (types_->Builtin(e->name))
      Error(diag::Kind::NotAValue, e->range, {e->name});  // `i32`
    else
      Error(diag::Kind::UndeclaredName, e->range, {e->name});
    if (const char* fusion_name = FusionNameOfCuda(e->name))
      Note(diag::Kind::NoteCudaName, e->range, {e->name, fusion_name});
    if (const ast::Let* l = fn_ ? ScriptLocal(e->name) : nullptr)
      Note(diag::Kind::NoteScriptLocal, l->name_range, {e->name});
    return types_->error();
  }
  e->decl = d;
  if (auto* l = As<ast::Let>(d)) return l->type ? l->type : types_->error();
  if (auto* p = As<ast::Param>(d)) return p->type ? p->type : types_->error();
  if (auto* f = As<ast::For>(d)) return f->type ? f->type : types_->error();
  if (auto* c = As<ast::ConstDecl>(d)) {
    if (c->is_static && InDevice()) {
      Error(diag::Kind::StaticInDevice, e->range, {c->name, DeviceWhat(), fn_->name});
      return types_->error();
    }
    if (!c->type) CheckConstDecl(c);
    return c->type ? c->type : types_->error();
  }
  if (auto* fn = As<ast::FnDecl>(d)) {
    // A function as a value is a C function pointer: Fusion functions get a C-ABI entry point.
    if (fn->is_variadic) {
      Error(diag::Kind::NotSupportedYet, e->range, {"using a variadic function as a value"});
      return types_->error();
    }
    if (!fn->fn_type) return types_->error();
    if (fn->is_kernel) {
      Error(diag::Kind::KernelAsValue, e->range, {fn->name});
      return types_->error();
    }
    if (InDevice()) {
      Error(diag::Kind::HostOnlyInDevice, e->range, {"a function pointer", DeviceWhat(), fn_->name});
      return types_->error();
    }
    if (fn->is_device) {  // a C function pointer runs on the host, where it has no GPU thread
      Error(diag::Kind::GpuFnNotHost, e->range, {"device function", fn->name, "used as a function pointer"});
      return types_->error();
    }
    for (const Type* p : fn->fn_type->params)
      if (!CheckCValue(p, e->range)) return types_->error();
    if (!CheckCValue(fn->fn_type->elem, e->range)) return types_->error();
    if (!fn->is_extern) fn->used_as_value = true;
    return fn->fn_type;
  }
  Error(diag::Kind::NotAValue, e->range, {e->name});
  return types_->error();
}

auto Checker::CheckUnary(ast::Unary* e, const Type* expected) -> const Type* {
  const char* op = lex::Spelling(e->op);
  switch (e->op) {
    case TokenKind::Minus: {
      // `-lit` stays untyped so that its range is checked as a whole where it gets a type.
      const Type* t = CheckExpr(e->operand);
      if (t->IsError() || t->kind == TypeKind::UntypedInt || t->kind == TypeKind::UntypedFloat) return t;
      if (t->IsTensor()) return CheckTensorUnary(e, t);
      if (t->IsVector()) return CheckVecUnary(e, t);
      if (t->IsInt() && !t->is_signed) {
        Error(diag::Kind::NegateUnsigned, e->range, {ToString(t)});
        return types_->error();
      }
      if (!t->IsNumeric()) break;
      return t;
    }
    case TokenKind::Bang: {
      const Type* t = CheckExpr(e->operand, types_->bool_type());
      if (t->IsError() || t->kind == TypeKind::Bool) return t;
      if (t->IsTensor()) return CheckTensorUnary(e, t);
      break;
    }
    case TokenKind::Tilde: {
      const Type* t = CheckExpr(e->operand, expected);
      if (t->IsError() || t->kind == TypeKind::UntypedInt || t->IsInt()) return t;
      if (t->IsVector()) return CheckVecUnary(e, t);
      break;
    }
    case TokenKind::Star: {
      const Type* t = CheckValue(e->operand);
      if (t->IsError()) return t;
      if (t->kind != TypeKind::Pointer) break;
      RequireUnsafe(e->range, "dereferencing a raw pointer");
      if (t->elem->kind == TypeKind::Void || t->elem->kind == TypeKind::Opaque) {
        Error(diag::Kind::UnaryType, e->range, {op, ToString(t)});
        return types_->error();
      }
      return t->elem;
    }
    case TokenKind::Amp: {
      const Type* t = CheckExpr(e->operand);
      if (t->IsError()) return t;
      if (t->IsTensor()) return CheckTensorUnary(e, t);
      if (t->IsCounted()) {  // the address of a variable's slot: not a value Fusion can count
        Error(diag::Kind::CountedPlacement, e->range, {CountedNoun(t), "behind a pointer"});
        return types_->error();
      }
      if (!IsPlace(e->operand)) {
        auto* name = As<ast::Name>(e->operand);
        if (name && As<ast::ConstDecl>(name->decl))
          Error(diag::Kind::AddrOfConst, e->range, {name->name});
        else
          Error(diag::Kind::AddrOfRvalue, e->range);
        return types_->error();
      }
      return types_->Pointer(t);
    }
    default:
      break;
  }
  Finalize(e->operand);
  Error(diag::Kind::UnaryType, e->range, {op, ToString(e->operand->type)});
  return types_->error();
}

namespace {
// Whether `e` is made of untyped literals only (`2`, `-1.5`, `3 * 4`): such an operand of a
// binary operator is checked without the context's type, so that it takes the other operand's
// type whichever side it is on, and a constant expression is range-checked as a whole.
auto IsLiteralTree(const ast::Expr* e) -> bool {
  if (auto* lit = As<ast::IntLit>(e)) return !lit->is_char;
  if (As<ast::FloatLit>(e)) return true;
  if (auto* u = As<ast::Unary>(e)) return (u->op == TokenKind::Minus || u->op == TokenKind::Tilde) && IsLiteralTree(u->operand);
  if (auto* b = As<ast::Binary>(e)) return IsLiteralTree(b->lhs) && IsLiteralTree(b->rhs);
  return false;
}

auto IsComparison(TokenKind op) -> bool {
  return op == TokenKind::EqEq || op == TokenKind::NotEq || op == TokenKind::Less ||
         op == TokenKind::LessEq || op == TokenKind::Greater || op == TokenKind::GreaterEq;
}
}  // namespace

auto Checker::CheckBinary(ast::Binary* e, const Type* expected) -> const Type* {
  TokenKind op = e->op;
  const char* spelled = lex::Spelling(op);
  if (op == TokenKind::AmpAmp || op == TokenKind::PipePipe) {
    CheckExpr(e->lhs, types_->bool_type());
    CheckExpr(e->rhs, types_->bool_type());
    bool ok = true;
    for (ast::Expr* side : {e->lhs, e->rhs}) {
      if (side->type->IsError() || side->type->kind == TypeKind::Bool) continue;
      Finalize(side);
      ok = false;
    }
    if (!ok) {
      Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(e->lhs->type), ToString(e->rhs->type)});
      return types_->error();
    }
    return types_->bool_type();
  }
  bool cmp = IsComparison(op);
  bool shift = op == TokenKind::Shl || op == TokenKind::Shr;
  const Type* hint = (!cmp && expected && (expected->IsNumeric() || expected->IsString())) ? expected : nullptr;
  const Type* lt = CheckExpr(e->lhs, IsLiteralTree(e->lhs) ? nullptr : hint);
  if (shift) {
    // The shift amount may be any integer type; the result has the left side's type.
    const Type* rt = CheckValue(e->rhs, lt->IsInt() ? lt : nullptr);
    if (lt->IsError() || rt->IsError()) return types_->error();
    if (lt->IsVector() || rt->IsVector()) return CheckVecBinary(e, lt, rt);
    if ((lt->IsInt() || lt->kind == TypeKind::UntypedInt) && rt->IsInt()) return lt;
    Finalize(e->lhs);
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(e->lhs->type), ToString(rt)});
    return types_->error();
  }
  // Pointer arithmetic: p + n, p - n, p - q.
  if (lt->kind == TypeKind::Pointer && (op == TokenKind::Plus || op == TokenKind::Minus)) {
    const Type* rt = CheckExpr(e->rhs, types_->i64());
    if (rt->IsUntyped() && rt->kind != TypeKind::Null) rt = Finalize(e->rhs);
    if (rt->IsError()) return rt;
    RequireUnsafe(e->op_range, "pointer arithmetic");
    if (rt->IsInt()) return lt;
    if (op == TokenKind::Minus && rt == lt) return types_->Builtin("isize");
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
    return types_->error();
  }
  const Type* rt = CheckExpr(e->rhs, !lt->IsUntyped() ? lt : IsLiteralTree(e->rhs) ? nullptr : hint);
  if (lt->IsError() || rt->IsError()) return types_->error();
  if (lt->IsTensor() || rt->IsTensor()) return CheckTensorBinary(e, lt, rt);
  if (lt->IsVector() || rt->IsVector()) return CheckVecBinary(e, lt, rt);
  if (lt->IsString() || rt->IsString() ||
      ((op == TokenKind::Plus || cmp) && As<ast::StringLit>(e->lhs) && As<ast::StringLit>(e->rhs)))
    return CheckStringBinary(e, lt, rt);
  // Unify untyped operands with typed ones.
  if (lt->IsUntyped() && rt->IsUntyped()) {
    if (lt->kind == TypeKind::Null || rt->kind == TypeKind::Null) {
      if (cmp && lt == rt) return types_->bool_type();
      Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
      return types_->error();
    }
    const Type* both = (lt->kind == TypeKind::UntypedFloat || rt->kind == TypeKind::UntypedFloat)
                           ? types_->untyped_float()
                           : types_->untyped_int();
    if (cmp) {
      const Type* def = both == types_->untyped_float() ? types_->f64() : types_->i64();
      SetUntypedType(e->lhs, def);
      SetUntypedType(e->rhs, def);
      return types_->bool_type();
    }
    if ((op == TokenKind::Amp || op == TokenKind::Pipe || op == TokenKind::Caret) &&
        both == types_->untyped_float()) {
      Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
      return types_->error();
    }
    return both;
  }
  if (lt->IsUntyped()) {
    if (!Coerce(e->lhs, rt)) return types_->error();
    lt = rt;
  } else if (rt->IsUntyped()) {
    if (!Coerce(e->rhs, lt)) return types_->error();
    rt = lt;
  }
  if (lt != rt) {
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
    return types_->error();
  }
  const Type* t = lt;
  bool ok = ArithmeticAccepts(op, t);
  switch (op) {
    case TokenKind::EqEq:
    case TokenKind::NotEq:
      // Two strings (not a comparison with `null`): almost always meant as text.
      if (t->kind == TypeKind::CString && !As<ast::NullLit>(e->lhs) && !As<ast::NullLit>(e->rhs))
        diags_.Report(diag::Kind::CStringCompare, e->op_range, {spelled});
      if (t->IsScalar()) return types_->bool_type();
      Error(diag::Kind::CompareUnsupported, e->op_range, {ToString(t)});
      return types_->error();
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq:
      if (t->IsNumeric() || t->IsPointerLike() || t->kind == TypeKind::Enum) return types_->bool_type();
      Error(diag::Kind::CompareUnsupported, e->op_range, {ToString(t)});
      return types_->error();
    default:
      break;
  }
  if (!ok) {
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
    return types_->error();
  }
  return t;
}

auto Checker::ArithmeticAccepts(TokenKind op, const Type* t) -> bool {
  switch (op) {
    case TokenKind::Plus:
    case TokenKind::Minus:
    case TokenKind::Star:
    case TokenKind::Slash:
    case TokenKind::Percent:
      return t->IsNumeric();
    case TokenKind::Amp:
    case TokenKind::Pipe:
    case TokenKind::Caret:
      return t->IsInt() || t->kind == TypeKind::Bool;
    default:
      return false;
  }
}

void Checker::CheckArgsAlone(ast::Call* e) {
  for (ast::Expr* a : e->args) CheckValue(a);
  for (ast::NamedArg& a : e->named_args) CheckValue(a.value);
}

auto Checker::CheckCall(ast::Call* e, const Type* expected) -> const Type* {
  auto* name = As<ast::Name>(e->callee);
  // gpu.alloc<T>(n) and the rest of the host's GPU API, unless `gpu` names something.
  if (auto* f = As<ast::Field>(e->callee); f && As<ast::Name>(f->base) && As<ast::Name>(f->base)->name == "gpu" &&
                                           !Lookup("gpu"))
    return CheckGpuApiCall(e, f);
  // tensor.zeros<f32>(n) and the other tensor functions, unless `tensor` names something.
  if (auto* f = As<ast::Field>(e->callee); f && As<ast::Name>(f->base) && As<ast::Name>(f->base)->name == "tensor" &&
                                           !Lookup("tensor"))
    return CheckTensorCall(e, f);
  // io.open(path) and the other file functions, unless `io` names something.
  if (auto* f = As<ast::Field>(e->callee); f && As<ast::Name>(f->base) && As<ast::Name>(f->base)->name == "io" &&
                                           !Lookup("io"))
    return CheckIoCall(e, f);
  // t.sum(), s.find(t), f.read_line(), …: the methods of tensors, strings and files.
  if (auto* f = As<ast::Field>(e->callee)) {
    const Type* bt = CheckReceiver(f->base, f->name + (e->args.empty() && e->named_args.empty() ? "()" : "(…)"));
    if (bt->IsTensor()) return CheckTensorMethod(e, f, bt);
    if (bt->IsString() || bt->kind == TypeKind::File) return CheckStringMethod(e, f, bt);
    if (bt->is_handle) return CheckHandleMethod(e, f, bt);
    if (bt->IsVector()) return CheckVecMethod(e, f, bt);
  }
  if (name) {
    ast::Node* d = Lookup(name->name);
    ast::Builtin b = BuiltinOf(name->name);
    if (!d && b >= ast::Builtin::Dim3) return CheckGpuBuiltinCall(e, b, name->name, expected);
    if (!d && b != ast::Builtin::None) {
      for (ast::NamedArg& a : e->named_args)
        Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name->name + "`"});
      return CheckBuiltinCall(e, b, name->name, expected);
    }
    for (ast::NamedArg& a : e->named_args)
      Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "a call of `" + name->name + "`"});
    if (auto* fn = As<ast::FnDecl>(d)) {
      name->decl = fn;
      name->type = types_->void_type();
      return CheckDirectCall(e, fn, 0);
    }
    if (!d) {
      CheckName(name);  // reports the undeclared name
      for (ast::Expr* a : e->args) CheckValue(a);
      return types_->error();
    }
  }
  const Type* ct = CheckValue(e->callee);
  if (ct->kind == TypeKind::FnPtr) {
    // A call through a function pointer: C's calling convention, and nothing checks the pointer.
    if (InDevice()) Error(diag::Kind::IndirectCallInDevice, e->range, {"", DeviceWhat(), fn_->name});
    RequireUnsafe(e->range, "calling through a function pointer");
    CheckCallArgs(e, ct->params, false, name ? name->name : ToString(ct), nullptr);
    return ct->elem;
  }
  for (ast::Expr* a : e->args) CheckValue(a);
  if (!ct->IsError()) {
    std::string what = name ? name->name : ToString(ct);
    Error(diag::Kind::NotCallable, e->callee->range, {what});
  }
  return types_->error();
}

// A direct call: of a Fusion function, or of an extern one through its slot. The first `checked`
// arguments were checked already (a handle method's receiver).
auto Checker::CheckDirectCall(ast::Call* e, ast::FnDecl* fn, size_t checked) -> const Type* {
  e->fn = fn;
  if (!e->type_args.empty()) Error(diag::Kind::GenericArgs, e->type_args[0]->range, {fn->name, "no type arguments"});
  if (fn->is_unsafe) RequireUnsafe(e->range, "calling unsafe function `" + fn->name + "`");
  if (fn->is_extern && !fn->is_safe && RequireUnsafe(e->range, "calling extern function `" + fn->name + "`"))
    Note(diag::Kind::NoteExternNotSafe, fn->name_range, {fn->name});
  CheckGpuCall(e, fn);
  std::vector<const Type*> params;
  for (ast::Param* p : fn->params) params.push_back(p->type ? p->type : types_->error());
  CheckCallArgs(e, params, fn->is_variadic, fn->name, fn, checked);
  return fn->ret_type ? fn->ret_type : types_->error();
}

// h.name(args) on a value of a `@drop` opaque type `T` calls `T_name(h, args)` (docs/ffi.md,
// "Handles"): the functions `fusion wrap` makes for a class's methods read as methods.
auto Checker::CheckHandleMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type* {
  callee->type = types_->void_type();
  std::string fn_name = self->opaque_decl->name + "_" + callee->name;
  auto* fn = As<ast::FnDecl>(Lookup(fn_name));
  const Type* first = fn && !fn->params.empty() ? fn->params[0]->type : nullptr;
  if (!fn || first != self) {
    Error(diag::Kind::NoTensorMethod, callee->name_range,
          {ToString(self), callee->name,
           "; a method of a handle type is a function named `" + fn_name + "` whose first parameter is a `" +
               ToString(self) + "`"});
    CheckArgsAlone(e);
    return types_->error();
  }
  for (ast::NamedArg& a : e->named_args) Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "a call of `" + fn_name + "`"});
  size_t n = fn->params.size() - 1, given = e->args.size();
  if (!fn->is_variadic && given != n) {  // counted without the receiver, as written
    Error(diag::Kind::ArgCount, e->range,
          {"." + callee->name, std::to_string(n), n == 1 ? "" : "s", std::to_string(given), given == 1 ? "was" : "were"});
    Note(diag::Kind::NoteDeclaredHere, fn->name_range, {fn->name});
    CheckArgsAlone(e);
    return types_->error();
  }
  e->args.insert(e->args.begin(), callee->base);
  return CheckDirectCall(e, fn, 1);
}

void Checker::CheckCallArgs(ast::Call* e, const std::vector<const Type*>& params, bool variadic,
                            const std::string& name, const ast::FnDecl* decl, size_t checked) {
  size_t n = params.size(), given = e->args.size();
  if (given < n || (!variadic && given != n)) {
    Error(variadic ? diag::Kind::VariadicArgCount : diag::Kind::ArgCount, e->range,
          {name, std::to_string(n), n == 1 ? "" : "s", std::to_string(given), given == 1 ? "was" : "were"});
    if (decl) Note(diag::Kind::NoteDeclaredHere, decl->name_range, {decl->name});
    for (size_t i = checked; i < given; i++) CheckValue(e->args[i]);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (i >= checked) CheckExpr(e->args[i], params[i]);
    if (!Coerce(e->args[i], params[i])) NoteInferredType(e->args[i], params[i]);
  }
  // Variadic extras: C takes scalars there (after its default promotions, which lowering applies);
  // an untyped literal is an i64 or f64.
  for (size_t i = n; i < given; i++) {
    const Type* t = CheckValue(e->args[i]);
    if (t->IsError()) continue;
    if (!t->IsScalar()) Error(diag::Kind::VariadicAggregate, e->args[i]->range, {ToString(t)});
  }
}

auto Checker::CheckIndex(ast::Index* e) -> const Type* {
  const Type* bt = CheckValue(e->base);
  const Type* it = CheckExpr(e->index, types_->i64());
  if (it->IsUntyped()) it = Finalize(e->index);
  if (bt->IsError() || it->IsError()) return types_->error();
  if (!it->IsInt()) {
    Error(diag::Kind::IndexNotInteger, e->index->range, {ToString(it)});
    return types_->error();
  }
  if (bt->IsTensor()) return CheckTensorIndex(e, bt);
  if (bt->IsString()) return CheckStringIndex(e);
  if (!e->more.empty()) {
    for (ast::Expr* m : e->more) CheckValue(m);
    Error(diag::Kind::BuiltinArg, e->more[0]->range, {"indexing `" + ToString(bt) + "`", "one index", "several"});
    return types_->error();
  }
  switch (bt->kind) {
    case TypeKind::Vector:
    case TypeKind::Array: {
      if (std::optional<ConstValue> v = Eval(e->index)) {
        bool neg = it->is_signed && v->AsSigned() < 0;
        if (neg || v->int_bits >= bt->count) {
          Error(diag::Kind::IndexOutOfBounds, e->index->range,
                {neg ? std::to_string(v->AsSigned()) : std::to_string(v->int_bits), ToString(bt)});
          return types_->error();
        }
      }
      return bt->elem;
    }
    case TypeKind::Pointer:
      RequireUnsafe(e->range, "indexing a raw pointer");
      if (bt->elem->kind == TypeKind::Void || bt->elem->kind == TypeKind::Opaque) break;
      return bt->elem;
    case TypeKind::CString:
      RequireUnsafe(e->range, "indexing a `cstring`");
      return types_->u8();
    default:
      break;
  }
  Error(diag::Kind::NotIndexable, e->base->range, {ToString(bt)});
  return types_->error();
}

auto Checker::CheckField(ast::Field* e) -> const Type* {
  // Enum.Member
  if (auto* base_name = As<ast::Name>(e->base)) {
    ast::Node* d = Lookup(base_name->name);
    if (auto* ed = As<ast::EnumDecl>(d)) {
      const Type* et = NominalType(ed);
      base_name->type = et;
      base_name->decl = ed;
      for (auto& m : ed->members) {
        if (m.name == e->name) {
          e->enum_decl = ed;
          e->enum_value = m.resolved;
          return et;
        }
      }
      Error(diag::Kind::NoEnumMember, e->name_range, {ed->name, e->name});
      return types_->error();
    }
  }
  const Type* bt = CheckValue(e->base);
  if (bt->IsError()) return bt;
  const Type* st = bt;
  if (bt->kind == TypeKind::Pointer && bt->elem->kind == TypeKind::Struct) {
    st = bt->elem;
    e->through_pointer = true;
    RequireUnsafe(e->range, "accessing a field through a raw pointer");
  }
  if (st->kind != TypeKind::Struct) {
    Error(diag::Kind::FieldOfNonStruct, e->name_range, {e->name, ToString(bt)});
    if (bt == types_->cstring()) Note(diag::Kind::NoteCstringMethods, e->base->range);
    if (bt->IsString() || bt->kind == TypeKind::File) NoteStringField(e, bt);
    return types_->error();
  }
  int idx = st->FieldIndex(e->name);
  if (idx < 0) {
    Error(diag::Kind::NoField, e->name_range, {ToString(st), e->name});
    if (TypeContext::IsSoftBuiltin(st->name) && st->struct_decl)  // `f.close()` of the program's own `file`
      Note(diag::Kind::NoteShadowsBuiltin, st->struct_decl->name_range, {st->name});
    return types_->error();
  }
  e->field_index = idx;
  return st->fields[idx].type;
}

auto Checker::CheckCast(ast::Cast* e) -> const Type* {
  const Type* to = ResolveType(e->target);
  if (to->IsVector()) return CheckVecCast(e, to);
  const Type* from = CheckExpr(e->expr);
  if (to->IsError() || from->IsError()) return types_->error();
  if (from->IsVector()) return CheckVecCast(e, to);
  if (from->kind == TypeKind::UntypedInt) {
    std::optional<ConstValue> v = Eval(e->expr);
    bool fits_int = to->IsInt() && v && FitsIn(e->expr, *v, to);
    from = fits_int || to->IsFloat() ? (SetUntypedType(e->expr, to), to) : Finalize(e->expr);
  } else if (from->kind == TypeKind::UntypedFloat) {
    from = to->IsFloat() ? (SetUntypedType(e->expr, to), to) : Finalize(e->expr);
  } else if (from->kind == TypeKind::Null) {
    if (to->IsPointerLike()) {
      SetUntypedType(e->expr, to);
      return to;
    }
    from = Finalize(e->expr);
  }
  auto is_ptr_int = [](const Type* t) { return t->IsInt() && t->bits == 64; };
  // A `cstring` converts to a `string` (a copy of its bytes); the other way is `s.cstr()`.
  if (from->IsString() || to->IsString() || from->kind == TypeKind::File || to->kind == TypeKind::File) {
    if (from == to || (from == types_->cstring() && to->IsString())) return to;
    Error(diag::Kind::InvalidCast, e->range, {ToString(from), ToString(to)});
    if (from->IsString() && to == types_->cstring()) Note(diag::Kind::NoteCstringToString, e->range);
    return types_->error();
  }
  // A tensor converts elementwise to another element type (bool as the integer casts do).
  if (from->IsTensor() || to->IsTensor()) {
    // To bool: whether each element is non-zero (NumPy's astype(bool)).
    bool elem_ok = from->IsTensor() && to->IsTensor() && TensorHostOnly(e, "");
    if (!elem_ok) {
      Error(diag::Kind::InvalidCast, e->range, {ToString(from), ToString(to)});
      return types_->error();
    }
    return to;
  }
  bool ok = from == to || (from->IsNumeric() && to->IsNumeric()) ||
            (from->kind == TypeKind::Bool && to->IsInt()) ||
            (from->kind == TypeKind::Enum && to->IsInt()) || (from->IsInt() && to->kind == TypeKind::Enum) ||
            (from->IsPointerLike() && to->IsPointerLike()) || (from->IsPointerLike() && is_ptr_int(to)) ||
            (is_ptr_int(from) && to->IsPointerLike());
  if (!ok) {
    Error(diag::Kind::InvalidCast, e->range, {ToString(from), ToString(to)});
    return types_->error();
  }
  return to;
}

auto Checker::CheckArrayLit(ast::Expr* e, const Type* expected) -> const Type* {
  const Type* want_elem = expected && expected->kind == TypeKind::Array ? expected->elem : nullptr;
  if (auto* rep = As<ast::ArrayRepeat>(e)) {
    const Type* elem = want_elem ? (CheckExpr(rep->value, want_elem), Coerce(rep->value, want_elem), want_elem)
                                 : CheckValue(rep->value);
    CheckExpr(rep->count, types_->u64());
    const Type* ct = rep->count->type;
    if (ct->IsUntyped()) ct = Finalize(rep->count);
    int64_t n = 0;
    if (ct->IsError() || elem->IsError()) return types_->error();
    if (!ct->IsInt()) {
      Error(diag::Kind::ArraySizeNotConst, rep->count->range);
      return types_->error();
    }
    if (!EvalInt(rep->count, ct, rep->count->range, n)) return types_->error();
    if (n < 0) {
      Error(diag::Kind::ArraySizeNegative, rep->count->range, {std::to_string(n)});
      return types_->error();
    }
    rep->count_value = static_cast<uint64_t>(n);
    EnsureLayout(elem, rep->value->range);
    return types_->Array(elem, rep->count_value);
  }
  auto* lit = As<ast::ArrayLit>(e);
  if (want_elem && lit->elems.size() != expected->count) {
    size_t n = lit->elems.size();
    Error(diag::Kind::ArrayLength, e->range,
          {std::to_string(n), n == 1 ? "" : "s", ToString(expected), std::to_string(expected->count)});
    for (ast::Expr* x : lit->elems) CheckValue(x, want_elem);
    return types_->error();
  }
  if (lit->elems.empty()) {
    if (want_elem) return types_->Array(want_elem, 0);
    Error(diag::Kind::EmptyArrayLiteral, e->range);
    return types_->error();
  }
  const Type* elem = want_elem;
  if (!elem) {
    // The first element with a type decides; otherwise the first one's default type.
    for (ast::Expr* x : lit->elems) CheckExpr(x);
    for (ast::Expr* x : lit->elems)
      if (!x->type->IsUntyped()) {
        elem = x->type;
        break;
      }
    if (!elem) elem = Finalize(lit->elems[0]);
  }
  bool ok = !elem->IsError();
  for (ast::Expr* x : lit->elems) {
    CheckExpr(x, elem);
    if (!Coerce(x, elem)) ok = false;
  }
  if (!ok) return types_->error();
  EnsureLayout(elem, e->range);
  return types_->Array(elem, lit->elems.size());
}

auto Checker::CheckStructLit(ast::StructLit* e) -> const Type* {
  const Type* st = ResolveType(e->struct_type);
  if (st->IsError()) {
    for (auto& f : e->fields) CheckValue(f.value);
    return st;
  }
  if (st->kind != TypeKind::Struct) {
    Error(diag::Kind::NotAStruct, e->struct_type->range, {ToString(st)});
    for (auto& f : e->fields) CheckValue(f.value);
    return types_->error();
  }
  EnsureLayout(st, e->range);
  std::vector<bool> given(st->fields.size(), false);
  bool ok = true;
  for (ast::FieldInit& f : e->fields) {
    int idx = st->FieldIndex(f.name);
    if (idx < 0) {
      Error(diag::Kind::StructLitField, f.range, {ToString(st), f.name});
      CheckValue(f.value);
      ok = false;
      continue;
    }
    if (given[idx]) Error(diag::Kind::StructLitDuplicate, f.range, {f.name}), ok = false;
    given[idx] = true;
    f.field_index = idx;
    const Type* ft = st->fields[idx].type;
    CheckExpr(f.value, ft);
    if (!Coerce(f.value, ft)) ok = false;
  }
  if (!st->is_union) {
    for (size_t i = 0; i < given.size(); i++)
      if (!given[i]) {
        Error(diag::Kind::StructLitMissing, e->range, {st->fields[i].name, ToString(st)});
        ok = false;
      }
  }
  return ok ? st : types_->error();
}

// sizeof/alignof/offsetof are u64 constants, or of the integer type the context expects (so that
// `malloc(sizeof(T))` takes a usize without a cast).
auto Checker::CheckTypeQuery(ast::TypeQuery* e, const Type* expected) -> const Type* {
  const Type* t = ResolveType(e->target);
  if (t->IsError()) return t;
  if (t->kind == TypeKind::Void || t->kind == TypeKind::Opaque) {
    Error(diag::Kind::SizeofType, e->target->range, {ToString(t)});
    return types_->error();
  }
  if (!EnsureLayout(t, e->target->range)) return types_->error();
  switch (e->query) {
    case ast::QueryKind::Sizeof:
      e->value = t->size;
      break;
    case ast::QueryKind::Alignof:
      e->value = t->align;
      break;
    case ast::QueryKind::Offsetof: {
      if (t->kind != TypeKind::Struct) {
        Error(diag::Kind::NotAStruct, e->target->range, {ToString(t)});
        return types_->error();
      }
      int idx = t->FieldIndex(e->field);
      if (idx < 0) {
        Error(diag::Kind::NoField, e->field_range, {ToString(t), e->field});
        return types_->error();
      }
      e->value = t->fields[idx].offset;
      break;
    }
  }
  if (expected && expected->IsInt() && expected != types_->u64()) {
    e->type = expected;
    CheckIntRange(e, expected);
    return expected;
  }
  return types_->u64();
}

// ---- untyped values ----


void Checker::CheckIntRange(ast::Expr* e, const Type* t) {
  if (!t->IsInt()) return;
  std::optional<ConstValue> v = Eval(e);
  if (!v || FitsIn(e, *v, t)) return;
  if (auto* lit = As<ast::IntLit>(e)) {
    Error(diag::Kind::LiteralOutOfRange, e->range, {std::to_string(lit->value), ToString(t)});
    return;
  }
  std::string shown = v->big ? std::to_string(v->int_bits) : std::to_string(v->AsSigned());
  auto* neg = As<ast::Unary>(e);
  bool negated_literal = neg && neg->op == TokenKind::Minus && As<ast::IntLit>(neg->operand);
  Error(negated_literal ? diag::Kind::LiteralOutOfRange : diag::Kind::ConstOutOfRange, e->range, {shown, ToString(t)});
}

void Checker::SetUntypedType(ast::Expr* e, const Type* t) {
  if (!e || !e->type || !e->type->IsUntyped()) return;
  if (e->type->kind == TypeKind::UntypedInt) CheckIntRange(e, t);
  SetTypeDeep(e, t);
}

auto Checker::Coerce(ast::Expr* e, const Type* target) -> bool {
  if (!e || !e->type || target->IsError() || e->type->IsError()) return true;
  const Type* t = e->type;
  if (t == target) return true;
  bool ok = false;
  if (t->kind == TypeKind::UntypedInt) ok = target->IsNumeric();
  if (t->kind == TypeKind::UntypedFloat) ok = target->IsFloat();
  if (t->kind == TypeKind::Null) ok = target->IsPointerLike();
  if (ok) {
    SetUntypedType(e, target);
    return true;
  }
  Finalize(e);
  std::string want = ToString(target), got = ToString(e->type);
  if (want != got) {
    Error(diag::Kind::TypeMismatch, e->range, {want, got});
    bool strings = (target->IsString() && t == types_->cstring()) || (t->IsString() && target == types_->cstring());
    if (strings) Note(diag::Kind::NoteCstringToString, e->range);
    if (t->IsTensor() && t->elem == target) Note(diag::Kind::NoteTensorItem, e->range, {want});
    return false;
  }
  // Two types spelled alike: a program's own `file` or `string` beside the builtin one
  // (docs/language.md). Each is said for what it is, and the program's own declaration shown.
  auto nominal = [](const Type* t) {
    while ((t->kind == TypeKind::Pointer || t->kind == TypeKind::Array || t->kind == TypeKind::Vector ||
            t->kind == TypeKind::Tensor) && t->elem)
      t = t->elem;
    return t;
  };
  auto decl_of = [](const Type* t) -> const ast::Decl* {
    if (t->struct_decl) return t->struct_decl;
    if (t->enum_decl) return t->enum_decl;
    return t->opaque_decl;
  };
  auto describe = [&](const Type* t) -> std::string {
    const Type* n = nominal(t);
    if (n->kind == TypeKind::File) return "Fusion's builtin `file`, as `io.open` gives";
    if (n->kind == TypeKind::String) return "Fusion's builtin `string`";
    const ast::Decl* d = decl_of(n);
    if (!d) return "a different type";
    const char* what = n->enum_decl ? "enum" : n->opaque_decl ? "opaque type" : n->is_union ? "union" : "struct";
    return std::string("the program's own ") + what + " `" + n->name + "`";
  };
  Error(diag::Kind::TypeMismatchSameName, e->range, {want, describe(target), describe(e->type)});
  for (const Type* t : {target, e->type})
    if (const ast::Decl* d = decl_of(nominal(t))) Note(diag::Kind::NoteDeclaredHere, d->name_range, {nominal(t)->name});
  return false;
}

auto Checker::Finalize(ast::Expr* e) -> const Type* {
  if (!e || !e->type) return types_->error();
  switch (e->type->kind) {
    case TypeKind::UntypedInt:
      SetUntypedType(e, types_->i64());
      break;
    case TypeKind::UntypedFloat:
      SetUntypedType(e, types_->f64());
      break;
    case TypeKind::Null:
      SetUntypedType(e, types_->Pointer(types_->void_type()));
      break;
    default:
      break;
  }
  return e->type;
}

auto IsPlace(const ast::Expr* e) -> bool {
  if (!e) return false;
  switch (e->kind) {
    case ast::NodeKind::Name: {
      const ast::Node* d = As<ast::Name>(e)->decl;
      if (auto* c = As<ast::ConstDecl>(d)) return c->is_static;
      return As<ast::Let>(d) || As<ast::Param>(d) || As<ast::For>(d);
    }
    case ast::NodeKind::Unary:
      return As<ast::Unary>(e)->op == TokenKind::Star;
    case ast::NodeKind::Index: {
      auto* i = As<ast::Index>(e);
      bool value = i->base->type->kind == TypeKind::Array || i->base->type->IsVector();
      return !value || IsPlace(i->base);
    }
    case ast::NodeKind::Field: {
      auto* f = As<ast::Field>(e);
      return f->enum_decl == nullptr && (f->through_pointer || IsPlace(f->base));
    }
    default:
      return false;
  }
}

auto Checker::ImmutableRoot(const ast::Expr* e) const -> const ast::Node* {
  switch (e->kind) {
    case ast::NodeKind::Name: {
      const ast::Node* d = As<ast::Name>(e)->decl;
      if (auto* l = As<ast::Let>(d)) return l->is_var ? nullptr : l;
      if (auto* c = As<ast::ConstDecl>(d)) return c->is_static ? nullptr : c;
      if (As<ast::Param>(d) || As<ast::For>(d)) return d;
      return nullptr;
    }
    case ast::NodeKind::Index: {
      // An array's elements and a vector's lanes are part of the variable's value.
      auto* i = As<ast::Index>(e);
      const Type* bt = i->base->type;
      return bt->kind == TypeKind::Array || bt->IsVector() ? ImmutableRoot(i->base) : nullptr;
    }
    case ast::NodeKind::Field: {
      auto* f = As<ast::Field>(e);
      return f->through_pointer ? nullptr : ImmutableRoot(f->base);
    }
    default:
      return nullptr;
  }
}

}  // namespace fusion::sema
