// `fusion wrap SPEC`: a C++ library made callable from Fusion through a generated C shim.
//
//   ParseSpec(path) -> Spec          (spec.cpp: the spec file, errors as spec:line:col)
//   Collect(spec) -> Api             (collect.cpp, types.cpp: the only files that talk to libclang;
//                                     every exposed declaration with its parameters translated,
//                                     or listed in Api::skipped with the reason)
//   EmitShim(spec, api) -> C++ text  (emit_shim.cpp: the extern "C" functions)
//   EmitFusion(spec, api) -> text    (emit_fusion.cpp: the extern block and the @track_caller API)
//   EmitReport(spec, api) -> text    (emit_fusion.cpp: what was not translated, and why)
// main.cpp runs them in that order, writes the files and builds the shim with the C++ compiler.
#pragma once

#include <regex>
#include <string>
#include <vector>

namespace fusion::wrap {

// A place in the spec file, for errors.
struct Pos {
  int line = 0, col = 0;
};

// A name in the spec: an exact qualified C++ name (`YAML::Node::size`), or `/REGEX/`, which must
// match the whole qualified name.
struct Pattern {
  std::string text;
  bool is_regex = false;
  std::regex re;
  Pos pos;
  mutable bool used = false;  // matched something (a pattern that matches nothing is an error)
  auto Matches(const std::string& qualified) const -> bool;
};

struct Rename {
  Pattern pattern;
  std::string name;
};

// `catch TYPE MEMBER`: exceptions of TYPE give `e.MEMBER()` as their message (libtorch's
// `c10::Error what_without_backtrace`); others give `what()`.
struct Catch {
  std::string type, member;
};

struct Spec {
  std::string path;  // as given
  std::string file;  // its base name, which the outputs name (so that they do not depend on where
                     // the command ran)
  std::string dir;   // its directory; relative paths in the spec are relative to it
  std::string name;  // `name`: the C symbols' prefix and the output files' stem
  std::vector<std::string> headers, include_dirs, flags, libs, lib_dirs;
  std::string std_version = "c++17";
  std::vector<Pattern> classes, functions, methods, enums, skips;
  std::vector<Pattern> unsafes;  // `unsafe`: functions whose Fusion API is an `unsafe fn`
  std::vector<Rename> renames;
  std::vector<Catch> catches;
  std::string cxx;    // the `cxx` block: C++ helpers, parsed and translated like the headers
  int cxx_line = 0;   // the spec line of its first line
  std::string output_dir;  // `output`; default: the spec's directory
  std::string missing;     // `missing`: the panic when a `link` library cannot be loaded (a
                           // default message when empty)
};

// Reads and checks the spec; errors go to stderr as `spec:line:col: error: …`.
auto ParseSpec(const std::string& path, Spec& out) -> bool;

// How one C++ type crosses the C boundary.
struct Conv {
  enum class Kind {
    Void,
    Scalar,     // bool, integers, floats, `void*`: as they are
    Enum,       // as its underlying integer; a Fusion enum
    String,     // std::string, std::string_view: in `const char*`, out a malloc'd `char*`
    CString,    // const char*: in and out as it is (a result is borrowed, not freed)
    Handle,     // an exposed class (by value, reference or pointer): an opaque `Cls*`
    ScalarRef,  // a non-const T& or T* of a scalar or enum: a pointer
    Seq,        // std::vector<E>, c10::ArrayRef<E>: in a pointer and a length; out CxxVec_E
    Optional,   // std::optional<E>, c10::optional<E>: in nullable; out nullable or CxxOpt_E
  };
  Kind kind = Kind::Void;
  std::string cxx_type;    // the C++ type, unqualified, fully spelled (`std::vector<long>`)
  std::string c_type;      // the C type of a parameter or of `*out` (`int64_t`, `YAML::Node*`)
  std::string fusion;      // the Fusion type of the same (`i64`, `*Node`)
  std::string tag;         // in overload names: `i64`, `str`, `Node`, `vec_i64`, `opt_f64`
  bool by_ref = false;     // Handle/ScalarRef: a C++ reference (dereferenced, checked for null)
  bool is_pointer = false; // Handle: a C++ pointer
  std::vector<Conv> elem;  // Seq, Optional: the element
  std::string enum_usr;    // Enum: the enum (Api::enums)
};

struct Param {
  std::string name;  // C and Fusion name (`a`, or `arg2` for an unnamed one)
  Conv conv;
};

// One extern "C" function of the shim.
struct Fn {
  enum class Kind { Function, Constructor, Method, StaticMethod, Free };
  Kind kind = Kind::Function;
  std::string qualified;   // `YAML::Node::size`, for the report and errors
  std::string cxx_callee;  // what the shim calls: `YAML::Load`, `size`, `operator[]`, the class
  std::string cls;         // the exposed class's C++ name (methods, constructors, free)
  std::string cls_fusion;  // its Fusion name
  std::string path;        // the name without the prefix: `Node_size`, `Load` (after overloads)
  std::vector<Param> params;
  Conv result;             // Void when none
  std::vector<std::string> notes;  // translated in part (defaulted parameters left out)
  bool is_unsafe = false;  // `unsafe` in the spec: callable only in `unsafe` code
  std::string where;       // header:line
};

struct Class {
  std::string cxx;     // `YAML::Node`
  std::string fusion;  // `Node`
  std::string where;
};

struct Enum {
  std::string usr, cxx, fusion, backing;  // backing: the Fusion integer type
  std::vector<std::pair<std::string, long long>> members;
  std::string where;
};

struct Skipped {
  std::string qualified, where, reason;
};

struct Api {
  std::vector<Class> classes;
  std::vector<Enum> enums;
  std::vector<Fn> fns;
  std::vector<Skipped> skipped;
  std::vector<std::string> notes;  // general notes (inherited methods hidden by a derived one)
  std::string preamble;            // the shim's first part: the #includes and the cxx block
};

// Parses the headers and the cxx block with libclang and selects what the spec exposes. Errors
// (in the headers, or a pattern that matches nothing) go to stderr; returns false then.
auto Collect(const Spec& spec, Api& out) -> bool;

auto EmitShim(const Spec& spec, const Api& api) -> std::string;
auto EmitFusion(const Spec& spec, const Api& api) -> std::string;
auto EmitReport(const Spec& spec, const Api& api) -> std::string;

// The shared library's base name and file name: `yaml_shim`, `libyaml_shim.so`.
inline auto ShimLib(const Spec& spec) -> std::string { return spec.name + "_shim"; }

}  // namespace fusion::wrap
