// Api → the C++ shim: one extern "C" function per exposed declaration. Each returns NULL, or the
// message of the C++ exception it caught (valid until the thread's next failing call), and gives
// its result through its last parameter, `out`.
#include <algorithm>

#include "wrap/wrap.h"

namespace fusion::wrap {
namespace {

constexpr const char* kHelpers = R"(
// --- fusion wrap's helpers -------------------------------------------------------------------
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace fusion_wrap {
template <class T> struct Vec { T* data; size_t len; };   // a sequence result: malloc'd data
template <class T> struct Opt { bool has; T value; };     // an optional scalar result

// The message of a caught exception, kept until this thread's next one.
inline const char* Fail(const char* what) {
  thread_local std::string message;
  message = what ? what : "a C++ exception without a message";
  return message.c_str();
}
inline char* OutString(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = 0;
  return p;
}
inline std::string_view InString(const char* s, const char* name) {
  if (!s) throw std::invalid_argument(std::string("null string passed as `") + name + "`");
  return s;
}
template <class T> T& Deref(T* p, const char* name) {
  if (!p) throw std::invalid_argument(std::string("null pointer passed as `") + name + "`");
  return *p;
}
template <class T> const T* Span(const T* p, size_t n, const char* name) {
  if (!p && n) throw std::invalid_argument(std::string("null pointer with a length passed as `") + name + "`");
  return p;
}
template <class T> T* Alloc(size_t n) {
  T* p = static_cast<T*>(std::malloc(n ? n * sizeof(T) : 1));
  if (!p) throw std::bad_alloc();
  return p;
}
// A C array of enum values or handles as a std::vector of the C++ elements.
template <class E, class C> std::vector<E> Gather(const C* p, size_t n, const char* name) {
  Span(p, n, name);
  std::vector<E> v;
  v.reserve(n);
  for (size_t i = 0; i < n; i++) {
    if constexpr (std::is_pointer_v<C>) v.push_back(Deref(p[i], name));
    else v.push_back(static_cast<E>(p[i]));
  }
  return v;
}
}  // namespace fusion_wrap
)";

// The C parameters of one C++ parameter: `long x`, or `const long* x, size_t x_len`.
auto CParams(const Param& p) -> std::string {
  const Conv& c = p.conv;
  bool seq = c.kind == Conv::Kind::Seq || (c.kind == Conv::Kind::Optional && c.elem[0].kind == Conv::Kind::Seq);
  return c.c_type + " " + p.name + (seq ? ", size_t " + p.name + "_len" : "");
}

auto Quote(const std::string& s) -> std::string { return "\"" + s + "\""; }

// A sequence parameter as the C++ type `c` (std::vector or c10::ArrayRef).
auto SeqArg(const Conv& c, const std::string& n) -> std::string {
  const Conv& e = c.elem[0];
  if (e.kind == Conv::Kind::Scalar)
    return c.cxx_type + "(fusion_wrap::Span(" + n + ", " + n + "_len, " + Quote(n) + "), " + n + " + " + n + "_len)";
  std::string elem = e.kind == Conv::Kind::Enum ? e.cxx_type : e.c_type.substr(0, e.c_type.size() - 1);
  return c.cxx_type + "(fusion_wrap::Gather<" + elem + ">(" + n + ", " + n + "_len, " + Quote(n) + "))";
}

// The C++ argument made of a parameter's C values.
auto Arg(const Param& p) -> std::string {
  const Conv& c = p.conv;
  const std::string& n = p.name;
  switch (c.kind) {
    case Conv::Kind::Scalar: case Conv::Kind::CString: return n;
    case Conv::Kind::Enum: return "static_cast<" + c.cxx_type + ">(" + n + ")";
    case Conv::Kind::String: return "std::string(fusion_wrap::InString(" + n + ", " + Quote(n) + "))";
    case Conv::Kind::Handle:
    case Conv::Kind::ScalarRef: return c.is_pointer || (c.kind == Conv::Kind::ScalarRef && !c.by_ref) ? n : "fusion_wrap::Deref(" + n + ", " + Quote(n) + ")";
    case Conv::Kind::Seq: return SeqArg(c, n);
    case Conv::Kind::Optional: {
      const Conv& e = c.elem[0];
      std::string value = e.kind == Conv::Kind::Seq ? SeqArg(e, n)
                          : e.kind == Conv::Kind::String ? "std::string(" + n + ")"
                          : e.kind == Conv::Kind::Enum ? "static_cast<" + e.cxx_type + ">(*" + n + ")"
                                                       : "*" + n;
      return "(" + n + " ? " + c.cxx_type + "(" + value + ") : " + c.cxx_type + "())";
    }
    case Conv::Kind::Void: break;
  }
  return n;
}

// One element of a sequence or optional result, from the C++ value `x`.
auto OutElem(const Conv& e, const std::string& x) -> std::string {
  switch (e.kind) {
    case Conv::Kind::Enum: return "static_cast<" + e.c_type + ">(" + x + ")";
    case Conv::Kind::Handle: return "new " + e.c_type.substr(0, e.c_type.size() - 1) + "(" + x + ")";
    case Conv::Kind::String: return "fusion_wrap::OutString(" + x + ")";
    default: return x;
  }
}

// Statements that store the C++ result `r` into `*out`.
auto StoreResult(const Conv& c) -> std::string {
  switch (c.kind) {
    case Conv::Kind::Void: return "";
    case Conv::Kind::Scalar: case Conv::Kind::CString: return "*out = r;";
    case Conv::Kind::Enum: return "*out = static_cast<" + c.c_type + ">(r);";
    case Conv::Kind::String: return "*out = fusion_wrap::OutString(r);";
    case Conv::Kind::Handle: {
      std::string cls = c.c_type.substr(0, c.c_type.size() - 1);
      return "*out = new " + cls + "(r);";  // a reference: a copy (by value: see Function)
    }
    case Conv::Kind::ScalarRef: return "*out = r;";
    case Conv::Kind::Seq: {
      const Conv& e = c.elem[0];
      return "auto* d = fusion_wrap::Alloc<" + e.c_type + ">(r.size());\n    size_t i = 0;\n    for (auto&& x : r) d[i++] = " + OutElem(e, "x") +
             ";\n    *out = {d, static_cast<size_t>(r.size())};";
    }
    case Conv::Kind::Optional: {
      const Conv& e = c.elem[0];
      if (e.kind == Conv::Kind::String || e.kind == Conv::Kind::Handle) return "*out = r ? " + OutElem(e, "*r") + " : nullptr;";
      return "*out = r ? " + c.c_type + "{true, " + OutElem(e, "*r") + "} : " + c.c_type + "{false, {}};";
    }
  }
  return "";
}

auto Catches(const Spec& spec) -> std::string {
  std::string s;
  for (const Catch& c : spec.catches) s += "  } catch (const " + c.type + "& e) {\n    return fusion_wrap::Fail(e." + c.member + "());\n";
  s += "  } catch (const std::exception& e) {\n    return fusion_wrap::Fail(e.what());\n";
  s += "  } catch (...) {\n    return fusion_wrap::Fail(\"a C++ exception that is not a std::exception\");\n  }\n";
  return s;
}

auto Function(const Spec& spec, const Fn& fn) -> std::string {
  std::string sym = spec.name + "_" + fn.path;
  std::string text = "// " + fn.qualified + " (" + fn.where + ")\n";
  if (fn.kind == Fn::Kind::Free)
    return text + "extern \"C\" void " + sym + "(" + fn.cls + "* self) { delete self; }\n";
  std::vector<std::string> params;
  if (fn.kind == Fn::Kind::Method) params.push_back(fn.cls + "* self");
  for (const Param& p : fn.params) params.push_back(CParams(p));
  if (fn.result.kind != Conv::Kind::Void) params.push_back(fn.result.c_type + "* out");
  text += "extern \"C\" const char* " + sym + "(";
  for (size_t i = 0; i < params.size(); i++) text += (i ? ", " : "") + params[i];
  text += ") {\n  try {\n    ";
  std::string args;
  for (size_t i = 0; i < fn.params.size(); i++) args += (i ? ", " : "") + Arg(fn.params[i]);
  std::string call;
  switch (fn.kind) {
    case Fn::Kind::Constructor: call = "new " + fn.cls + "(" + args + ")"; break;
    case Fn::Kind::Method: call = "fusion_wrap::Deref(self, \"self\")." + fn.cxx_callee + "(" + args + ")"; break;
    default: call = fn.cxx_callee + "(" + args + ")"; break;
  }
  // A class returned by value is built in place in its new home (C++17 elides the copy): moving
  // it would run the destructor of the moved-from object, which for a guard (torch::NoGradGuard)
  // undoes what it did.
  bool built_in_place = fn.result.kind == Conv::Kind::Handle && !fn.result.by_ref;
  if (fn.kind == Fn::Kind::Constructor) text += "*out = " + call + ";\n";
  else if (built_in_place) text += "*out = new " + fn.result.c_type.substr(0, fn.result.c_type.size() - 1) + "(" + call + ");\n";
  else if (fn.result.kind == Conv::Kind::Void) text += call + ";\n";
  else text += "auto&& r = " + call + ";\n    " + StoreResult(fn.result) + "\n";
  text += "    return nullptr;\n" + Catches(spec) + "}\n";
  return text;
}

}  // namespace

auto EmitShim(const Spec& spec, const Api& api) -> std::string {
  std::string text = api.preamble;
  if (!spec.cxx.empty()) text += "#line " + std::to_string(std::count(text.begin(), text.end(), '\n') + 2) + " \"" + spec.name + "_shim.cpp\"\n";
  text += kHelpers;
  text += "\n// --- the shim ---------------------------------------------------------------------------\n";
  for (const Fn& fn : api.fns) text += "\n" + Function(spec, fn);
  return text;
}

}  // namespace fusion::wrap
