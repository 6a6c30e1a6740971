// Tensor shapes known when the program is compiled (docs/tensors.md): a shape follows from
// constant sizes (`tensor.zeros<f32>(2, 3)`, `from_array`, a constant `reshape`) through the
// operations, and an immutable `let` keeps its initializer's. Where both shapes of an operation are
// known, what would end the program when it runs (shapes that do not broadcast, matmul's inner
// sizes, an axis or an index out of range, a reshape that changes the count) is a compile error
// instead, with the same words. Unknown shapes (parameters, `var`s, sizes computed at run time)
// are left to the runtime.
#include "sema/checker.h"

namespace fusion::sema {

namespace {

using B = ast::Builtin;

auto ShapeText(const TensorShape& s) -> std::string {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); i++) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

auto Numel(const TensorShape& s) -> int64_t {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

}  // namespace

auto Checker::StaticShape(const ast::Expr* e) const -> const TensorShape* {
  if (!e) return nullptr;
  if (auto* n = As<ast::Name>(e)) {
    auto* let = As<ast::Let>(n->decl);
    if (!let || let->is_var || !let->init) return nullptr;
    return StaticShape(let->init);
  }
  auto it = static_shapes_.find(e);
  return it == static_shapes_.end() ? nullptr : &it->second;
}

// A scalar operand of an elementwise operation has shape [] (it broadcasts to anything).
auto Checker::OperandShape(const ast::Expr* e, bool& known) const -> TensorShape {
  if (!e->type || !e->type->IsTensor()) return {};
  const TensorShape* s = StaticShape(e);
  if (!s) known = false;
  return s ? *s : TensorShape{};
}

auto Checker::ConstInt(const ast::Expr* e, int64_t& out) -> bool {
  if (!e || !e->type || !e->type->IsInt()) return false;
  std::optional<ConstValue> v = Eval(e);
  if (!v || v->kind != ConstValue::Kind::Int) return false;
  out = v->AsSigned();
  return true;
}

// NumPy's broadcasting of `operands` for operation `op` at `where`; false (reported) when they do
// not broadcast, or when a shape is not known (not reported).
auto Checker::BroadcastShapes(const std::vector<const ast::Expr*>& operands, const std::string& op, SourceRange where,
                              TensorShape& out) -> bool {
  bool known = true;
  std::vector<TensorShape> shapes;
  for (const ast::Expr* o : operands) shapes.push_back(OperandShape(o, known));
  if (!known) return false;
  out.clear();
  TensorShape acc;
  for (const TensorShape& s : shapes) {
    size_t rank = std::max(acc.size(), s.size());
    TensorShape next(rank);
    for (size_t i = 0; i < rank; i++) {
      int64_t a = i < rank - acc.size() ? 1 : acc[i - (rank - acc.size())];
      int64_t b = i < rank - s.size() ? 1 : s[i - (rank - s.size())];
      if (a != b && a != 1 && b != 1) {
        Error(diag::Kind::TensorShapes, where, {ShapeText(acc), ShapeText(s), op});
        return false;
      }
      next[i] = a == 1 ? b : a;
    }
    acc = next;
  }
  out = acc;
  return true;
}

// Normalises a constant axis of a tensor of rank `rank` (negative from the end); reports one out
// of range.
auto Checker::StaticAxis(const ast::Expr* axis, const TensorShape& s, const std::string& op, int64_t& out) -> bool {
  if (!ConstInt(axis, out)) return false;
  int64_t rank = static_cast<int64_t>(s.size());
  if (out < -rank || out >= rank) {
    Error(diag::Kind::TensorAxis, axis->range, {op, std::to_string(out), ShapeText(s)});
    return false;
  }
  if (out < 0) out += rank;
  return true;
}

void Checker::CheckStaticShape(ast::Expr* e) {
  TensorShape shape;
  bool known = false;
  if (auto* b = As<ast::Binary>(e); b && e->type->IsTensor()) {
    known = BroadcastShapes({b->lhs, b->rhs}, lex::Spelling(b->op), b->op_range, shape);
  } else if (auto* u = As<ast::Unary>(e); u && e->type->IsTensor()) {
    known = BroadcastShapes({u->operand}, lex::Spelling(u->op), e->range, shape);
  } else if (auto* c = As<ast::Cast>(e); c && e->type->IsTensor()) {
    known = BroadcastShapes({c->expr}, "as", e->range, shape);
  } else if (auto* i = As<ast::Index>(e); i && i->base->type && i->base->type->IsTensor()) {
    const TensorShape* s = StaticShape(i->base);
    if (!s) return;
    std::vector<const ast::Expr*> idx = {i->index};
    idx.insert(idx.end(), i->more.begin(), i->more.end());
    if (idx.size() != s->size()) {
      Error(diag::Kind::TensorIndexCount, e->range, {std::to_string(idx.size()) + (idx.size() == 1 ? " index" : " indices"), ShapeText(*s)});
      return;
    }
    for (size_t k = 0; k < idx.size(); k++) {
      int64_t v = 0;
      if (ConstInt(idx[k], v) && (v < -(*s)[k] || v >= (*s)[k]))
        Error(diag::Kind::TensorIndexRange, idx[k]->range, {std::to_string(v), std::to_string(k), ShapeText(*s)});
    }
    return;
  } else if (auto* call = As<ast::Call>(e); call && call->builtin != B::None) {
    known = CallShape(call, shape);
  }
  if (known) static_shapes_[e] = shape;
}

auto Checker::CallShape(ast::Call* c, TensorShape& shape) -> bool {
  auto dims_from = [&](size_t first) {
    shape.clear();
    for (size_t i = first; i < c->args.size(); i++) {
      int64_t v = 0;
      if (!ConstInt(c->args[i], v) || v < 0) return false;
      shape.push_back(v);
    }
    return true;
  };
  const TensorShape* self = c->self ? StaticShape(c->self) : nullptr;
  std::string name = c->self ? "." + As<ast::Field>(c->callee)->name : "";
  switch (c->builtin) {
    case B::TensorZeros:
    case B::TensorOnes:
      return dims_from(0);
    case B::TensorFull:
    case B::TensorRand:
    case B::TensorFromHost:
    case B::TensorFromPtr:
      return dims_from(1);
    case B::TensorFromArray: {
      shape.clear();
      for (const Type* t = c->args[0]->type; t && t->kind == TypeKind::Array; t = t->elem)
        shape.push_back(static_cast<int64_t>(t->count));
      return true;
    }
    case B::TensorWhere:
      return BroadcastShapes({c->args[0], c->args[1], c->args[2]}, "where", c->range, shape);
    case B::TensorRelu:
    case B::TensorSigmoid:
      return BroadcastShapes({c->args[0]}, "", c->range, shape);
    case B::TensorMap: {
      std::vector<const ast::Expr*> ops(c->args.begin() + 1, c->args.end());
      return BroadcastShapes(ops, "map", c->range, shape);
    }
    case B::TensorMatmul:
    case B::TensorMatmulMethod: {
      const ast::Expr* a = c->self ? c->self : c->args[0];
      const ast::Expr* b = c->self ? c->args[0] : c->args[1];
      const TensorShape* sa = StaticShape(a);
      const TensorShape* sb = StaticShape(b);
      if (!sa || !sb || sa->empty() || sb->empty() || sa->size() > 2 || sb->size() > 2) return false;
      int64_t ka = sa->back(), kb = sb->size() == 2 ? (*sb)[0] : (*sb)[0];
      if (ka != kb) {
        Error(diag::Kind::TensorMatmulShapes, c->range, {ShapeText(*sa), ShapeText(*sb)});
        return false;
      }
      shape.clear();
      if (sa->size() == 2) shape.push_back((*sa)[0]);
      if (sb->size() == 2) shape.push_back((*sb)[1]);
      return true;
    }
    case B::TensorDim: {
      int64_t axis = 0;
      if (self) StaticAxis(c->args[0], *self, name, axis);
      return false;
    }
    case B::TensorItem:
      if (self && Numel(*self) != 1) Error(diag::Kind::TensorItem, c->range, {ShapeText(*self)});
      return false;
    case B::TensorContiguous:
    case B::TensorClone:
      if (!self) return false;
      shape = *self;
      return true;
    case B::TensorReshape: {
      if (!self) return false;
      shape.clear();
      int infer = -1;
      int64_t known = 1;
      for (size_t i = 0; i < c->args.size(); i++) {
        int64_t v = 0;
        if (!ConstInt(c->args[i], v)) return false;
        if (v == -1 && infer < 0) infer = static_cast<int>(i);
        else if (v < 0) return false;  // the runtime reports it
        else known *= v;
        shape.push_back(v);
      }
      int64_t n = Numel(*self);
      if (infer >= 0 && known > 0 && n % known == 0) shape[infer] = n / known;
      if ((infer >= 0 && (known == 0 || n % known != 0)) || (infer < 0 && known != n)) {
        Error(diag::Kind::TensorReshape, c->range, {ShapeText(*self), std::to_string(n), ShapeText(shape)});
        return false;
      }
      return true;
    }
    case B::TensorTranspose: {
      if (!self || self->size() < 2) return false;
      int64_t a = static_cast<int64_t>(self->size()) - 2, b = a + 1;
      if (!c->args.empty() && (!StaticAxis(c->args[0], *self, name, a) || !StaticAxis(c->args[1], *self, name, b)))
        return false;
      shape = *self;
      std::swap(shape[a], shape[b]);
      return true;
    }
    case B::TensorSlice: {
      int64_t axis = 0, start = 0, stop = 0;
      if (!self || !StaticAxis(c->args[0], *self, name, axis) || !ConstInt(c->args[1], start) ||
          !ConstInt(c->args[2], stop))
        return false;
      int64_t n = (*self)[axis];
      auto clamp = [&](int64_t v) { return v < 0 ? std::max<int64_t>(v + n, 0) : std::min(v, n); };
      shape = *self;
      shape[axis] = std::max<int64_t>(clamp(stop) - clamp(start), 0);
      return true;
    }
    case B::TensorSum:
    case B::TensorMean:
    case B::TensorMax:
    case B::TensorMin:
    case B::TensorArgmax:
    case B::TensorArgmin:
    case B::TensorSoftmax: {
      if (!self) return false;
      bool keepdim = false;
      for (const ast::NamedArg& a : c->named_args)
        if (auto* lit = As<ast::BoolLit>(a.value); lit && a.name == "keepdim") keepdim = lit->value;
      if (c->args.empty()) {
        shape = keepdim ? TensorShape(self->size(), 1) : TensorShape{};
        return true;
      }
      int64_t axis = 0;
      if (!StaticAxis(c->args[0], *self, name, axis)) return false;
      shape = *self;
      if (c->builtin == B::TensorSoftmax) return true;
      if (keepdim) shape[axis] = 1;
      else shape.erase(shape.begin() + axis);
      return true;
    }
    default:
      if (c->type && c->type->IsTensor() && c->builtin >= B::Sqrt && c->builtin <= B::Fmax) {
        std::vector<const ast::Expr*> ops(c->args.begin(), c->args.end());
        return BroadcastShapes(ops, c->callee && As<ast::Name>(c->callee) ? As<ast::Name>(c->callee)->name : "", c->range,
                               shape);
      }
      return false;
  }
}

}  // namespace fusion::sema
