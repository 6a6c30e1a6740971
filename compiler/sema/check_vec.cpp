// SIMD vectors, vec<T, N>: the type, operators, conversions, element access, methods and math
// (docs/language.md, "SIMD vectors"; lowered by lower/lower_vec.cpp).
#include "sema/checker.h"

namespace fusion::sema {

namespace {
auto IsLaneCount(int64_t n) -> bool { return n >= 2 && n <= 64 && (n & (n - 1)) == 0; }
}  // namespace

// vec<T, N>: T an integer or float type; N a constant power of two from 2 to 64.
auto Checker::ResolveVecType(ast::NamedType* n) -> const Type* {
  if (n->args.size() != 1 || !n->lanes) return types_->error();  // the parser reported it
  const Type* elem = ResolveType(n->args[0]);
  bool ok = !elem->IsError();
  if (ok && !(elem->IsInt() || elem->IsFloat())) {
    Error(diag::Kind::VecElem, n->args[0]->range, {ToString(elem)});
    ok = false;
  }
  CheckExpr(n->lanes, types_->i64());
  const Type* lt = n->lanes->type;
  if (lt->IsUntyped()) SetUntypedType(n->lanes, types_->i64()), lt = types_->i64();
  int64_t lanes = 0;
  if (lt->IsError()) return types_->error();
  if (!lt->IsInt()) {
    Error(diag::Kind::ArraySizeNotConst, n->lanes->range);
    return types_->error();
  }
  if (!EvalInt(n->lanes, lt, n->lanes->range, lanes)) return types_->error();
  if (!IsLaneCount(lanes)) {
    Error(diag::Kind::VecLanes, n->lanes->range, {std::to_string(lanes)});
    return types_->error();
  }
  return ok ? types_->Vector(elem, static_cast<uint64_t>(lanes)) : types_->error();
}

// One operand of a vector operation whose vector type is `vt`: `vt` itself, or a scalar of its
// element type (an untyped literal takes it), which is splat across the lanes.
auto Checker::VecOperand(ast::Expr* e, const Type* vt) -> bool {
  const Type* t = e->type;
  if (t->IsError()) return false;
  if (t == vt || t == vt->elem) return true;
  if (t->kind == TypeKind::UntypedInt || t->kind == TypeKind::UntypedFloat) return Coerce(e, vt->elem);
  return false;
}

auto Checker::CheckVecBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type* {
  using lex::TokenKind;
  const Type* vt = lt->IsVector() ? lt : rt;
  const char* spelled = lex::Spelling(e->op);
  auto mismatch = [&]() {
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(Finalize(e->lhs)), ToString(Finalize(e->rhs))});
    return types_->error();
  };
  switch (e->op) {
    case TokenKind::EqEq:
    case TokenKind::NotEq:
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq:
      Error(diag::Kind::NotSupportedYet, e->op_range, {"comparing vectors (compare lanes: `a[i] < b[i]`)"});
      return types_->error();
    case TokenKind::Shl:
    case TokenKind::Shr:
      // The amount: a vector of the same type (lane by lane) or any integer (every lane).
      if (!lt->IsVector() || !lt->elem->IsInt()) return mismatch();
      if (rt != lt && !rt->IsInt()) return mismatch();
      return lt;
    case TokenKind::Amp:
    case TokenKind::Pipe:
    case TokenKind::Caret:
      if (!vt->elem->IsInt()) return mismatch();
      break;
    case TokenKind::Plus:
    case TokenKind::Minus:
    case TokenKind::Star:
    case TokenKind::Slash:
    case TokenKind::Percent:
      break;
    default:
      return mismatch();
  }
  if ((lt->IsVector() && lt != vt) || (rt->IsVector() && rt != vt)) return mismatch();
  if (!VecOperand(e->lhs, vt) || !VecOperand(e->rhs, vt)) return mismatch();
  return vt;
}

auto Checker::CheckVecUnary(ast::Unary* e, const Type* t) -> const Type* {
  if (e->op == lex::TokenKind::Minus && t->elem->IsInt() && !t->elem->is_signed) {
    Error(diag::Kind::NegateUnsigned, e->range, {ToString(t)});
    return types_->error();
  }
  if (e->op == lex::TokenKind::Minus || (e->op == lex::TokenKind::Tilde && t->elem->IsInt())) return t;
  Error(diag::Kind::UnaryType, e->range, {lex::Spelling(e->op), ToString(t)});
  return types_->error();
}

// `x as vec<T, N>` splats a scalar; `[T; N]` and `vec<T, N>` convert both ways; `vec<U, N> as
// vec<T, N>` converts each lane as `as` converts a scalar.
auto Checker::CheckVecCast(ast::Cast* e, const Type* to) -> const Type* {
  const Type* from = e->expr->type;
  if (!from) {
    bool array_lit = e->expr->kind == ast::NodeKind::ArrayLit || e->expr->kind == ast::NodeKind::ArrayRepeat;
    from = CheckExpr(e->expr, array_lit ? types_->Array(to->elem, to->count) : to->elem);
  }
  if (from->IsError()) return from;
  if (to->IsVector()) {
    if (from->kind == TypeKind::UntypedInt || from->kind == TypeKind::UntypedFloat)
      return Coerce(e->expr, to->elem) ? to : types_->error();
    if (from == to->elem || from == to) return to;
    if (from->kind == TypeKind::Array && from->elem == to->elem && from->count == to->count) return to;
    if (from->IsVector() && from->count == to->count) return to;
  } else if (from->IsVector() && to->kind == TypeKind::Array && to->elem == from->elem && to->count == from->count) {
    return to;
  }
  Error(diag::Kind::InvalidCast, e->range, {ToString(Finalize(e->expr)), ToString(to)});
  return types_->error();
}

