// libFuzzer target: any bytes through the lexer, parser and checker must give diagnostics,
// never a crash, a hang, or a sanitizer report. Input that parses is also formatted, and the
// formatter must keep its promises (docs/tooling.md): only whitespace changes (the same tokens,
// the same text without whitespace), the result parses, and formatting it again changes nothing.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/diag.h"
#include "fmt/fmt.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "sema/check.h"

namespace {

// The text without the characters the lexer reads as whitespace.
auto WithoutSpaces(std::string_view s) -> std::string {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') out += c;
  return out;
}

[[noreturn]] void Broken(const char* what, const std::string& in, const std::string& out) {
  std::fprintf(stderr, "fusion fmt %s\n--- input ---\n%s\n--- formatted ---\n%s\n", what, in.c_str(),
               out.c_str());
  std::abort();
}

// The formatted text of `text`, or false when it does not parse.
auto FormatText(const std::string& text, std::string& out) -> bool {
  using namespace fusion;
  SourceManager sources;
  uint32_t id = sources.Add("fuzz.fu", text);
  diag::Consumer diags(sources, /*print=*/false);
  return fmt::Format(sources, id, diags, out);
}

// The texts of the tokens of `text` as the parser reads them: a `>>`, `>=` or `>>=` whose first
// `>` closes type arguments is that `>` and the rest (fmt may write them apart).
auto TokenTexts(const std::string& text) -> std::vector<std::string> {
  using namespace fusion;
  SourceManager sources;
  uint32_t id = sources.Add("fuzz.fu", text);
  diag::Consumer diags(sources, /*print=*/false);
  lex::TokenizedBuffer tokens = lex::Lex(sources, id, diags);
  ast::Tree tree = parse::Parse(tokens, diags);
  std::set<uint32_t> split(tree.split_closers.begin(), tree.split_closers.end());
  std::vector<std::string> out;
  for (const lex::Token& t : tokens.tokens) {
    std::string_view s = tokens.TokenText(t);
    for (uint32_t at = t.offset; split.count(at) && s.size() >= 2; at++) {
      out.emplace_back(">");
      s.remove_prefix(1);
    }
    out.emplace_back(s);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fusion;
  std::string text(reinterpret_cast<const char*>(data), size);
  bool parsed = false;
  {
    SourceManager sources;
    uint32_t id = sources.Add("fuzz.fu", text);
    diag::Consumer diags(sources, /*print=*/false);
    lex::TokenizedBuffer tokens = lex::Lex(sources, id, diags);
    ast::Tree tree = parse::Parse(tokens, diags);
    parsed = diags.error_count() == 0;
    sema::CheckedModule checked = sema::Check({&tree}, diags);
    for (const auto& d : diags.diagnostics()) (void)diags.Render(d);  // rendering must not crash either
  }
  if (!parsed) return 0;
  std::string once, twice;
  if (!FormatText(text, once)) return 0;  // fmt's own refusals (e.g. a file it will not touch)
  std::string_view body = text;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);  // fmt drops a byte-order mark
  // Only whitespace changes: the same tokens (a string literal's spaces included, no two joined
  // into one), and the same text without whitespace (so comments keep their words).
  if (TokenTexts(once) != TokenTexts(text)) Broken("changed the tokens", text, once);
  if (WithoutSpaces(once) != WithoutSpaces(body)) Broken("changed more than whitespace", text, once);
  if (!FormatText(once, twice)) Broken("made a file that does not parse", text, once);
  if (twice != once) Broken("is not idempotent", once, twice);
  return 0;
}
