// The checker: names, types, unsafe, layout. Turns parsed trees into the checked module.
#pragma once

#include <functional>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/diag.h"
#include "parse/ast.h"
#include "sema/types.h"

namespace fusion::sema {

// A compile-time value: of consts, static initializers, array sizes, enum members.
struct ConstValue {
  enum class Kind : uint8_t { Int, Float, Bool, Null, String, Aggregate } kind = Kind::Int;
  uint64_t int_bits = 0;  // Int: two's complement, already wrapped to its type
  bool big = false;       // Int, untyped: a value in [2^63, 2^64), which `int_bits` holds unsigned
  double float_value = 0;
  bool bool_value = false;
  std::string string_value;
  std::vector<ConstValue> elems;  // Aggregate: struct fields in order, or array elements
  auto AsSigned() const -> int64_t { return static_cast<int64_t>(int_bits); }
  // An untyped integer's exact value.
  auto Exact() const -> __int128 { return big ? static_cast<__int128>(int_bits) : static_cast<__int128>(AsSigned()); }
};

struct CheckedModule {
  std::unique_ptr<TypeContext> types;
  std::vector<ast::Tree*> trees;         // every file; the main file first
  std::vector<ast::FnDecl*> fns;         // every function, in declaration order
  std::vector<ast::ConstDecl*> statics;  // every `static`
  std::map<const ast::ConstDecl*, ConstValue> const_values;  // consts and statics
  ast::FnDecl* main = nullptr;  // `fn main`, when the main file has no top-level statements
  bool script = false;          // the main file has top-level statements
  bool has_kernels = false;     // some function is a @kernel: the program has device code
  std::vector<ast::FnDecl*> cuda_kernels;  // the kernels of `extern cuda` blocks (compiler/cuda/)
  // Calls of builtins that need sm_80 or newer (cp_async, the tensor-core shapes sm_75 lacks),
  // with their names: the driver reports each when it compiles kernels for an older --gpu-arch.
  std::vector<std::pair<SourceRange, std::string>> sm80_uses;
  std::vector<ast::Stmt*> script_stmts;
};

// Code the compiler writes for a checked program (the fusion pass's kernels): called once every
// body is checked; returns a tree of declarations to check with the program's (or null). The
// tree may use the program's declarations (a @device function that `tensor.map` applies).
using GenerateHook = std::function<ast::Tree*(CheckedModule& checked)>;

// Never fails: errors go to `diags`. Lowering may run only when `diags` has no errors.
// `trees` (main file first) must outlive the result.
auto Check(std::vector<ast::Tree*> trees, diag::Consumer& diags, const GenerateHook& generate = nullptr)
    -> CheckedModule;

// Whether a checked expression names a place in memory (a variable, `*p`, an element or a
// field of a place, or a field through a pointer): what `&` and assignment need.
auto IsPlace(const ast::Expr* e) -> bool;

// Whether a statement always leaves its function (returns or panics) on every path.
auto AlwaysExits(const ast::Stmt* stmt) -> bool;

}  // namespace fusion::sema
