// The lexer: source text to tokens. Never fails: bad input gives diagnostics and Error tokens.
#pragma once

#include "base/diag.h"
#include "base/source.h"
#include "lex/token.h"

namespace fusion::lex {

auto Lex(const SourceManager& sources, uint32_t file, diag::Consumer& diags) -> TokenizedBuffer;

}  // namespace fusion::lex
