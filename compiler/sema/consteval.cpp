// Compile-time evaluation of checked expressions (consts, statics, array sizes, enum values).
#include <cmath>

#include "base/half.h"
#include "sema/checker.h"

namespace fusion::sema {

namespace {

// Wraps a 64-bit pattern to `t`'s width, sign- or zero-extending it back to 64 bits.
auto Wrap(uint64_t bits, const Type* t) -> uint64_t {
  if (!t || !t->IsInt() || t->bits == 64) return bits;
  uint64_t mask = (uint64_t(1) << t->bits) - 1;
  bits &= mask;
  if (t->is_signed && (bits >> (t->bits - 1)) & 1) bits |= ~mask;
  return bits;
}

auto MakeInt(uint64_t bits, const Type* t) -> ConstValue {
  ConstValue v;
  v.kind = ConstValue::Kind::Int;
  v.int_bits = Wrap(bits, t);
  return v;
}

auto MakeFloat(double d, const Type* t) -> ConstValue {
  ConstValue v;
  v.kind = ConstValue::Kind::Float;
  v.float_value = d;
  if (t && t->kind == TypeKind::Float && t->bits == 32) v.float_value = static_cast<float>(d);
  if (t && t->IsHalf()) v.float_value = t->is_bfloat ? RoundBF16(d) : RoundF16(d);
  return v;
}

auto MakeBool(bool b) -> ConstValue {
  ConstValue v;
  v.kind = ConstValue::Kind::Bool;
  v.bool_value = b;
  return v;
}

// A comparison of two values of one ordered type; nullopt when `op` is not a comparison.
template <typename T>
auto Compare(TokenKind op, T x, T y) -> std::optional<ConstValue> {
  switch (op) {
    case TokenKind::EqEq: return MakeBool(x == y);
    case TokenKind::NotEq: return MakeBool(x != y);
    case TokenKind::Less: return MakeBool(x < y);
    case TokenKind::LessEq: return MakeBool(x <= y);
    case TokenKind::Greater: return MakeBool(x > y);
    case TokenKind::GreaterEq: return MakeBool(x >= y);
    default: return std::nullopt;
  }
}

auto IsFloatType(const Type* t) -> bool { return t->IsFloat() || t->kind == TypeKind::UntypedFloat; }
auto IsSigned(const Type* t) -> bool { return !t->IsInt() || t->is_signed; }

// For a 16-bit float `to`, an integer beyond 2^53 keeps a sticky bit (StickyDouble), so that
// MakeFloat rounds it once, as the conversion at run time does.
auto ToDouble(const ConstValue& v, const Type* from, const Type* to = nullptr) -> double {
  if (v.kind == ConstValue::Kind::Float) return v.float_value;
  if (to && to->IsHalf()) {
    bool negative = IsSigned(from) && v.AsSigned() < 0;
    double mag = StickyDouble(negative ? 0 - v.int_bits : v.int_bits);
    return negative ? -mag : mag;
  }
  return IsSigned(from) ? static_cast<double>(v.AsSigned()) : static_cast<double>(v.int_bits);
}

}  // namespace

auto Checker::UntypedInt(__int128 value, const ast::Expr* where) -> std::optional<ConstValue> {
  ConstValue v;
  v.kind = ConstValue::Kind::Int;
  if (value >= INT64_MIN && value <= INT64_MAX) {
    v.int_bits = static_cast<uint64_t>(static_cast<int64_t>(value));
    return v;
  }
  if (value > 0 && value <= static_cast<__int128>(UINT64_MAX)) {
    v.int_bits = static_cast<uint64_t>(value);
    v.big = true;
    return v;
  }
  if (overflow_reported_.insert(where).second) {
    auto* b = As<ast::Binary>(where);
    Error(diag::Kind::ConstOverflow, b ? b->op_range : where->range);
  }
  return std::nullopt;
}

// An operator on two untyped integers, computed exactly (as Go does): the result must stay within
// 64 bits (signed or unsigned) until it meets a type, where its range is checked.
auto Checker::EvalUntypedBinary(const ast::Binary* b, const ConstValue& l, const ConstValue& r)
    -> std::optional<ConstValue> {
  __int128 x = l.Exact(), y = r.Exact();
  if (r.kind == ConstValue::Kind::Int && b->rhs->type->IsInt() && !b->rhs->type->is_signed) y = r.int_bits;
  switch (b->op) {
    case TokenKind::Plus: return UntypedInt(x + y, b);
    case TokenKind::Minus: return UntypedInt(x - y, b);
    case TokenKind::Star: {
      __int128 p;
      if (__builtin_mul_overflow(x, y, &p)) return UntypedInt(static_cast<__int128>(1) << 100, b);
      return UntypedInt(p, b);
    }
    case TokenKind::Slash:
    case TokenKind::Percent:
      if (y == 0) {
        if (const_required_ > 0 && div_zero_reported_.insert(b).second) Error(diag::Kind::ConstDivZero, b->op_range);
        return std::nullopt;
      }
      return UntypedInt(b->op == TokenKind::Slash ? x / y : x % y, b);
    case TokenKind::Amp: return UntypedInt(x & y, b);
    case TokenKind::Pipe: return UntypedInt(x | y, b);
    case TokenKind::Caret: return UntypedInt(x ^ y, b);
    case TokenKind::Shl:
      if (y < 0 || y >= 64) return UntypedInt(x == 0 ? 0 : static_cast<__int128>(1) << 100, b);
      return UntypedInt(x << static_cast<int>(y), b);
    case TokenKind::Shr:
      return UntypedInt(y < 0 || y >= 127 ? (x < 0 ? -1 : 0) : x >> static_cast<int>(y), b);
    default: return Compare(b->op, x, y);
  }
}

auto Checker::EvalInt(ast::Expr* e, const Type* type, SourceRange where, int64_t& out) -> bool {
  int errors = diags_.error_count();
  const_required_++;
  std::optional<ConstValue> v = Eval(e);
  const_required_--;
  if (!v || v->kind != ConstValue::Kind::Int) {
    bool reported = diags_.error_count() != errors;  // a division by zero, say
    if (!reported && (!e->type || !e->type->IsError())) Error(diag::Kind::ArraySizeNotConst, where);
    return false;
  }
  out = v->AsSigned();
  if (type && type->IsInt() && !type->is_signed && type->bits == 64 && out < 0) out = INT64_MAX;
  return true;
}

auto Checker::Eval(const ast::Expr* e) -> std::optional<ConstValue> {
  if (!e || !e->type || e->type->IsError()) return std::nullopt;
  const Type* t = e->type;
  switch (e->kind) {
    case ast::NodeKind::IntLit: {
      uint64_t raw = As<ast::IntLit>(e)->value;
      if (IsFloatType(t)) return MakeFloat(t->IsHalf() ? StickyDouble(raw) : static_cast<double>(raw), t);
      ConstValue v = MakeInt(raw, t);
      v.big = t->kind == TypeKind::UntypedInt && raw > uint64_t(INT64_MAX);
      return v;
    }
    case ast::NodeKind::FloatLit:
      return MakeFloat(As<ast::FloatLit>(e)->value, t);
    case ast::NodeKind::BoolLit:
      return MakeBool(As<ast::BoolLit>(e)->value);
    case ast::NodeKind::NullLit: {
      ConstValue v;
      v.kind = ConstValue::Kind::Null;
      return v;
    }
    case ast::NodeKind::StringLit: {
      ConstValue v;
      v.kind = ConstValue::Kind::String;
      v.string_value = As<ast::StringLit>(e)->value;
      return v;
    }
    case ast::NodeKind::TypeQuery:
      return MakeInt(As<ast::TypeQuery>(e)->value, t);
    case ast::NodeKind::Name: {
      auto* c = As<ast::ConstDecl>(As<ast::Name>(e)->decl);
      if (!c || c->is_static) return std::nullopt;
      const ConstValue* v = ConstOf(c);
      if (!v) {
        eval_met_broken_const_ = true;  // its own error was reported
        return std::nullopt;
      }
      // An untyped const takes the type of its use.
      if (v->kind == ConstValue::Kind::Int && IsFloatType(t)) return MakeFloat(ToDouble(*v, c->type, t), t);
      if (v->kind == ConstValue::Kind::Int && t->kind == TypeKind::UntypedInt) return *v;
      if (v->kind == ConstValue::Kind::Int) return MakeInt(v->int_bits, t);
      if (v->kind == ConstValue::Kind::Float) return MakeFloat(v->float_value, t);
      return *v;
    }
    case ast::NodeKind::Field: {
      auto* f = As<ast::Field>(e);
      if (f->enum_decl) return MakeInt(static_cast<uint64_t>(f->enum_value), t->backing);
      std::optional<ConstValue> base = Eval(f->base);
      if (!base || base->kind != ConstValue::Kind::Aggregate || f->through_pointer || f->field_index < 0)
        return std::nullopt;
      return base->elems[f->field_index];
    }
    case ast::NodeKind::Index: {
      auto* i = As<ast::Index>(e);
      if (i->base->type->kind != TypeKind::Array) return std::nullopt;
      std::optional<ConstValue> base = Eval(i->base), idx = Eval(i->index);
      if (!base || !idx || idx->int_bits >= base->elems.size()) return std::nullopt;
      return base->elems[idx->int_bits];
    }
    case ast::NodeKind::Unary: {
      auto* u = As<ast::Unary>(e);
      std::optional<ConstValue> v = Eval(u->operand);
      if (!v) return std::nullopt;
      switch (u->op) {
        case TokenKind::Minus:
          if (v->kind == ConstValue::Kind::Float) return MakeFloat(-v->float_value, t);
          if (t->kind == TypeKind::UntypedInt) return UntypedInt(-v->Exact(), e);
          return MakeInt(0 - v->int_bits, t);
        case TokenKind::Tilde:
          return MakeInt(~v->int_bits, t);
        case TokenKind::Bang:
          return MakeBool(!v->bool_value);
        default:
          return std::nullopt;
      }
    }
    case ast::NodeKind::Cast: {
      auto* c = As<ast::Cast>(e);
      std::optional<ConstValue> v = Eval(c->expr);
      if (!v) return std::nullopt;
      const Type* from = c->expr->type;
      if (t->IsInt() || t->kind == TypeKind::Enum) {
        const Type* to = t->kind == TypeKind::Enum ? t->backing : t;
        if (v->kind == ConstValue::Kind::Float) {
          double d = v->float_value;
          if (std::isnan(d)) return MakeInt(0, to);
          // Saturating, as at run time.
          double lo = to->is_signed ? -std::ldexp(1.0, to->bits - 1) : 0.0;
          double hi = to->is_signed ? std::ldexp(1.0, to->bits - 1) : std::ldexp(1.0, to->bits);
          if (d <= lo) return MakeInt(to->is_signed ? uint64_t(1) << (to->bits - 1) | (to->bits == 64 ? 0 : ~((uint64_t(1) << to->bits) - 1)) : 0, to);
          if (d >= hi) return MakeInt(to->is_signed ? (uint64_t(1) << (to->bits - 1)) - 1 : (to->bits == 64 ? UINT64_MAX : (uint64_t(1) << to->bits) - 1), to);
          return MakeInt(to->is_signed ? static_cast<uint64_t>(static_cast<int64_t>(d)) : static_cast<uint64_t>(d), to);
        }
        if (v->kind == ConstValue::Kind::Bool) return MakeInt(v->bool_value ? 1 : 0, to);
        if (v->kind == ConstValue::Kind::Int) return MakeInt(v->int_bits, to);
        if (v->kind == ConstValue::Kind::Null) return MakeInt(0, to);
        return std::nullopt;
      }
      if (t->IsFloat()) {
        if (v->kind == ConstValue::Kind::Int || v->kind == ConstValue::Kind::Float) return MakeFloat(ToDouble(*v, from, t), t);
        return std::nullopt;
      }
      if (t->kind == TypeKind::Bool) return v;
      if (t->IsPointerLike() && (v->kind == ConstValue::Kind::Null || v->kind == ConstValue::Kind::String)) return v;
      // An integer cast to a pointer or function pointer is a constant address (C's
      // `(sqlite3_destructor_type)-1`): a 64-bit pattern, lowered as `inttoptr`.
      if (t->IsPointerLike() && v->kind == ConstValue::Kind::Int) return MakeInt(v->int_bits, nullptr);
      return std::nullopt;
    }
    case ast::NodeKind::Binary: {
      auto* b = As<ast::Binary>(e);
      std::optional<ConstValue> l = Eval(b->lhs);
      if (!l) return std::nullopt;
      if (b->op == TokenKind::AmpAmp && l->kind == ConstValue::Kind::Bool && !l->bool_value) return MakeBool(false);
      if (b->op == TokenKind::PipePipe && l->kind == ConstValue::Kind::Bool && l->bool_value) return MakeBool(true);
      std::optional<ConstValue> r = Eval(b->rhs);
      if (!r) return std::nullopt;
      const Type* ot = b->lhs->type;  // operand type
      if (l->kind == ConstValue::Kind::Bool) {
        switch (b->op) {
          case TokenKind::AmpAmp:
          case TokenKind::Amp: return MakeBool(l->bool_value && r->bool_value);
          case TokenKind::PipePipe:
          case TokenKind::Pipe: return MakeBool(l->bool_value || r->bool_value);
          case TokenKind::Caret:
          case TokenKind::NotEq: return MakeBool(l->bool_value != r->bool_value);
          case TokenKind::EqEq: return MakeBool(l->bool_value == r->bool_value);
          default: return std::nullopt;
        }
      }
      if (l->kind == ConstValue::Kind::Float || r->kind == ConstValue::Kind::Float) {
        double x = ToDouble(*l, ot), y = ToDouble(*r, b->rhs->type);
        switch (b->op) {
          case TokenKind::Plus: return MakeFloat(x + y, t);
          case TokenKind::Minus: return MakeFloat(x - y, t);
          case TokenKind::Star: return MakeFloat(x * y, t);
          case TokenKind::Slash: return MakeFloat(x / y, t);
          case TokenKind::Percent: return MakeFloat(std::fmod(x, y), t);
          default: return Compare(b->op, x, y);
        }
      }
      if (l->kind != ConstValue::Kind::Int || r->kind != ConstValue::Kind::Int) return std::nullopt;
      bool shift = b->op == TokenKind::Shl || b->op == TokenKind::Shr;  // any integer type on the right
      if (ot->kind == TypeKind::UntypedInt && (shift || b->rhs->type->kind == TypeKind::UntypedInt))
        return EvalUntypedBinary(b, *l, *r);
      uint64_t x = l->int_bits, y = r->int_bits;
      bool sgn = IsSigned(ot);
      int bits = ot->IsInt() ? ot->bits : 64;
      switch (b->op) {
        case TokenKind::Plus: return MakeInt(x + y, t);
        case TokenKind::Minus: return MakeInt(x - y, t);
        case TokenKind::Star: return MakeInt(x * y, t);
        case TokenKind::Slash:
        case TokenKind::Percent: {
          if (y == 0) {
            if (const_required_ > 0 && div_zero_reported_.insert(b).second)
              Error(diag::Kind::ConstDivZero, b->op_range);
            return std::nullopt;
          }
          bool div = b->op == TokenKind::Slash;
          if (sgn) {
            int64_t a = static_cast<int64_t>(x), c = static_cast<int64_t>(y);
            if (c == -1) return MakeInt(div ? 0 - x : 0, t);  // wraps; never traps
            return MakeInt(static_cast<uint64_t>(div ? a / c : a % c), t);
          }
          return MakeInt(div ? x / y : x % y, t);
        }
        case TokenKind::Amp: return MakeInt(x & y, t);
        case TokenKind::Pipe: return MakeInt(x | y, t);
        case TokenKind::Caret: return MakeInt(x ^ y, t);
        case TokenKind::Shl: return MakeInt(x << (y & (bits - 1)), t);
        case TokenKind::Shr: {
          uint64_t amount = y & (bits - 1);
          if (sgn) return MakeInt(static_cast<uint64_t>(static_cast<int64_t>(x) >> amount), t);
          uint64_t mask = bits == 64 ? UINT64_MAX : (uint64_t(1) << bits) - 1;
          return MakeInt((x & mask) >> amount, t);
        }
        default: return sgn ? Compare(b->op, int64_t(x), int64_t(y)) : Compare(b->op, x, y);
      }
    }
    case ast::NodeKind::ArrayLit: {
      ConstValue v;
      v.kind = ConstValue::Kind::Aggregate;
      for (const ast::Expr* x : As<ast::ArrayLit>(e)->elems) {
        std::optional<ConstValue> ev = Eval(x);
        if (!ev) return std::nullopt;
        v.elems.push_back(*ev);
      }
      return v;
    }
    case ast::NodeKind::ArrayRepeat: {
      auto* r = As<ast::ArrayRepeat>(e);
      std::optional<ConstValue> ev = Eval(r->value);
      if (!ev || r->count_value > (1u << 20)) return std::nullopt;
      ConstValue v;
      v.kind = ConstValue::Kind::Aggregate;
      v.elems.assign(r->count_value, *ev);
      return v;
    }
    case ast::NodeKind::StructLit: {
      auto* s = As<ast::StructLit>(e);
      if (t->is_union) return std::nullopt;
      ConstValue v;
      v.kind = ConstValue::Kind::Aggregate;
      v.elems.resize(t->fields.size());
      for (const ast::FieldInit& f : s->fields) {
        std::optional<ConstValue> ev = Eval(f.value);
        if (!ev || f.field_index < 0) return std::nullopt;
        v.elems[f.field_index] = *ev;
      }
      return v;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace fusion::sema
