// Diagnostics: formatting and clang-style rendering with the source line and caret.
#include "base/diag.h"

#include <cstdio>
#include <cstdlib>

namespace fusion::diag {

namespace {
struct KindInfo {
  const char* name;
  Severity severity;
  const char* format;
};
constexpr KindInfo kKinds[] = {
#define DIAG(name, severity, format) {#name, Severity::severity, format},
#include "base/diag_kinds.def"
};
}  // namespace

auto KindName(Kind kind) -> const char* { return kKinds[static_cast<int>(kind)].name; }
auto KindSeverity(Kind kind) -> Severity { return kKinds[static_cast<int>(kind)].severity; }
auto KindFormat(Kind kind) -> const char* { return kKinds[static_cast<int>(kind)].format; }
auto KindCount() -> int { return static_cast<int>(sizeof(kKinds) / sizeof(kKinds[0])); }

auto Format(const char* format, const std::vector<std::string>& args) -> std::string {
  std::string out;
  for (const char* p = format; *p; p++) {
    if (*p == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
      size_t i = p[1] - '0';
      if (i < args.size()) out += args[i];
      p += 2;
    } else {
      out += *p;
    }
  }
  return out;
}

void Consumer::Report(Kind kind, SourceRange range, std::vector<std::string> args) {
  Diagnostic d{kind, range, Format(KindFormat(kind), args)};
  if (KindSeverity(kind) == Severity::Error) errors_++;
  if (print_) {
    std::string text = Render(d);
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
  // FUSION_DIAG_LOG names a file that collects the kinds produced (for the coverage test).
  if (const char* log = std::getenv("FUSION_DIAG_LOG")) {
    if (FILE* f = std::fopen(log, "a")) {
      std::fprintf(f, "%s\n", KindName(kind));
      std::fclose(f);
    }
  }
  all_.push_back(std::move(d));
}

auto Consumer::Render(const Diagnostic& d) const -> std::string {
  static const char* kSeverityText[] = {"error", "warning", "note"};
  std::string out;
  const char* sev = kSeverityText[static_cast<int>(KindSeverity(d.kind))];
  if (!d.range.begin.valid()) return std::string("fusion: ") + sev + ": " + d.message + "\n";
  const SourceFile& file = sources_.file(d.range.begin.file);
  LineCol lc = file.LineColOf(d.range.begin.offset);
  out += file.path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col) + ": " + sev +
         ": " + d.message + "\n";
  std::string_view line = file.LineText(lc.line);
  // Show the line (tabs kept so the caret lines up) with a caret and tildes under the range.
  std::string shown, marker;
  for (char c : line) shown += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? ' ' : c;
  uint32_t len = d.range.end > d.range.begin.offset ? d.range.end - d.range.begin.offset : 1;
  for (uint32_t i = 0; i + 1 < lc.col && i < line.size(); i++) marker += line[i] == '\t' ? '\t' : ' ';
  marker += '^';
  uint32_t line_left = line.size() >= lc.col ? static_cast<uint32_t>(line.size()) - lc.col : 0;
  for (uint32_t i = 1; i < len && i <= line_left; i++) marker += '~';
  out += "    " + shown + "\n    " + marker + "\n";
  return out;
}

}  // namespace fusion::diag
