// libFuzzer target: any bytes through the lexer, parser and checker must give diagnostics,
// never a crash, a hang, or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/diag.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "sema/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fusion;
  SourceManager sources;
  uint32_t id = sources.Add("fuzz.fu", std::string(reinterpret_cast<const char*>(data), size));
  diag::Consumer diags(sources, /*print=*/false);
  lex::TokenizedBuffer tokens = lex::Lex(sources, id, diags);
  ast::Tree tree = parse::Parse(tokens, diags);
  sema::CheckedModule checked = sema::Check({&tree}, diags);
  for (const auto& d : diags.diagnostics()) (void)diags.Render(d);  // rendering must not crash either
  return 0;
}
