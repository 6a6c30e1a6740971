// Diagnostics: one registry of kinds (diag_kinds.def), printed as clang does.
#pragma once

#include <string>
#include <vector>

#include "base/source.h"

namespace fusion::diag {

enum class Severity { Error, Warning, Note };

enum class Kind {
#define DIAG(name, severity, format) name,
#include "base/diag_kinds.def"
};

auto KindName(Kind kind) -> const char*;
auto KindSeverity(Kind kind) -> Severity;
auto KindFormat(Kind kind) -> const char*;
auto KindCount() -> int;

struct Diagnostic {
  Kind kind;
  SourceRange range;
  std::string message;  // the formatted text
};

// Receives diagnostics, prints them with the source line and a caret, and counts errors.
class Consumer {
 public:
  explicit Consumer(const SourceManager& sources, bool print = true)
      : sources_(sources), print_(print) {}

  void Report(Kind kind, SourceRange range, std::vector<std::string> args = {});
  void Report(Kind kind, SourceLoc loc, std::vector<std::string> args = {}) {
    Report(kind, SourceRange{loc, loc.offset + 1}, std::move(args));
  }
  auto error_count() const -> int { return errors_; }
  auto sources() const -> const SourceManager& { return sources_; }
  auto diagnostics() const -> const std::vector<Diagnostic>& { return all_; }
  // Writes what a diagnostic looks like to the user.
  auto Render(const Diagnostic& d) const -> std::string;

 private:
  const SourceManager& sources_;
  bool print_;
  int errors_ = 0;
  std::vector<Diagnostic> all_;
};

// Formats "{0} and {1}" with args.
auto Format(const char* format, const std::vector<std::string>& args) -> std::string;

}  // namespace fusion::diag
