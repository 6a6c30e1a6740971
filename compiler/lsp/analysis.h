// What `fusion lsp` knows of one document: the front end's result for it (loaded with its imports,
// parsed and checked exactly as `fusion check` does, with the editor's unsaved texts in place of
// files) and the questions an editor asks of it. No LLVM, no JSON: server.cpp speaks the protocol.
//
// Positions are the protocol's: 0-based lines, and columns in UTF-16 code units.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/diag.h"
#include "base/source.h"
#include "parse/ast.h"
#include "sema/check.h"

namespace fusion::lsp {

struct Position {
  int line = 0;
  int character = 0;
};
struct Range {
  Position start, end;
};
struct Location {
  std::string path;
  Range range;
};

struct Diagnostic {
  Range range;
  diag::Severity severity = diag::Severity::Error;
  std::string code;     // the diagnostic's kind (`UndeclaredName`)
  std::string message;  // the command line's text
  std::vector<std::pair<Location, std::string>> notes;  // the notes that follow it
};

struct Symbol {
  enum class Kind { Function, Struct, Enum, EnumMember, Constant, Variable, Field, TypeAlias, Opaque };
  std::string name, detail;
  Kind kind = Kind::Function;
  Range range, selection;
  std::vector<Symbol> children;
};

struct Completion {
  enum class Kind { Function, Method, Field, Variable, Constant, Struct, Enum, EnumMember, Keyword, Module };
  std::string label, detail;
  Kind kind = Kind::Variable;
};

struct Signature {
  std::string label;                          // `fn add(a: i32, b: i32) -> i32`
  std::vector<std::pair<int, int>> params;    // each parameter's [begin, end) in label
  int active = 0;
};

// What a place in the text refers to: a declaration node (FnDecl, Param, Let, For, ConstDecl,
// StructDecl, EnumDecl, OpaqueDecl, TypeAliasDecl), or a member of one (a struct's field, an
// enum's member: `member` is its index).
struct Target {
  const ast::Node* decl = nullptr;
  int member = -1;
  explicit operator bool() const { return decl != nullptr; }
  auto operator==(const Target& o) const -> bool { return decl == o.decl && member == o.member; }
};

struct AnalysisOptions {
  std::vector<std::string> include_dirs;  // -I
  std::vector<std::string> library_dirs;  // where `import "libc"` is found
  const std::map<std::string, std::string>* overlay = nullptr;  // unsaved texts, by OverlayKey
};

class Analysis {
 public:
  // Loads `path` (its text from the overlay, or the file), its imports, and checks the program.
  Analysis(const std::string& path, const AnalysisOptions& options);
  Analysis(const Analysis&) = delete;
  auto operator=(const Analysis&) -> Analysis& = delete;

  // The diagnostics of the file `path` (errors and warnings, each with its notes).
  auto Diagnostics(const std::string& path) const -> std::vector<Diagnostic>;
  // Markdown: an expression's type, a declaration's signature and doc comment, the C signature
  // behind an extern function.
  auto Hover(Position pos) const -> std::optional<std::string>;
  auto Definition(Position pos) const -> std::optional<Location>;
  auto References(Position pos, bool include_declaration) const -> std::vector<Location>;
  auto Symbols() const -> std::vector<Symbol>;
  auto Complete(Position pos) const -> std::vector<Completion>;
  auto SignatureHelp(Position pos) const -> std::optional<Signature>;

  // Byte offset ↔ protocol position in the main file.
  auto OffsetOf(Position pos) const -> uint32_t;
  auto PositionOf(uint32_t file, uint32_t offset) const -> Position;

 private:
  auto RangeOf(SourceRange r) const -> Range;
  auto LocationOf(SourceRange r) const -> Location;
  auto NodeAt(uint32_t offset) const -> const ast::Node*;
  auto TargetAt(uint32_t offset) const -> Target;
  auto TargetsOf(const ast::Tree& tree, const Target& target, std::vector<SourceRange>& out) const -> void;
  auto NameRange(const Target& t) const -> SourceRange;
  auto Describe(const Target& t) const -> std::string;
  auto DocComment(const ast::Node* decl) const -> std::string;
  auto VisibleAt(uint32_t offset) const -> std::vector<const ast::Node*>;
  auto FindGlobal(const std::string& name) const -> const ast::Node*;
  auto Members(const sema::Type* t, std::vector<Completion>& out) const -> void;

  std::string path_;
  SourceManager sources_;
  std::unique_ptr<diag::Consumer> diags_;
  std::vector<std::unique_ptr<ast::Tree>> trees_;
  std::unique_ptr<ast::Tree> generated_;  // the fusion pass's kernels
  sema::CheckedModule checked_;
  uint32_t main_file_ = 0;
};

// file:///a%20b/c.fu ↔ /a b/c.fu
auto PathOfUri(const std::string& uri) -> std::string;
auto UriOfPath(const std::string& path) -> std::string;

}  // namespace fusion::lsp
