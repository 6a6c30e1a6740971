// Semantic types: interned, so two types are equal exactly when their pointers are.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fusion::ast {
struct StructDecl;
struct EnumDecl;
struct OpaqueDecl;
}  // namespace fusion::ast

namespace fusion::sema {

enum class TypeKind : uint8_t {
  Error,         // an erroneous expression: accepted everywhere, produces no further errors
  Void,
  Bool,
  Int,
  Float,
  Pointer,
  CString,
  Null,          // the type of `null` before it meets a pointer type
  UntypedInt,    // an integer literal (or an expression of them) before it meets a type
  UntypedFloat,  // likewise for float literals
  Array,
  Struct,        // struct or union
  Enum,
  Opaque,
  FnPtr,         // fn(T, …) -> R: a C function pointer
  Handle,        // gpu_stream, gpu_event: the runtime's objects, pointer-sized, opaque to code
  Tensor,        // tensor<T>: a reference to the runtime's rt_tensor (elem: T, the element type)
  String,        // string: a reference to the runtime's rt_str (docs/strings.md)
  File,          // file: a reference to the runtime's rt_file
  Vector,        // vec<T, N>: a SIMD vector of N numbers (elem: T, count: N), an LLVM <N x T>
};

struct StructField {
  std::string name;
  const class Type* type = nullptr;
  uint64_t offset = 0;
};

class Type {
 public:
  explicit Type(TypeKind k) : kind(k) {}
  TypeKind kind;
  std::string name;  // builtin and nominal types
  // Int/Float
  int bits = 0;
  bool is_signed = false;
  bool is_bfloat = false;  // Float: bf16 (8 significand bits), not IEEE f16; both have 16 bits
  // Pointer/Array: the element; FnPtr: the return type
  const Type* elem = nullptr;
  std::vector<const Type*> params;  // FnPtr
  uint64_t count = 0;
  // Struct/Enum/Opaque
  const ast::StructDecl* struct_decl = nullptr;
  const ast::EnumDecl* enum_decl = nullptr;
  bool is_union = false;
  std::vector<StructField> fields;
  const Type* backing = nullptr;  // Enum
  const ast::OpaqueDecl* opaque_decl = nullptr;  // Opaque
  bool is_handle = false;  // Opaque declared with @drop: by value, a counted handle to a C pointer
  // Layout (C rules), known once `layout_done`.
  uint64_t size = 0;
  uint64_t align = 1;
  bool layout_done = false;

  auto IsError() const -> bool { return kind == TypeKind::Error; }
  auto IsInt() const -> bool { return kind == TypeKind::Int; }
  auto IsFloat() const -> bool { return kind == TypeKind::Float; }
  auto IsNumeric() const -> bool { return IsInt() || IsFloat(); }
  // f16 and bf16: stored in 16 bits, computed as the hardware does (docs/language.md).
  auto IsHalf() const -> bool { return kind == TypeKind::Float && bits == 16; }
  auto IsUntyped() const -> bool { return kind == TypeKind::UntypedInt || kind == TypeKind::UntypedFloat || kind == TypeKind::Null; }
  // Values that are addresses: pointers, `cstring`, function pointers.
  auto IsPointerLike() const -> bool {
    return kind == TypeKind::Pointer || kind == TypeKind::CString || kind == TypeKind::FnPtr;
  }
  auto IsTensor() const -> bool { return kind == TypeKind::Tensor; }
  auto IsString() const -> bool { return kind == TypeKind::String; }
  auto IsVector() const -> bool { return kind == TypeKind::Vector; }
  // Counted references to runtime objects (tensors, strings, files, handles of `@drop` opaque
  // types, whose `*T` stays the plain C pointer): a variable holds one, the
  // end of its block releases it (lower/lower_ref.cpp); they live in host code and in variables
  // and parameters only, not in fields, arrays, statics or behind pointers.
  auto IsCounted() const -> bool {
    return kind == TypeKind::Tensor || kind == TypeKind::String || kind == TypeKind::File || is_handle;
  }
  auto IsScalar() const -> bool {
    return IsNumeric() || kind == TypeKind::Bool || IsPointerLike() || kind == TypeKind::Enum;
  }
  auto FieldIndex(const std::string& field) const -> int {
    for (size_t i = 0; i < fields.size(); i++)
      if (fields[i].name == field) return static_cast<int>(i);
    return -1;
  }
};

// Spells a type as in Fusion source: `*[i32; 4]`.
auto ToString(const Type* t) -> std::string;

// Owns every type. Builtins are created once; pointers and arrays are interned.
class TypeContext {
 public:
  TypeContext();
  TypeContext(const TypeContext&) = delete;
  auto operator=(const TypeContext&) -> TypeContext& = delete;

