// Tensors (docs/tensors.md): the tensor<T> type, operators and math on tensors, `tensor.*`
// functions and tensor methods. Every operation here is checked only; what runs is decided by the
// fusion pass (compiler/fuse/), which turns elementwise chains and reductions into kernels.
#include "base/check.h"
#include "sema/checker.h"

namespace fusion::sema {

namespace {

using B = ast::Builtin;

struct TensorApiName {
  const char* name;
  B kind;
  bool method;
};
constexpr TensorApiName kTensorApi[] = {
#define TENSOR_FN(name, kind, generic) {#name, B::kind, false},
#define TENSOR_METHOD(name, kind) {#name, B::kind, true},
#include "base/tensor_api.def"
};

auto FindTensorApi(const std::string& name, bool method) -> const TensorApiName* {
  for (const TensorApiName& f : kTensorApi)
    if (f.method == method && name == f.name) return &f;
  return nullptr;
}

// "; did you mean `tensor.zeros`?" for a near miss, else a pointer to the docs.
auto TensorHint(const std::string& name, bool method) -> std::string {
  std::string hint = "; see docs/tensors.md";
  size_t best = 3;
  for (const TensorApiName& f : kTensorApi) {
    if (f.method != method) continue;
    size_t d = Distance(name, f.name);
    if (d < best) best = d, hint = std::string("; did you mean `") + (method ? "." : "tensor.") + f.name + "`?";
  }
  return hint;
}

}  // namespace

auto Checker::IsTensorElem(const Type* t) const -> bool {
  return t == types_->f32() || t == types_->f64() || t == types_->f16() || t == types_->bf16() || t == types_->i32() ||
         t == types_->i64() || t == types_->bool_type();
}

auto Checker::ResolveTensorType(ast::NamedType* n) -> const Type* {
  if (n->args.size() != 1) {
    Error(diag::Kind::TensorNeedsElem, n->range);
    return types_->error();
  }
  const Type* elem = ResolveType(n->args[0]);
  if (elem->IsError()) return elem;
  if (!IsTensorElem(elem)) {
    Error(diag::Kind::TensorElemType, n->args[0]->range, {ToString(elem)});
    return types_->error();
  }
  return types_->Tensor(elem);
}

// A tensor operation in device code is an error (once per expression).
auto Checker::TensorHostOnly(ast::Expr* e, const std::string& what) -> bool {
  if (!InDevice()) return true;
  Error(diag::Kind::TensorInDevice, e->range, {DeviceWhat(), fn_ ? fn_->name : what});
  return false;
}

// An operand of an elementwise operation whose elements are `elem`: a tensor<elem>, or a scalar
// (an untyped literal takes `elem`). Reports a mismatch under operator `op`.
auto Checker::TensorOperand(ast::Expr* e, const Type* elem, const std::string& op, const Type* other) -> bool {
  const Type* t = e->type;
  if (t->IsError()) return false;
  if (t->IsTensor() ? t->elem == elem : t == elem) return true;
  if (t->kind == TypeKind::UntypedInt || t->kind == TypeKind::UntypedFloat) {
    if (elem->kind == TypeKind::Bool) {
      Error(diag::Kind::BinaryTypes, e->range, {op, ToString(Finalize(e)), ToString(other)});
      return false;
    }
    return Coerce(e, elem);
  }
  Error(diag::Kind::BinaryTypes, e->range, {op, ToString(t), ToString(other)});
  return false;
}

// The element type of an elementwise operation's operands: the first tensor's, else the first
// typed scalar's.
static auto ElemOf(const std::vector<ast::Expr*>& operands) -> const Type* {
  for (ast::Expr* o : operands)
    if (o->type && o->type->IsTensor()) return o->type->elem;
  return nullptr;
}

auto Checker::CheckTensorBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type* {
  if (!TensorHostOnly(e, "")) return types_->error();
  const std::string op = lex::Spelling(e->op);
  const Type* elem = ElemOf({e->lhs, e->rhs});
  const Type* tensor = lt->IsTensor() ? lt : rt;
  // Typed operands of other elements (`tensor<f32> + tensor<f64>`, `tensor<f32> + x_f64`): one
  // error at the operator, naming the operands in order, as for scalars.
  for (const Type* t : {lt, rt}) {
    if (t->IsError()) return types_->error();
    bool untyped = t->kind == TypeKind::UntypedInt || t->kind == TypeKind::UntypedFloat;
    if (!untyped && (t->IsTensor() ? t->elem != elem : t != elem)) {
      Error(diag::Kind::BinaryTypes, e->op_range, {op, ToString(lt), ToString(rt)});
      return types_->error();
    }
  }
  if (!TensorOperand(e->lhs, elem, op, tensor) || !TensorOperand(e->rhs, elem, op, tensor)) return types_->error();
  bool is_bool = elem->kind == TypeKind::Bool;
  if (ArithmeticAccepts(e->op, elem)) return types_->Tensor(elem);
  switch (e->op) {
    case TokenKind::EqEq:
    case TokenKind::NotEq:
      return types_->Tensor(types_->bool_type());
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq:
      if (is_bool) break;
      return types_->Tensor(types_->bool_type());
    default:
      break;
  }
  Error(diag::Kind::BinaryTypes, e->op_range, {op, ToString(e->lhs->type), ToString(e->rhs->type)});
  return types_->error();
}

auto Checker::CheckTensorUnary(ast::Unary* e, const Type* t) -> const Type* {
  if (!TensorHostOnly(e, "")) return types_->error();
  if (e->op == TokenKind::Minus && t->elem->IsNumeric()) return t;
  if (e->op == TokenKind::Bang && t->elem->kind == TypeKind::Bool) return t;
  if (e->op == TokenKind::Amp || e->op == TokenKind::Star) {
    Error(diag::Kind::CountedPlacement, e->range, {"tensor", "behind a pointer"});
    return types_->error();
  }
  Error(diag::Kind::UnaryType, e->range, {lex::Spelling(e->op), ToString(t)});
  return types_->error();
}

// sqrt(t), exp(t), pow(t, 2.0), fmin(a, b), … elementwise on tensors; the arguments are checked.
auto Checker::CheckTensorMath(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type* {
  if (!TensorHostOnly(e, name)) return types_->error();
  const Type* elem = ElemOf(e->args);
  const Type* tensor = types_->Tensor(elem);
  for (ast::Expr* a : e->args)
    if (!TensorOperand(a, elem, name, tensor)) return types_->error();
  bool any_numeric = b == B::Fmin || b == B::Fmax;
  if (any_numeric ? !elem->IsNumeric() : !elem->IsFloat()) {
    Error(diag::Kind::TensorOpElem, e->range, {name, any_numeric ? "a numeric tensor" : "a floating-point tensor", ToString(tensor)});
    return types_->error();
  }
  return tensor;
}

// The dimensions of a shape argument list: integers (untyped literals are i64).
auto Checker::CheckTensorDims(ast::Call* e, size_t first, const std::string& name) -> bool {
  bool ok = true;
  for (size_t i = first; i < e->args.size(); i++) {
    const Type* t = CheckExpr(e->args[i], types_->i64());
    if (t->IsUntyped()) t = Finalize(e->args[i]);
    if (t->IsError()) {
      ok = false;
    } else if (!t->IsInt()) {
      Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, "integer sizes", ToString(t)});
      ok = false;
    }
  }
  if (e->args.size() - first > 8) {
    Error(diag::Kind::BuiltinArg, e->args[first + 8]->range, {name, "at most 8 dimensions", "a 9th"});
    ok = false;
  }
  return ok;
}

