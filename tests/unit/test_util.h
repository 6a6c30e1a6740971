// Helpers for front-end unit tests: run a phase on a string and collect diagnostics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/diag.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "sema/check.h"

namespace fusion::testing {

struct Frontend {
  SourceManager sources;
  std::unique_ptr<diag::Consumer> diags;
  lex::TokenizedBuffer tokens;
  std::unique_ptr<ast::Tree> tree;
  sema::CheckedModule checked;

  enum class Stop { AfterLex, AfterParse, AfterCheck };
  explicit Frontend(const std::string& text, Stop stop = Stop::AfterCheck) {
    uint32_t id = sources.Add("test.fu", text);
    diags = std::make_unique<diag::Consumer>(sources, /*print=*/false);
    tokens = lex::Lex(sources, id, *diags);
    if (stop == Stop::AfterLex) return;
    tree = std::make_unique<ast::Tree>(parse::Parse(tokens, *diags));
    if (stop == Stop::AfterCheck) checked = sema::Check({tree.get()}, *diags);
  }
  auto Messages() const -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& d : diags->diagnostics()) out.push_back(d.message);
    return out;
  }
  auto Kinds() const -> std::vector<diag::Kind> {
    std::vector<diag::Kind> out;
    for (const auto& d : diags->diagnostics()) out.push_back(d.kind);
    return out;
  }
  auto errors() const -> int { return diags->error_count(); }
};

}  // namespace fusion::testing