  auto error() const -> const Type* { return error_; }
  auto void_type() const -> const Type* { return void_; }
  auto bool_type() const -> const Type* { return bool_; }
  auto cstring() const -> const Type* { return cstring_; }
  auto null_type() const -> const Type* { return null_; }
  auto untyped_int() const -> const Type* { return untyped_int_; }
  auto untyped_float() const -> const Type* { return untyped_float_; }
  auto i32() const -> const Type* { return Builtin("i32"); }
  auto i64() const -> const Type* { return Builtin("i64"); }
  auto u8() const -> const Type* { return Builtin("u8"); }
  auto u64() const -> const Type* { return Builtin("u64"); }
  auto f32() const -> const Type* { return Builtin("f32"); }
  auto f64() const -> const Type* { return Builtin("f64"); }
  auto f16() const -> const Type* { return Builtin("f16"); }
  auto bf16() const -> const Type* { return Builtin("bf16"); }
  auto u32() const -> const Type* { return Builtin("u32"); }
  auto dim3() const -> const Type* { return Builtin("dim3"); }
  auto gpu_stream() const -> const Type* { return Builtin("gpu_stream"); }
  auto gpu_event() const -> const Type* { return Builtin("gpu_event"); }
  auto gpu_kernel() const -> const Type* { return Builtin("gpu_kernel"); }
  auto string() const -> const Type* { return Builtin("string"); }
  auto file() const -> const Type* { return Builtin("file"); }
  // A builtin type by its Fusion name (`i32`, `cstring`, …), or null.
  auto Builtin(const std::string& name) const -> const Type*;
  // `string` and `file`, which came after programs could name their own types so: a program's
  // own type of that name takes precedence, as a declaration does over a builtin function.
  static auto IsSoftBuiltin(const std::string& name) -> bool { return name == "string" || name == "file"; }

  auto Pointer(const Type* pointee) -> const Type*;
  auto Array(const Type* elem, uint64_t count) -> const Type*;
  auto FnPtr(const Type* ret, std::vector<const Type*> params) -> const Type*;
  // tensor<elem>; elem is f32, f64, i32, i64 or bool (the checker makes sure).
  auto Tensor(const Type* elem) -> const Type*;
  // vec<elem, lanes>; elem an integer type or f32/f64, lanes a power of two from 2 to 64 (the
  // checker makes sure). Aligned to its size, as C's vector types (`__m256` is 32).
  auto Vector(const Type* elem, uint64_t lanes) -> const Type*;
  // A nominal type whose layout the checker fills in.
  auto NewNominal(TypeKind kind, std::string name) -> Type*;

 private:
  auto Make(TypeKind kind, std::string name, uint64_t size, uint64_t align) -> Type*;

  std::vector<std::unique_ptr<Type>> owned_;
  std::map<std::string, const Type*> builtins_;
  std::map<const Type*, const Type*> pointers_;
  std::map<std::pair<const Type*, uint64_t>, const Type*> arrays_;
  std::map<std::vector<const Type*>, const Type*> fn_ptrs_;
  std::map<const Type*, const Type*> tensors_;
  std::map<std::pair<const Type*, uint64_t>, const Type*> vectors_;  // key: return type, then parameters
  const Type* error_;
  const Type* void_;
  const Type* bool_;
  const Type* cstring_;
  const Type* null_;
  const Type* untyped_int_;
  const Type* untyped_float_;
};

// Lays out a struct or union as the C ABI does (natural alignment, padding).
// Field types must already have their layout.
void LayoutRecord(Type* record, uint64_t min_align = 1);

}  // namespace fusion::sema
