// Semantic types: builtins, interning, spelling, and C record layout.
#include "sema/types.h"

#include "base/check.h"

namespace fusion::sema {

auto ToString(const Type* t) -> std::string {
  if (!t) return "<null>";
  switch (t->kind) {
    case TypeKind::Error: return "{error}";
    case TypeKind::UntypedInt: return "{integer}";
    case TypeKind::UntypedFloat: return "{float}";
    case TypeKind::Null: return "null";
    case TypeKind::Pointer: return "*" + ToString(t->elem);
    case TypeKind::Array: return "[" + ToString(t->elem) + "; " + std::to_string(t->count) + "]";
    case TypeKind::Tensor: return "tensor<" + ToString(t->elem) + ">";
    case TypeKind::Vector: return "vec<" + ToString(t->elem) + ", " + std::to_string(t->count) + ">";
    case TypeKind::FnPtr: {
      std::string s = "fn(";
      for (size_t i = 0; i < t->params.size(); i++) s += (i ? ", " : "") + ToString(t->params[i]);
      s += ")";
      if (t->elem->kind != TypeKind::Void) s += " -> " + ToString(t->elem);
      return s;
    }
    default: return t->name;
  }
}

TypeContext::TypeContext() {
  error_ = Make(TypeKind::Error, "{error}", 0, 1);
  void_ = Make(TypeKind::Void, "void", 0, 1);
  bool_ = Make(TypeKind::Bool, "bool", 1, 1);
  cstring_ = Make(TypeKind::CString, "cstring", 8, 8);
  null_ = Make(TypeKind::Null, "null", 8, 8);
  untyped_int_ = Make(TypeKind::UntypedInt, "{integer}", 8, 8);
  untyped_float_ = Make(TypeKind::UntypedFloat, "{float}", 8, 8);
  builtins_["void"] = void_;
  builtins_["bool"] = bool_;
  builtins_["cstring"] = cstring_;
  struct IntSpec {
    const char* name;
    int bits;
    bool is_signed;
  };
  for (IntSpec s : {IntSpec{"i8", 8, true}, {"i16", 16, true}, {"i32", 32, true}, {"i64", 64, true},
                    {"u8", 8, false}, {"u16", 16, false}, {"u32", 32, false}, {"u64", 64, false},
                    {"isize", 64, true}, {"usize", 64, false}}) {
    Type* t = Make(TypeKind::Int, s.name, s.bits / 8, s.bits / 8);
    t->bits = s.bits;
    t->is_signed = s.is_signed;
    builtins_[s.name] = t;
  }
  struct FloatSpec {
    const char* name;
    int bits;
    bool is_bfloat;
  };
  for (FloatSpec s : {FloatSpec{"f16", 16, false}, {"bf16", 16, true}, {"f32", 32, false}, {"f64", 64, false}}) {
    Type* t = Make(TypeKind::Float, s.name, s.bits / 8, s.bits / 8);
    t->bits = s.bits;
    t->is_signed = true;
    t->is_bfloat = s.is_bfloat;
    builtins_[t->name] = t;
  }
  // dim3 { x: u32, y: u32, z: u32 }: grid and block sizes, and the kernel index values.
  Type* dim3 = NewNominal(TypeKind::Struct, "dim3");
  for (const char* f : {"x", "y", "z"}) dim3->fields.push_back({f, builtins_["u32"], 0});
  LayoutRecord(dim3);
  builtins_["dim3"] = dim3;
  // A stream or an event of the gpu.* API: what gpu.stream_create and gpu.event_create return,
  // passed back to gpu.* and `launch`. Two types, so that one is never passed for the other.
  // A kernel compiled at run time by gpu.compile_cuda, launched as `launch k<<<…>>>(…)`.
  for (const char* name : {"gpu_stream", "gpu_event", "gpu_kernel"}) builtins_[name] = Make(TypeKind::Handle, name, 8, 8);
  builtins_["string"] = Make(TypeKind::String, "string", 8, 8);
  builtins_["file"] = Make(TypeKind::File, "file", 8, 8);
}

auto TypeContext::Make(TypeKind kind, std::string name, uint64_t size, uint64_t align) -> Type* {
  auto t = std::make_unique<Type>(kind);
  t->name = std::move(name);
  t->size = size;
  t->align = align;
  t->layout_done = true;
  owned_.push_back(std::move(t));
  return owned_.back().get();
}

auto TypeContext::Builtin(const std::string& name) const -> const Type* {
  auto it = builtins_.find(name);
  return it == builtins_.end() ? nullptr : it->second;
}

auto TypeContext::Pointer(const Type* pointee) -> const Type* {
  auto it = pointers_.find(pointee);
  if (it != pointers_.end()) return it->second;
  Type* t = Make(TypeKind::Pointer, "", 8, 8);
  t->elem = pointee;
  pointers_[pointee] = t;
  return t;
}

auto TypeContext::Array(const Type* elem, uint64_t count) -> const Type* {
  auto key = std::make_pair(elem, count);
  auto it = arrays_.find(key);
  if (it != arrays_.end()) return it->second;
  Type* t = Make(TypeKind::Array, "", 0, 1);
  t->elem = elem;
  t->count = count;
  t->layout_done = elem->layout_done;
  t->size = elem->size * count;
  t->align = elem->align;
  arrays_[key] = t;
  return t;
}

auto TypeContext::FnPtr(const Type* ret, std::vector<const Type*> params) -> const Type* {
  std::vector<const Type*> key;
  key.push_back(ret);
  key.insert(key.end(), params.begin(), params.end());
  auto it = fn_ptrs_.find(key);
  if (it != fn_ptrs_.end()) return it->second;
  Type* t = Make(TypeKind::FnPtr, "", 8, 8);
  t->elem = ret;
  t->params = std::move(params);
  fn_ptrs_[key] = t;
  return t;
}

auto TypeContext::Tensor(const Type* elem) -> const Type* {
  auto it = tensors_.find(elem);
  if (it != tensors_.end()) return it->second;
  Type* t = Make(TypeKind::Tensor, "", 8, 8);
  t->elem = elem;
  tensors_[elem] = t;
  return t;
}

auto TypeContext::Vector(const Type* elem, uint64_t lanes) -> const Type* {
  auto key = std::make_pair(elem, lanes);
  auto it = vectors_.find(key);
  if (it != vectors_.end()) return it->second;
  Type* t = Make(TypeKind::Vector, "", elem->size * lanes, elem->size * lanes);
  t->elem = elem;
  t->count = lanes;
  vectors_[key] = t;
  return t;
}

auto TypeContext::NewNominal(TypeKind kind, std::string name) -> Type* {
  Type* t = Make(kind, std::move(name), 0, 1);
  t->layout_done = false;
  return t;
}

void LayoutRecord(Type* record, uint64_t min_align) {
  uint64_t offset = 0, size = 0, align = min_align;
  for (StructField& f : record->fields) {
    FUSION_CHECK(f.type->layout_done) << record->name << "." << f.name;
    uint64_t a = f.type->align ? f.type->align : 1;
    if (record->is_union) {
      f.offset = 0;
      size = std::max(size, f.type->size);
    } else {
      offset = (offset + a - 1) / a * a;
      f.offset = offset;
      offset += f.type->size;
      size = offset;
    }
    align = std::max(align, a);
  }
  record->align = align;
  record->size = (size + align - 1) / align * align;
  record->layout_done = true;
}

}  // namespace fusion::sema