// The element type of a nested array literal's innermost elements, and its expected type when
// the elements are to be `elem`: [[elem; m]; n] for [[…], […]].
static auto ArrayLitShape(const ast::Expr* e, std::vector<uint64_t>& dims) -> void {
  if (auto* a = As<ast::ArrayLit>(e)) {
    dims.push_back(a->elems.size());
    if (!a->elems.empty()) ArrayLitShape(a->elems[0], dims);
  }
}

auto Checker::CheckTensorCall(ast::Call* e, ast::Field* callee) -> const Type* {
  callee->type = types_->void_type();
  callee->base->type = types_->void_type();
  std::string name = "tensor." + callee->name;
  const TensorApiName* api = FindTensorApi(callee->name, false);
  if (!api) {
    Error(diag::Kind::NoTensorFunction, callee->name_range, {callee->name, TensorHint(callee->name, false)});
    CheckArgsAlone(e);
    return types_->error();
  }
  e->builtin = api->kind;
  if (!TensorHostOnly(e, name)) {
    CheckArgsAlone(e);
    return types_->error();
  }
  for (ast::NamedArg& a : e->named_args) {
    // tensor.from_ptr(p, …, keep: x): x, any counted value, lives as long as the tensor.
    if (api->kind == B::TensorFromPtr && a.name == "keep" && !e->keep) {
      const Type* kt = CheckValue(a.value);
      if (!kt->IsError() && !kt->IsCounted())
        Error(diag::Kind::BuiltinArg, a.value->range,
              {name, "for `keep:` a value that owns the memory (a tensor, string, file or handle)", ToString(kt)});
      e->keep = a.value;
      continue;
    }
    Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name + "`"});
  }
  bool generic = false;
