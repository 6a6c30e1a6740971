// Api → the Fusion file (a `@drop` opaque type per class, enums, result structs, the raw extern
// block, and a @track_caller function per shim function that takes and returns handles and
// strings and panics with the C++ exception's message) and the report of what was not translated.
#include <set>

#include "wrap/wrap.h"

namespace fusion::wrap {
namespace {

// The Fusion parameters of one C++ parameter (a sequence is a pointer and a length).
auto FusionParams(const Param& p) -> std::string {
  const Conv& c = p.conv;
  bool seq = c.kind == Conv::Kind::Seq || (c.kind == Conv::Kind::Optional && c.elem[0].kind == Conv::Kind::Seq);
  return p.name + ": " + c.fusion + (seq ? ", " + p.name + "_len: usize" : "");
}

auto ArgNames(const Param& p) -> std::string {
  const Conv& c = p.conv;
  bool seq = c.kind == Conv::Kind::Seq || (c.kind == Conv::Kind::Optional && c.elem[0].kind == Conv::Kind::Seq);
  return p.name + (seq ? ", " + p.name + "_len" : "");
}

// The result structs the API needs: `struct CxxVec_i64 { data: *i64, len: usize }`.
void ResultStructs(const Conv& c, std::set<std::string>& out) {
  if (c.kind == Conv::Kind::Seq && c.fusion.rfind("CxxVec_", 0) == 0)
    out.insert("struct " + c.fusion + " { data: *" + c.elem[0].fusion + ", len: usize }");
  if (c.kind == Conv::Kind::Optional && c.fusion.rfind("CxxOpt_", 0) == 0)
    out.insert("struct " + c.fusion + " { has: bool, value: " + c.elem[0].fusion + " }");
}

auto RawDecl(const Spec& spec, const Fn& fn) -> std::string {
  std::string sym = spec.name + "_" + fn.path;
  std::vector<std::string> params;
  if (fn.kind == Fn::Kind::Method || fn.kind == Fn::Kind::Free) params.push_back("self: *" + fn.cls_fusion);
  for (const Param& p : fn.params) params.push_back(FusionParams(p));
  if (fn.kind != Fn::Kind::Free && fn.result.kind != Conv::Kind::Void) params.push_back("out: *" + fn.result.fusion);
  std::string text = "    fn " + sym + "(";
  for (size_t i = 0; i < params.size(); i++) text += (i ? ", " : "") + params[i];
  return text + ")" + (fn.kind == Fn::Kind::Free ? "" : " -> cstring") + "\n";
}

// The thin API's types: a class is its counted handle (`Node`, freed by `@drop`), a std::string
// result a Fusion `string` (the shim's malloc'd copy is copied and freed) and a std::string
// parameter a `string`. Optional strings and classes as parameters, and sequences, stay raw.
auto IsSeq(const Conv& c) -> bool {
  return c.kind == Conv::Kind::Seq || (c.kind == Conv::Kind::Optional && c.elem[0].kind == Conv::Kind::Seq);
}
auto ThinType(const Conv& c, bool result) -> std::string {
  if (c.kind == Conv::Kind::Handle) return c.fusion.substr(1);
  if (c.kind == Conv::Kind::Optional && result && c.elem[0].kind == Conv::Kind::Handle) return c.fusion.substr(1);
  if (c.kind == Conv::Kind::String) return "string";
  return c.fusion;
}
auto ThinParam(const Param& p) -> std::string {
  return p.name + ": " + ThinType(p.conv, false) + (IsSeq(p.conv) ? ", " + p.name + "_len: usize" : "");
}
auto ThinArg(const Param& p) -> std::string {
  if (p.conv.kind == Conv::Kind::Handle) return "raw(" + p.name + ")";
  if (p.conv.kind == Conv::Kind::String) return p.name + ".cstr()";
  return ArgNames(p);
}

// A Fusion string literal of `text`.
auto Quote(const std::string& text) -> std::string {
  std::string q = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') q += '\\';
    if (ch == '\n') q += "\\n";
    else q += ch;
  }
  return q + "\"";
}

// Loading. A missing shim or C++ library would otherwise end the program with the FFI's message
// for the shim, at a line of N.fu. Before the first call, each API function calls N_shim_check
// (one load of a static and a branch afterwards), which looks the shim up once (the extern
// calls then find it loaded); when that fails it ends the program at the caller's place: with the
// spec's `missing` message when a `link` library cannot be loaded, else with how to build the
// shim and what the loader tried. (An `@on_load` hook cannot do this: it runs after the library
// has been loaded.)
auto Loader(const Spec& spec, const Api& api) -> std::string {
  std::string shim = ShimLib(spec), so = "lib" + shim + ".so";
  std::string text = "// Loading: before the first call, the shim is looked up once; if it cannot be loaded, the\n";
  text += "// program ends at the caller's place, naming the missing library or how to build the shim.\n";
  text += "static " + spec.name + "_shim_ready: bool = false\n\n";
  text += "@track_caller\nfn " + spec.name + "_shim_check() {\n";
  text += "    if ffi_lookup(" + Quote(shim) + ", " + Quote(spec.name + "_" + api.fns[0].path) + ") != null {\n";
  text += "        " + spec.name + "_shim_ready = true\n        return\n    }\n";
  text += "    let why = ffi_dl_error() as string\n";
  // A `link` library is found by its short name (as the loader finds the shim's dependency), or
  // in a `libdir` (the shim's run path). One test for all of them under the spec's `missing`
  // message; without one, a test and a message naming each.
  std::string all;
  for (const std::string& lib : spec.libs) {
    std::string found = "lib_available(" + Quote(lib) + ")";
    for (const std::string& dir : spec.lib_dirs) found += " || lib_available(" + Quote(dir + "/lib" + lib + ".so") + ")";
    if (!spec.missing.empty()) {
      all += (all.empty() ? "" : " ||\n        ") + std::string("!(") + found + ")";
      continue;
    }
    std::string message = "lib" + lib + ".so, which the C++ shim " + so + " links, cannot be loaded: install it";
    text += "    if !(" + found + ") {\n        panic(" + Quote(message) + ")\n    }\n";
  }
  if (!all.empty()) text += "    if " + all + " {\n        panic(" + Quote(spec.missing) + ")\n    }\n";
  text += "    panic(" + Quote("cannot load " + so + ", the C++ shim of " + spec.name + ".fu: build it with `fusion wrap " + spec.file +
                           " -o DIR` (" + spec.file + " is beside " + spec.name + ".fu) and run with `-L DIR` (or FUSION_LIBRARY_PATH=DIR)\n") +
          " + why)\n}\n";
  return text;
}

// fn Node_size(self: Node) -> usize: the raw call, and a panic with the exception's message. A
// class result is a new object the handle owns; a string result is copied into a `string`.
auto Thin(const Spec& spec, const Fn& fn) -> std::string {
  std::string sym = spec.name + "_" + fn.path;
  std::vector<std::string> params, args;
  if (fn.kind == Fn::Kind::Free)  // the handle's @drop: a raw pointer, no result, no exception
    return "// " + fn.qualified + "\nfn " + fn.path + "(self: *" + fn.cls_fusion + ") {\n    unsafe { " + sym + "(self) }\n}\n";
  if (fn.kind == Fn::Kind::Method) params.push_back("self: " + fn.cls_fusion), args.push_back("raw(self)");
  for (const Param& p : fn.params) params.push_back(ThinParam(p)), args.push_back(ThinArg(p));
  const Conv& r = fn.result;
  bool has_result = r.kind != Conv::Kind::Void;
  bool owned = r.kind == Conv::Kind::Handle || (r.kind == Conv::Kind::Optional && r.elem[0].kind == Conv::Kind::Handle);
  std::string text = "// " + fn.qualified + "\n";
  for (const std::string& n : fn.notes) text += "// " + n + "\n";
  text += std::string("@track_caller\n") + (fn.is_unsafe ? "unsafe " : "") + "fn " + fn.path + "(";
  for (size_t i = 0; i < params.size(); i++) text += (i ? ", " : "") + params[i];
  text += ")";
  if (has_result) text += " -> " + ThinType(r, true), args.push_back("&out");
  text += " {\n    if !" + spec.name + "_shim_ready { " + spec.name + "_shim_check() }\n";
  if (has_result) text += "    var out: " + r.fusion + "\n";
  text += "    var err: cstring = null\n    unsafe { err = " + sym + "(";
  for (size_t i = 0; i < args.size(); i++) text += (i ? ", " : "") + args[i];
  text += ") }\n    if err != null { panic(err) }\n";
  if (owned) text += "    return own(out)\n";
  else if (r.kind == Conv::Kind::String)
    text += "    let result = out as string\n    unsafe { free(out as *void) }\n    return result\n";
  else if (has_result) text += "    return out\n";
  return text + "}\n";
}

}  // namespace

