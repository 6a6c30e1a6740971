// The parser: tokens of one file to its syntax tree.
#pragma once

#include "base/diag.h"
#include "lex/token.h"
#include "parse/ast.h"

namespace fusion::parse {

// Never fails: errors go to `diags`; the parser recovers at statement and declaration
// boundaries, so every error in the file is reported. Unparsable expressions become null.
auto Parse(const lex::TokenizedBuffer& tokens, diag::Consumer& diags) -> ast::Tree;

// The deepest nesting of expressions, blocks and types the parser accepts.
inline constexpr int kMaxNesting = 256;

}  // namespace fusion::parse
