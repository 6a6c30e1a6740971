// What both libclang tools need (fusion-bindgen for C headers, fusion-wrap for C++ ones): strings
// out of libclang, a child visitor that takes a lambda, and the names a Fusion declaration cannot
// take (keywords and built-in type names) or should not take (builtin functions), which both give
// a trailing `_`.
#pragma once

#include <clang-c/Index.h>

#include <set>
#include <string>
#include <type_traits>

namespace fusion::clang_tools {

inline auto Str(CXString s) -> std::string {
  const char* c = clang_getCString(s);
  std::string out = c ? c : "";
  clang_disposeString(s);
  return out;
}

template <class F>
void VisitChildren(CXCursor c, F&& f) {
  clang_visitChildren(
      c,
      [](CXCursor child, CXCursor, CXClientData data) {
        (*static_cast<std::remove_reference_t<F>*>(data))(child);
        return CXChildVisit_Continue;
      },
      &f);
}

// Fusion's keywords (lex/token_kinds.def) and built-in type names (sema/types.cpp; `string` and
// `file` are not among them: a program's own type may take those names).
inline auto IsFusionKeyword(const std::string& name) -> bool {
  static const std::set<std::string> kReserved = {
#define KEYWORD(name, spelling) spelling,
#include "lex/token_kinds.def"
      "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize", "usize", "f16", "bf16", "f32", "f64", "bool",
      "void", "cstring",
  };
  return kReserved.count(name) != 0;
}

// Fusion's builtin functions (sema/builtins.def): a declaration of one hides the builtin.
inline auto IsFusionBuiltin(const std::string& name) -> bool {
  static const std::set<std::string> kBuiltins = {
#define BUILTIN(name, kind) name,
#include "sema/builtins.def"
  };
  return kBuiltins.count(name) != 0;
}

}  // namespace fusion::clang_tools
