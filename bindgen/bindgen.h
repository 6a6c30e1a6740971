// `fusion bindgen`: C headers in, Fusion declarations out, through libclang.
//
//   Collect(options) -> Collection     (collect.cpp: the only file that talks to libclang)
//   Emit(collection, options) -> text  (emit.cpp: selection by --allow/--block and dependencies,
//                                       then the output file; no libclang)
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

namespace fusion::bindgen {

struct Options {
  std::vector<std::string> headers;       // as given; each is #included in order
  std::vector<std::string> include_dirs;  // -I
  std::vector<std::string> defines;       // -D NAME[=V]
  std::string lib;                        // the extern block's library; empty: `extern { }`
  std::vector<std::string> allow, block;  // regular expressions over C names
  std::vector<std::string> also_from;     // files (regular expressions over paths) whose
                                          // declarations count as the named headers' own
  std::vector<std::string> safe;          // functions to declare `safe fn` (those without pointer
                                          // parameters only)
  std::vector<std::string> noalloc;       // functions to declare `@noalloc` (the user's promise
                                          // that they never allocate)
  bool follow = true;                     // translate what the named headers #include from their
                                          // own directory too (--no-follow: only the named ones)
  std::string on_load;                    // `@on_load(NAME)` on the extern block, when given
  std::string output;                     // -o
  std::string layout_probe;               // --layout-probe PREFIX: write PREFIX.c and PREFIX.fu
  std::vector<std::string> command;       // the command line, recorded in the output
};

// One C declaration, translated or with the reason it is not.
struct Item {
  enum class Kind { Record, Enum, Typedef, Const, Function, Untranslatable };
  Kind kind = Kind::Untranslatable;
  std::string key;                // identity: clang's USR, or "macro:NAME"
  std::string c_name;             // what --allow and --block match
  std::vector<std::string> also_named;  // other C names --allow matches: an enum's members
  std::string text;               // Fusion text; for functions, one line of the extern block
  std::vector<std::string> deps;  // keys of the items this one needs
  std::string skipped;            // why it is not translated; empty when it is
  std::vector<std::string> notes; // what was translated only in part, and how
  // For a record, what the layout probe (--layout-probe) compares: a label, C's expression and
  // Fusion's (sizeof, alignof, each field's offsetof).
  struct Probe {
    std::string label, c, fusion;
  };
  std::vector<Probe> probes;
  std::string where;              // "header.h:123"
  bool in_named_header = false;   // declared in one of the headers named on the command line
  uint64_t order = 0;             // position in the translation unit (file order, then offset)
};

struct Collection {
  std::vector<Item> items;  // in translation-unit order
  std::vector<std::string> header_names;  // base names of the named headers
  // Headers the named ones #include from their own directory: translated ("easy.h (included by
  // curl.h)"), and those quoted #includes that are not (their directory is an include directory).
  std::vector<std::string> followed, not_followed;
};

// Parses the headers and turns every declaration into an Item. Errors in the headers are printed
// (file:line:col) to stderr and make it return false.
auto Collect(const Options& options, Collection& out) -> bool;

// The output file's text.
auto Emit(const Collection& collection, const Options& options) -> std::string;

// The layout probe: a C program and a Fusion program that print the same lines (every emitted
// record's size, alignment and field offsets), one as clang lays the headers out, the other as
// Fusion lays out the bindings at `binding_path`. Equal output means equal layouts.
void EmitLayoutProbe(const Collection& collection, const Options& options, const std::string& binding_path,
                     std::string& c_text, std::string& fusion_text);

// The regular expressions of --allow, --block, --safe, --noalloc and --also-from, compiled once.
inline auto Compile(const std::vector<std::string>& patterns) -> std::vector<std::regex> {
  std::vector<std::regex> out;
  for (const std::string& p : patterns) out.emplace_back(p);
  return out;
}

inline auto AnyMatch(const std::vector<std::regex>& res, const std::string& text) -> bool {
  for (const std::regex& re : res)
    if (std::regex_search(text, re)) return true;
  return false;
}


}  // namespace fusion::bindgen
