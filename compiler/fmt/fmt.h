// `fusion fmt`: Fusion's one layout (docs/tooling.md). It works on the lexer's tokens and the
// comments between them, so it keeps every comment where it was and never moves code across
// lines: it re-indents (four spaces per open block or bracket line, one more for a statement
// continued after an operator), sets the spaces between tokens, and trims blank lines. A file
// with syntax errors is not formatted (its diagnostics are reported instead). Front end only.
#pragma once

#include <string>

#include "base/diag.h"
#include "base/source.h"

namespace fusion::fmt {

// The formatted text of file `file`; false (with diagnostics in `diags`) when it does not parse.
// Formatting formatted text gives the same text.
auto Format(const SourceManager& sources, uint32_t file, diag::Consumer& diags, std::string& out) -> bool;

}  // namespace fusion::fmt