// v.sum(), v.min(), v.max(): the lanes reduced; a.min(b), a.max(b): lane by lane; a.fma(b, c):
// a * b + c rounded once; v.shuffle(i, …) and a.shuffle(b, i, …): lanes picked by constant indices.
auto Checker::CheckVecMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type* {
  const std::string& m = callee->name;
  std::string name = "." + m;
  e->self = callee->base;
  callee->type = types_->void_type();
  auto operands = [&](size_t from) {
    bool ok = true;
    for (size_t i = from; i < e->args.size(); i++) {
      CheckExpr(e->args[i], self->elem);
      if (!VecOperand(e->args[i], self)) {
        if (!e->args[i]->type->IsError())
          Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, "`" + ToString(self) + "` or `" + ToString(self->elem) + "`", ToString(Finalize(e->args[i]))});
        ok = false;
      }
    }
    return ok;
  };
  if (m == "sum" || m == "min" || m == "max") {
    e->builtin = m == "sum" ? ast::Builtin::VecSum : m == "min" ? ast::Builtin::VecMin : ast::Builtin::VecMax;
    if (!BuiltinArgCount(e, name, 0, m == "sum" ? 0 : 1)) return types_->error();
    if (!operands(0)) return types_->error();
    return e->args.empty() ? self->elem : self;
  }
  if (m == "fma") {
    e->builtin = ast::Builtin::VecFma;
    if (!BuiltinArgCount(e, name, 2, 2)) return types_->error();
    if (!self->elem->IsFloat()) {
      Error(diag::Kind::NoTensorMethod, callee->name_range, {ToString(self), m, "; `fma` is for float vectors"});
      for (ast::Expr* a : e->args) CheckValue(a);
      return types_->error();
    }
    return operands(0) ? self : types_->error();
  }
  if (m == "shuffle") {
    e->builtin = ast::Builtin::VecShuffle;
    size_t first = 0;
    if (!e->args.empty()) {
      const Type* t = CheckExpr(e->args[0]);
      if (t->IsVector()) {
        first = 1;
        if (t != self) {
          Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "`" + ToString(self) + "` or a lane index", ToString(t)});
          return types_->error();
        }
      }
    }
    int64_t count = static_cast<int64_t>(e->args.size() - first);
    int64_t sources = static_cast<int64_t>(first + 1) * static_cast<int64_t>(self->count);
    bool ok = true;
    for (size_t i = first; i < e->args.size(); i++) {
      const Type* t = CheckValue(e->args[i], types_->i64());
      int64_t lane = 0;
      if (t->IsError()) {
        ok = false;
      } else if (!t->IsInt()) {
        Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, "a constant lane index", ToString(t)});
        ok = false;
      } else if (!EvalInt(e->args[i], t, e->args[i]->range, lane)) {
        ok = false;
      } else if (lane < 0 || lane >= sources) {
        Error(diag::Kind::VecShuffleIndex, e->args[i]->range, {std::to_string(lane), std::to_string(sources - 1)});
        ok = false;
      } else {
        e->vec_lanes.push_back(static_cast<int32_t>(lane));
      }
    }
    if (!IsLaneCount(count)) {
      Error(diag::Kind::VecShuffleCount, callee->name_range, {std::to_string(count)});
      return types_->error();
    }
    return ok ? types_->Vector(self->elem, static_cast<uint64_t>(count)) : types_->error();
  }
  for (ast::Expr* a : e->args) CheckValue(a);
  Error(diag::Kind::NoTensorMethod, callee->name_range, {ToString(self), m, "; a vector has `sum`, `min`, `max`, `fma` and `shuffle`"});
  return types_->error();
}

// sqrt, fabs, floor, ceil, fmin and fmax lane by lane on float vectors (what the CPU has one
// instruction for; the others stay scalar: `exp(v[i])`).
auto Checker::CheckVecMath(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type* {
  using B = ast::Builtin;
  const Type* vt = nullptr;
  for (ast::Expr* a : e->args)
    if (a->type->IsVector()) vt = vt ? vt : a->type;
  bool supported = b == B::Sqrt || b == B::Fabs || b == B::Floor || b == B::Ceil || b == B::Fmin || b == B::Fmax;
  if (!supported || !vt->elem->IsFloat()) {
    Error(diag::Kind::BuiltinArg, e->range, {name, supported ? "float vectors" : "scalars (of vectors, only `sqrt`, `fabs`, `floor`, `ceil`, `fmin` and `fmax` take them)", ToString(vt)});
    return types_->error();
  }
  for (ast::Expr* a : e->args) {
    if (VecOperand(a, vt)) continue;
    if (!a->type->IsError()) Error(diag::Kind::BuiltinArg, a->range, {name, "`" + ToString(vt) + "`", ToString(Finalize(a))});
    return types_->error();
  }
  return vt;
}

}  // namespace fusion::sema