#define TENSOR_FN(n, fn_kind, is_generic) \
  if (api->kind == B::fn_kind) generic = is_generic;
#include "base/tensor_api.def"
  const Type* elem = nullptr;
  if (!e->type_args.empty()) {
    if (!generic && api->kind != B::TensorFromArray) {
      Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
    } else {
      elem = ResolveType(e->type_args[0]);
      if (elem->IsError()) {
        CheckArgsAlone(e);
        return types_->error();
      }
      if (!IsTensorElem(elem)) {
        Error(diag::Kind::TensorElemType, e->type_args[0]->range, {ToString(elem)});
        CheckArgsAlone(e);
        return types_->error();
      }
    }
  } else if (generic) {
    Error(diag::Kind::GenericArgs, e->range, {name, "the element type: `" + name + "<f32>(…)`"});
    CheckArgsAlone(e);
    return types_->error();
  }
  auto count = [&](size_t lo, size_t hi) { return BuiltinArgCount(e, name, lo, hi); };
  auto scalar_arg = [&](size_t i, const Type* t, const char* what) {
    const Type* at = CheckExpr(e->args[i], t);
    if (at->IsError()) return false;
    if (at->IsUntyped() && at->kind != TypeKind::Null) return Coerce(e->args[i], t);
    if (at != t) {
      Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, what, ToString(at)});
      return false;
    }
    return true;
  };
  const Type* result = elem ? types_->Tensor(elem) : nullptr;
  switch (api->kind) {
    case B::TensorZeros:
    case B::TensorOnes:
      if (!count(1, 8)) return types_->error();
      return CheckTensorDims(e, 0, name) ? result : types_->error();
    case B::TensorFull:
      if (!count(2, 9)) return types_->error();
      if (!scalar_arg(0, elem, "the fill value first")) return types_->error();
      return CheckTensorDims(e, 1, name) ? result : types_->error();
    case B::TensorRand:
      if (!elem->IsFloat()) {
        Error(diag::Kind::TensorOpElem, e->type_args[0]->range, {name, "a floating-point element type", ToString(elem)});
        return types_->error();
      }
      if (!count(2, 9)) return types_->error();
      if (!scalar_arg(0, types_->u64(), "a `u64` seed first")) return types_->error();
      return CheckTensorDims(e, 1, name) ? result : types_->error();
    case B::TensorArange: {
      if (elem->kind == TypeKind::Bool) {
        Error(diag::Kind::TensorOpElem, e->type_args[0]->range, {name, "a numeric element type", ToString(elem)});
        return types_->error();
      }
      if (!count(1, 3)) return types_->error();
      // Bounds and step of any number type (`tensor.arange<f64>(n)` with an i64 n); an untyped
      // literal takes the element type, or f64 for f16 and bf16 (`tensor.arange<bf16>(257)` has
      // 257 elements, though 257 is no bf16).
      bool ok = true;
      const Type* bound = elem->IsHalf() ? types_->f64() : elem;
      for (size_t i = 0; i < e->args.size(); i++) {
        const Type* at = CheckExpr(e->args[i], bound);
        if (at->IsUntyped() && at->kind != TypeKind::Null) ok = Coerce(e->args[i], bound) && ok;
        else if (!at->IsError() && !at->IsNumeric())
          Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, "numbers", ToString(at)}), ok = false;
        else if (at->IsError()) ok = false;
      }
      return ok ? result : types_->error();
    }
    case B::TensorFromHost: {
      if (!count(2, 9)) return types_->error();
      RequireUnsafe(e->range, "reading host memory through a pointer (`tensor.from_host`)");
      if (!scalar_arg(0, types_->Pointer(elem), "a pointer to the elements first")) return types_->error();
      return CheckTensorDims(e, 1, name) ? result : types_->error();
    }
    case B::TensorFromPtr: {
      if (!count(2, 9)) return types_->error();
      RequireUnsafe(e->range, "viewing memory through a pointer (`tensor.from_ptr`)");
      if (!scalar_arg(0, types_->Pointer(elem), "a pointer to the elements first")) return types_->error();
      return CheckTensorDims(e, 1, name) ? result : types_->error();
    }
    case B::TensorFromArray: {
      if (!count(1, 1)) return types_->error();
      const Type* expected = nullptr;
      if (elem) {
        std::vector<uint64_t> dims;
        ArrayLitShape(e->args[0], dims);
        expected = elem;
        for (auto it = dims.rbegin(); it != dims.rend(); ++it) expected = types_->Array(expected, *it);
      }
      const Type* t = CheckValue(e->args[0], expected);
      if (t->IsError()) return t;
      const Type* leaf = t;
      int rank = 0;
      while (leaf->kind == TypeKind::Array) leaf = leaf->elem, rank++;
      if (rank == 0 || rank > 8 || !IsTensorElem(leaf) || (elem && leaf != elem)) {
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, elem ? "an array of `" + ToString(elem) + "`" : "an array of numbers or bools (up to 8 levels)", ToString(t)});
        return types_->error();
      }
      return types_->Tensor(leaf);
    }
    case B::TensorWhere: {
      if (!count(3, 3)) return types_->error();
      const Type* ct = CheckValue(e->args[0]);
      if (ct->IsError()) return ct;
      if (!ct->IsTensor() || ct->elem->kind != TypeKind::Bool) {
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a `tensor<bool>` condition first", ToString(ct)});
        return types_->error();
      }
      const Type* at = CheckExpr(e->args[1]);
      const Type* bt = CheckExpr(e->args[2], at->IsTensor() ? at : nullptr);
      if (at->IsError() || bt->IsError()) return types_->error();
      const Type* el = ElemOf({e->args[1], e->args[2]});
      if (!el) {
        el = at->IsUntyped() ? Finalize(e->args[1]) : at;
        if (!IsTensorElem(el)) {
          Error(diag::Kind::BuiltinArg, e->args[1]->range, {name, "tensor or scalar values", ToString(el)});
          return types_->error();
        }
      }
      const Type* tt = types_->Tensor(el);
      if (!TensorOperand(e->args[1], el, name, tt) || !TensorOperand(e->args[2], el, name, tt)) return types_->error();
      return tt;
    }
    case B::TensorRelu:
    case B::TensorSigmoid: {
      if (!count(1, 1)) return types_->error();
      const Type* t = CheckValue(e->args[0]);
      if (t->IsError()) return t;
      bool ok = t->IsTensor() && (api->kind == B::TensorRelu ? t->elem->IsNumeric() : t->elem->IsFloat());
      if (!ok) {
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, api->kind == B::TensorRelu ? "a numeric tensor" : "a floating-point tensor", ToString(t)});
        return types_->error();
      }
      return t;
    }
    case B::TensorMatmul: {
      if (!count(2, 2)) return types_->error();
      return CheckMatmulOperands(e, e->args[0], e->args[1], name);
    }
    case B::TensorMap:
      return CheckTensorMap(e, name);
    default:
      break;
  }
  FUSION_UNREACHABLE("tensor function " << name);
}