auto EmitFusion(const Spec& spec, const Api& api) -> std::string {
  std::string text = "// Generated by `fusion wrap " + spec.file + "`: do not edit (docs/cxx.md).\n";
  text += "// The C++ shim is lib" + ShimLib(spec) + ".so; what was not translated is listed in " + spec.name + ".report.\n";
  text += "// A class is a handle freed automatically (`@drop`: its last reference deletes the C++ object),\n";
  text += "// a std::string result a `string`. Raw: the extern block, optional strings (results are\n";
  text += "// malloc'd) and optional classes as parameters (null for none), and CxxVec_* results\n";
  text += "// (`free(v.data)`; `own(v.data[i])` each class element).\n\n";
  if (!api.fns.empty()) text += "import \"ffi\"  // ffi_lookup, ffi_dl_error: loading the shim\n\n";
  // `@drop(C_free)`: the Fusion function over the shim's `N_C_free` (naming the extern function
  // itself aborts the compiler today), also there for raw pointers (a CxxVec_C's elements).
  for (const Class& c : api.classes) {
    std::string free = c.fusion + "_free";
    for (const Fn& fn : api.fns)
      if (fn.kind == Fn::Kind::Free && fn.cls == c.cxx) free = fn.path;
    text += "@drop(" + free + ") opaque " + c.fusion + "  // " + c.cxx + "\n";
  }
  for (const Enum& e : api.enums) {
    text += "enum " + e.fusion + ": " + e.backing + " {  // " + e.cxx + "\n";
    for (const auto& [name, value] : e.members) text += "    " + name + " = " + std::to_string(value) + ",\n";
    text += "}\n";
  }
  std::set<std::string> structs;
  for (const Fn& fn : api.fns) ResultStructs(fn.result, structs);
  for (const std::string& s : structs) text += s + "\n";
  text += "\nextern \"" + ShimLib(spec) + "\" {\n";
  for (const Fn& fn : api.fns) text += RawDecl(spec, fn);
  text += "}\n";
  if (!api.fns.empty()) text += "\n" + Loader(spec, api);
  for (const Fn& fn : api.fns) text += "\n" + Thin(spec, fn);
  return text;
}

auto EmitReport(const Spec& spec, const Api& api) -> std::string {
  std::string text = "# fusion wrap " + spec.file + ": " + std::to_string(api.fns.size()) + " functions translated, " +
                     std::to_string(api.skipped.size()) + " declarations not translated\n";
  for (const Skipped& s : api.skipped) text += "not translated: " + s.where + ": " + s.qualified + ": " + s.reason + "\n";
  for (const Fn& fn : api.fns)
    for (const std::string& n : fn.notes) text += "in part: " + fn.where + ": " + fn.qualified + ": " + n + "\n";
  return text;
}

}  // namespace fusion::wrap
