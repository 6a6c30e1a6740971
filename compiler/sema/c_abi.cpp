// The x86-64 SysV classification of Fusion types (psABI §3.2.3).
#include "sema/c_abi.h"

#include "base/check.h"

namespace fusion::sema {

namespace {

enum class Cls : uint8_t { None, Integer, Sse, Memory };

// The psABI's merge of two classes of the same eightbyte (x87 classes do not occur in Fusion).
auto Merge(Cls a, Cls b) -> Cls {
  if (a == b) return a;
  if (a == Cls::None) return b;
  if (b == Cls::None) return a;
  if (a == Cls::Memory || b == Cls::Memory) return Cls::Memory;
  if (a == Cls::Integer || b == Cls::Integer) return Cls::Integer;
  return Cls::Sse;
}

struct Walk {
  Cls cls[2] = {Cls::None, Cls::None};
  Eightbyte eb[2];

  // Classifies every scalar inside `t`, placed at byte `offset` of the outermost value.
  void Add(const Type* t, uint64_t offset) {
    switch (t->kind) {
      case TypeKind::Struct:
        for (const StructField& f : t->fields) Add(f.type, offset + f.offset);
        return;
      case TypeKind::Array:
        for (uint64_t i = 0; i < t->count; i++) Add(t->elem, offset + i * t->elem->size);
        return;
      default:
        break;
    }
    if (t->size == 0) return;
    if (offset % t->align != 0) {  // an unaligned field (not produced by C layout)
      cls[0] = cls[1] = Cls::Memory;
      return;
    }
    int i = static_cast<int>(offset / 8);
    FUSION_CHECK(i < 2) << "scalar at offset " << offset << " of a value of at most 16 bytes";
    if (t->IsFloat()) {
      cls[i] = Merge(cls[i], Cls::Sse);
      if (t->bits == 16) eb[i].has_half = true;
      else if (t->bits == 64) eb[i].has_double = true;
      else if (offset % 8 == 0) eb[i].float_lo = true;
      else eb[i].float_hi = true;
    } else {
      cls[i] = Merge(cls[i], Cls::Integer);
    }
  }
};

auto IsScalarKind(const Type* t) -> bool {
  return t->IsNumeric() || t->kind == TypeKind::Bool || t->kind == TypeKind::Enum || t->IsPointerLike() ||
         t->kind == TypeKind::Null || t->kind == TypeKind::Handle;
}

}  // namespace

auto ClassifyC(const Type* t) -> CPassing {
  CPassing p;
  if (t->kind == TypeKind::Void || t->size == 0) return p;  // Ignore
  if (IsScalarKind(t)) {
    p.kind = CPassing::Kind::Direct;
    p.count = 1;
    p.parts[0].size = static_cast<uint8_t>(t->size);
    if (t->IsFloat()) {
      p.parts[0].cls = Eightbyte::Class::Sse;
      p.parts[0].has_double = t->bits == 64;
      p.parts[0].float_lo = t->bits == 32;
    }
    return p;
  }
  FUSION_CHECK(t->kind == TypeKind::Struct || t->kind == TypeKind::Array) << ToString(t);
  if (t->size > 16) {
    p.kind = CPassing::Kind::Memory;
    return p;
  }
  Walk w;
  w.Add(t, 0);
  int n = t->size > 8 ? 2 : 1;
  for (int i = 0; i < n; i++)
    if (w.cls[i] == Cls::Memory) {
      p.kind = CPassing::Kind::Memory;
      return p;
    }
  p.kind = CPassing::Kind::Direct;
  p.count = n;
  for (int i = 0; i < n; i++) {
    p.parts[i] = w.eb[i];
    // An eightbyte of padding only (a union's tail, say) goes in an integer register, as in clang.
    p.parts[i].cls = w.cls[i] == Cls::Sse ? Eightbyte::Class::Sse : Eightbyte::Class::Integer;
    p.parts[i].size = static_cast<uint8_t>(std::min<uint64_t>(8, t->size - 8 * i));
  }
  return p;
}

}  // namespace fusion::sema
