// Builtin functions: print/eprint, assert, panic, alloc, free, exit, lib_available, and math.
#include "sema/checker.h"

namespace fusion::sema {

auto Checker::BuiltinOf(const std::string& name) const -> ast::Builtin {
  using B = ast::Builtin;
  static const std::unordered_map<std::string, B> kBuiltins = {
#define BUILTIN(name, kind) {name, B::kind},
#include "sema/builtins.def"
  };
  auto it = kBuiltins.find(name);
  return it == kBuiltins.end() ? B::None : it->second;
}

auto Checker::BuiltinArgCount(ast::Call* e, const std::string& name, size_t lo, size_t hi) -> bool {
  size_t given = e->args.size();
  if (given >= lo && given <= hi) return true;
  std::string n = lo == hi ? std::to_string(lo) : std::to_string(lo) + (hi == lo + 1 ? " or " : " to ") + std::to_string(hi);
  Error(diag::Kind::ArgCount, e->range, {name, n, hi == 1 ? "" : "s", std::to_string(given), given == 1 ? "was" : "were"});
  CheckArgsAlone(e);
  return false;
}

auto Checker::CheckBuiltinCall(ast::Call* e, ast::Builtin b, const std::string& name,
                               const Type* expected) -> const Type* {
  using B = ast::Builtin;
  e->builtin = b;
  e->callee->type = types_->void_type();
  // Host-only builtins: device code has no heap, no process to exit, no libraries, no stderr, no
  // arguments, environment or clocks, and no counted values (strings, handles).
  bool process = b == B::ArgCount || b == B::Arg || b == B::Env || b == B::HasEnv || b == B::MonotonicNs ||
                 b == B::UnixTime || b == B::Format || b == B::Own || b == B::Raw;  // what gives a value
  if (InDevice() && (b == B::Alloc || b == B::Free || b == B::Exit || b == B::LibAvailable || b == B::Eprint || process)) {
    Error(diag::Kind::HostOnlyInDevice, e->callee->range, {"`" + name + "`", DeviceWhat(), fn_->name});
    for (ast::Expr* a : e->args) CheckValue(a);
    return b == B::Alloc || process ? types_->error() : b == B::LibAvailable ? types_->bool_type() : types_->void_type();
  }
  auto arg_count = [&](size_t lo, size_t hi) { return BuiltinArgCount(e, name, lo, hi); };
  // Argument `i`, checked with `hint` as its expected type; `what` says what `ok` accepts.
  auto check_arg = [&](size_t i, const Type* hint, auto ok, const char* what) {
    const Type* t = CheckValue(e->args[i], hint);
    if (!t->IsError() && !ok(t)) Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, what, ToString(t)});
  };
  auto is_cstring = [&](const Type* t) { return t == types_->cstring(); };
  auto is_string = [](const Type* t) { return t->IsString(); };
  // A message: a `cstring` or a `string` (`panic(format("bad value", x))`).
  auto is_text = [&](const Type* t) { return t == types_->cstring() || t->IsString(); };
  auto is_int = [](const Type* t) { return t->IsInt(); };
  if (b != B::Alloc && !e->type_args.empty())
    Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
  switch (b) {
    case B::Print:
    case B::Eprint:
    case B::Format:
      for (ast::Expr* a : e->args) {
        const Type* t = CheckValue(a);
        if (t->IsError()) continue;
        if (!t->IsScalar() && !t->IsTensor() && !t->IsString() && !t->IsVector()) Error(diag::Kind::NotPrintable, a->range, {ToString(t)});
      }
      return b == B::Format ? types_->string() : types_->void_type();
    case B::Assert: {
      if (!arg_count(1, 2)) return types_->void_type();
      const Type* t = CheckExpr(e->args[0], types_->bool_type());
      if (!t->IsError() && t->kind != TypeKind::Bool)
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a `bool` condition", ToString(Finalize(e->args[0]))});
      if (e->args.size() == 2) check_arg(1, types_->cstring(), is_text, "a `cstring` or `string` message");
      return types_->void_type();
    }
    case B::Panic: {
      if (!arg_count(1, 1)) return types_->void_type();
      check_arg(0, types_->cstring(), is_text, "a `cstring` or `string` message");
      return types_->void_type();
    }
    case B::Exit: {
      if (!arg_count(1, 1)) return types_->void_type();
      CheckExpr(e->args[0], types_->i32());
      Coerce(e->args[0], types_->i32());
      return types_->void_type();
    }
    case B::Alloc: {
      if (e->type_args.size() != 1) {
        Error(diag::Kind::GenericArgs, e->range, {name, "one type argument: `alloc<T>(n)`"});
        for (ast::Expr* a : e->args) CheckValue(a);
        return types_->error();
      }
      const Type* elem = ResolveType(e->type_args[0]);
      if (!arg_count(1, 1) || elem->IsError()) return types_->error();
      if (elem->kind == TypeKind::Void || elem->kind == TypeKind::Opaque) {
        Error(diag::Kind::SizeofType, e->type_args[0]->range, {ToString(elem)});
        return types_->error();
      }
      if (elem->IsCounted()) {
        Error(diag::Kind::CountedPlacement, e->type_args[0]->range, {CountedNoun(elem), "behind a pointer"});
        return types_->error();
      }
      EnsureLayout(elem, e->type_args[0]->range);
      const Type* nt = CheckExpr(e->args[0], types_->u64());
      if (nt->IsUntyped()) nt = Finalize(e->args[0]);
      if (!nt->IsError() && !nt->IsInt())
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "an integer count", ToString(nt)});
      return types_->Pointer(elem);
    }
    case B::LibAvailable: {
      // lib_available("cudart"): whether an `extern "cudart"` block's library can be loaded.
      if (!arg_count(1, 1)) return types_->bool_type();
      check_arg(0, types_->cstring(), is_cstring, "a `cstring` library name");
      return types_->bool_type();
    }
    case B::Free: {
      if (!arg_count(1, 1)) return types_->void_type();
      const Type* t = CheckValue(e->args[0]);
      if (!t->IsError() && t->kind != TypeKind::Pointer)
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a pointer", ToString(t)});
      RequireUnsafe(e->range, "calling `free`");
      return types_->void_type();
    }
    case B::ArgCount:
      arg_count(0, 0);
      return types_->i64();
    case B::MonotonicNs:
      arg_count(0, 0);
      return types_->i64();
    case B::UnixTime:
      arg_count(0, 0);
      return types_->f64();
    case B::Arg: {
      // arg(i): the program's i-th argument (0: the program), bounds-checked.
      if (arg_count(1, 1)) check_arg(0, types_->i64(), is_int, "an integer index");
      return types_->string();
    }
    case B::Env:
    case B::HasEnv: {
      // env(name): the variable's value, "" when it is not set; has_env(name): whether it is set.
      if (arg_count(1, 1)) check_arg(0, types_->string(), is_string, "a `string` name");
      return b == B::Env ? types_->string() : types_->bool_type();
    }
    case B::Own: {
      // own(p): a handle that owns what `p: *T` points to (T an `@drop` opaque type); null owns nothing.
      if (!arg_count(1, 1)) return types_->error();
      const Type* want = expected && expected->is_handle ? types_->Pointer(expected) : nullptr;
      const Type* t = CheckExpr(e->args[0], want);
      if (t->kind == TypeKind::Null && want) Coerce(e->args[0], want), t = want;
      if (t->IsError()) return t;
      if (t->kind == TypeKind::Pointer && t->elem->is_handle) return t->elem;
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a pointer to an `@drop` opaque type", ToString(Finalize(e->args[0]))});
      return types_->error();
    }
    case B::Raw: {
      // raw(h): the C pointer a handle owns, valid while the handle lives.
      if (!arg_count(1, 1)) return types_->error();
      const Type* t = CheckValue(e->args[0]);
      if (t->IsError()) return t;
      if (t->is_handle) return types_->Pointer(t);
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a handle of an `@drop` opaque type", ToString(t)});
      return types_->error();
    }
    case B::Popc:
    case B::Clz:
    case B::Ctz:
    case B::Ffs: {
      // Bit counts, as CUDA's __popc/__clz/__ffs: any integer (an untyped literal is an i64), an i32 result.
      if (arg_count(1, 1)) check_arg(0, nullptr, is_int, "an integer");
      return types_->i32();
    }
    case B::Brev: {
      // brev(x): x with its bits reversed, as CUDA's __brev/__brevll: any integer, the same type
      // (an untyped literal takes the context's integer type, else i64).
      if (!arg_count(1, 1)) return types_->error();
      const Type* t = CheckValue(e->args[0], expected && expected->IsInt() ? expected : nullptr);
      if (t->IsError()) return t;
      if (!t->IsInt()) {
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "an integer", ToString(t)});
        return types_->error();
      }
      return t;
    }
    default:
      break;
  }
  // Math: one or two floating-point arguments of the same type; f64 unless the context
  // or a typed argument says f32.
  bool two = b == B::Pow || b == B::Fmin || b == B::Fmax;
  if (!arg_count(two ? 2 : 1, two ? 2 : 1)) return types_->error();
  const Type* hint = expected && expected->IsFloat() ? expected : nullptr;
  for (ast::Expr* a : e->args) {
    const Type* t = CheckExpr(a, hint);
    if (!hint && t->IsFloat()) hint = t;
  }
  for (ast::Expr* a : e->args)
    if (a->type->IsTensor()) return CheckTensorMath(e, b, name);
  for (ast::Expr* a : e->args)
    if (a->type->IsVector()) return CheckVecMath(e, b, name);
  const Type* ft = hint ? hint : types_->f64();
  bool ok = true;
  for (ast::Expr* a : e->args) {
    if (a->type->IsError()) {
      ok = false;
      continue;
    }
    if (a->type->kind == TypeKind::UntypedInt || a->type->kind == TypeKind::UntypedFloat) {
      SetUntypedType(a, ft);
    } else if (a->type != ft) {
      Error(diag::Kind::BuiltinArg, a->range, {name, "`" + ToString(ft) + "`", ToString(Finalize(a))});
      ok = false;
    }
  }
  return ok ? ft : types_->error();
}

}  // namespace fusion::sema