auto Checker::CheckMatmulOperands(ast::Call* e, ast::Expr* a, ast::Expr* b, const std::string& name) -> const Type* {
  const Type* at = a->type ? a->type : CheckValue(a);
  const Type* bt = CheckValue(b);
  if (at->IsError() || bt->IsError()) return types_->error();
  for (auto [x, t] : {std::pair{a, at}, std::pair{b, bt}}) {
    if (!t->IsTensor() || !t->elem->IsFloat()) {
      Error(diag::Kind::BuiltinArg, x->range, {name, "floating-point tensors", ToString(t)});
      return types_->error();
    }
  }
  if (at != bt) {
    Error(diag::Kind::BinaryTypes, e->range, {name, ToString(at), ToString(bt)});
    return types_->error();
  }
  return at;
}

// tensor.map(f, a, b, …): a @device function of scalars applied elementwise.
auto Checker::CheckTensorMap(ast::Call* e, const std::string& name) -> const Type* {
  if (e->args.size() < 2) {
    BuiltinArgCount(e, name, 2, 2 + RtTensorMaxInputs);
    return types_->error();
  }
  auto* fname = As<ast::Name>(e->args[0]);
  auto* fn = fname ? As<ast::FnDecl>(Lookup(fname->name)) : nullptr;
  if (!fn || !fn->is_device) {
    for (size_t i = 1; i < e->args.size(); i++) CheckValue(e->args[i]);
    Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "the name of a `@device` function first", fname ? fname->name : "an expression"});
    return types_->error();
  }
  fname->decl = fn;
  fname->type = types_->void_type();
  size_t n = e->args.size() - 1;
  if (fn->params.size() != n) {
    for (size_t i = 1; i < e->args.size(); i++) CheckValue(e->args[i]);
    Error(diag::Kind::ArgCount, e->range, {fn->name, std::to_string(fn->params.size()), fn->params.size() == 1 ? "" : "s", std::to_string(n), n == 1 ? "was" : "were"});
    Note(diag::Kind::NoteDeclaredHere, fn->name_range, {fn->name});
    return types_->error();
  }
  bool ok = true, any_tensor = false;
  for (size_t i = 0; i < n; i++) {
    ast::Expr* a = e->args[i + 1];
    const Type* pt = fn->params[i]->type;
    const Type* t = CheckExpr(a, pt);
    if (t->IsError()) {
      ok = false;
      continue;
    }
    if (t->IsTensor()) {
      any_tensor = true;
      if (t->elem == pt) continue;
    } else if (t->IsUntyped() ? Coerce(a, pt) : t == pt) {
      continue;
    }
    Error(diag::Kind::BuiltinArg, a->range, {name, "a tensor of `" + ToString(pt) + "` or a `" + ToString(pt) + "` for parameter `" + fn->params[i]->name + "`", ToString(t)});
    ok = false;
  }
  if (!ok) return types_->error();
  if (!any_tensor) {
    Error(diag::Kind::BuiltinArg, e->range, {name, "at least one tensor argument", "scalars only"});
    return types_->error();
  }
  if (!IsTensorElem(fn->ret_type)) {
    Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a function returning `f32`, `f64`, `f16`, `bf16`, `i32`, `i64` or `bool`", ToString(fn->ret_type)});
    return types_->error();
  }
  return types_->Tensor(fn->ret_type);
}

