// Small libclang helpers shared by collect.cpp and types.cpp (the files that talk to libclang).
#pragma once

#include <clang-c/Index.h>

#include <map>
#include <string>

#include "bindgen/clang_common.h"
#include "wrap/wrap.h"

namespace fusion::wrap {

using clang_tools::Str;
using clang_tools::VisitChildren;

inline auto Spelling(CXCursor c) -> std::string { return Str(clang_getCursorSpelling(c)); }
inline auto Usr(CXCursor c) -> std::string { return Str(clang_getCursorUSR(clang_getCanonicalCursor(c))); }

// `YAML::NodeType::value`: the enclosing namespaces and classes, without inline namespaces
// (`std::__cxx11`) and anonymous ones.
auto QualifiedName(CXCursor c) -> std::string;

// `NodeType_value`: the enclosing classes and the name, without the namespaces.
auto ClassPath(CXCursor c) -> std::string;

// "node.h:42"
auto Where(CXCursor c) -> std::string;

// Fusion keywords, built-in type names and builtin functions take a trailing `_` (as bindgen's
// names do), and so do the names the generated wrappers use themselves.
auto FusionIdent(const std::string& name) -> std::string;

// What types.cpp needs to know: the exposed classes (by USR) and the enums met so far.
struct TypeContext {
  std::map<std::string, const Class*> classes;  // USR → exposed class
  std::map<std::string, size_t> enums;          // USR → index in Api::enums
  const Spec* spec = nullptr;
  Api* api = nullptr;
};

// How `t` crosses the boundary as a parameter (`out` false) or a result; empty `why` when it can.
auto Translate(CXType t, bool out, TypeContext& ctx, std::string& why) -> Conv;

}  // namespace fusion::wrap