auto Checker::CheckTensorMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type* {
  callee->type = types_->void_type();
  e->self = callee->base;
  std::string name = "." + callee->name;
  const TensorApiName* api = FindTensorApi(callee->name, true);
  if (!api) {
    Error(diag::Kind::NoTensorMethod, callee->name_range, {ToString(self), callee->name, TensorHint(callee->name, true)});
    CheckArgsAlone(e);
    return types_->error();
  }
  e->builtin = api->kind;
  if (!TensorHostOnly(e, name)) {
    CheckArgsAlone(e);
    return types_->error();
  }
  if (!e->type_args.empty()) Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
  const Type* elem = self->elem;
  bool reduction = api->kind == B::TensorSum || api->kind == B::TensorMean || api->kind == B::TensorMax ||
                   api->kind == B::TensorMin || api->kind == B::TensorArgmax || api->kind == B::TensorArgmin;
  for (ast::NamedArg& a : e->named_args) {
    if (!reduction || a.name != "keepdim") {
      Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name + "`"});
      CheckValue(a.value);
      continue;
    }
    CheckExpr(a.value, types_->bool_type());
    auto* lit = As<ast::BoolLit>(a.value);
    if (!lit) Error(diag::Kind::TensorArgNotConst, a.value->range, {"keepdim", "`true` or `false`"});
  }
  auto count = [&](size_t lo, size_t hi) { return BuiltinArgCount(e, name, lo, hi); };
  auto int_args = [&](size_t from) {
    bool ok = true;
    for (size_t i = from; i < e->args.size(); i++) {
      const Type* t = CheckExpr(e->args[i], types_->i64());
      if (t->IsUntyped()) t = Finalize(e->args[i]);
      if (t->IsError()) ok = false;
      else if (!t->IsInt()) Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, "an integer", ToString(t)}), ok = false;
    }
    return ok;
  };
  auto need = [&](bool ok, const char* what) {
    if (!ok) Error(diag::Kind::TensorOpElem, callee->name_range, {name, what, ToString(self)});
    return ok;
  };
  switch (api->kind) {
    case B::TensorRankOf:
    case B::TensorNumel:
      count(0, 0);
      return types_->i64();
    case B::TensorDim:
      if (count(1, 1)) int_args(0);
      return types_->i64();
    case B::TensorItem:
      count(0, 0);
      return elem;
    case B::TensorDataPtr:
      // The device memory of the first element, for C calls (cuBLAS, NCCL): valid while the tensor
      // lives; its elements are at the tensor's strides.
      count(0, 0);
      return types_->Pointer(elem);
    case B::TensorToHost: {
      if (!count(1, 1)) return types_->void_type();
      RequireUnsafe(e->range, "writing host memory through a pointer (`.to_host`)");
      const Type* t = CheckValue(e->args[0], types_->Pointer(elem));
      if (!t->IsError() && t != types_->Pointer(elem))
        Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a `" + ToString(types_->Pointer(elem)) + "`", ToString(t)});
      return types_->void_type();
    }
    case B::TensorReshape:
      if (!count(1, 8) || !int_args(0)) return types_->error();
      return self;
    case B::TensorTranspose:
      if (e->args.size() != 0 && !count(2, 2)) return types_->error();
      return int_args(0) ? self : types_->error();
    case B::TensorSlice:
      if (!count(3, 3) || !int_args(0)) return types_->error();
      return self;
    case B::TensorContiguous:
    case B::TensorClone:
      count(0, 0);
      return self;
    case B::TensorSum:
    case B::TensorMax:
    case B::TensorMin:
      if (!count(0, 1) || !int_args(0)) return types_->error();
      if (!need(elem->IsNumeric(), "a numeric tensor")) return types_->error();
      return self;
    case B::TensorMean:
      if (!count(0, 1) || !int_args(0)) return types_->error();
      if (!need(elem->IsFloat(), "a floating-point tensor")) return types_->error();
      return self;
    case B::TensorArgmax:
    case B::TensorArgmin:
      if (!count(0, 1) || !int_args(0)) return types_->error();
      if (!need(elem->IsNumeric(), "a numeric tensor")) return types_->error();
      return types_->Tensor(types_->i64());
    case B::TensorSoftmax:
      if (!count(1, 1) || !int_args(0)) return types_->error();
      if (!need(elem->IsFloat(), "a floating-point tensor")) return types_->error();
      return self;
    case B::TensorMatmulMethod:
      if (!count(1, 1)) return types_->error();
      return CheckMatmulOperands(e, callee->base, e->args[0], name);
    default:
      break;
  }
  FUSION_UNREACHABLE("tensor method " << name);
}

// t[i, j]: one element, by a full index (checked against the rank when it runs).
auto Checker::CheckTensorIndex(ast::Index* e, const Type* bt) -> const Type* {
  if (!TensorHostOnly(e, "")) return types_->error();
  bool ok = true;
  for (ast::Expr* i : e->more) {
    const Type* t = CheckExpr(i, types_->i64());
    if (t->IsUntyped()) t = Finalize(i);
    if (t->IsError()) ok = false;
    else if (!t->IsInt()) Error(diag::Kind::IndexNotInteger, i->range, {ToString(t)}), ok = false;
  }
  if (e->more.size() >= 8) {
    Error(diag::Kind::BuiltinArg, e->more[7]->range, {"tensor indexing", "at most 8 indices", "a 9th"});
    ok = false;
  }
  return ok ? bt->elem : types_->error();
}

// `t = u`, `t += u` (in place: the tensor's memory changes, and every view of it sees the change).
void Checker::CheckTensorAssign(ast::Assign* a, const Type* tt) {
  if (a->op == TokenKind::Eq) {
    CheckExpr(a->value, tt);
    Coerce(a->value, tt);
    return;
  }
  TokenKind op = lex::CompoundAssignBase(a->op);
  const Type* vt = CheckExpr(a->value, tt);
  if (vt->IsError()) return;
  std::string spelled = lex::Spelling(a->op);
  if (!TensorOperand(a->value, tt->elem, spelled, tt)) return;
  if (!ArithmeticAccepts(op, tt->elem)) Error(diag::Kind::BinaryTypes, a->range, {spelled, ToString(tt), ToString(a->value->type)});
}

}  // namespace fusion::sema
