// Tokens and the tokenized buffer that the lexer produces for one file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/source.h"

namespace fusion::lex {

enum class TokenKind : uint8_t {
#define TOKEN(name, spelling) name,
#include "lex/token_kinds.def"
};

auto Spelling(TokenKind kind) -> const char*;
// The binary operator of a compound assignment (`+=` → `+`); `Eq` for anything else.
auto CompoundAssignBase(TokenKind kind) -> TokenKind;
// "`(`" for punctuation and keywords, "identifier" for the rest: for diagnostics.
auto Describe(TokenKind kind) -> std::string;

struct Token {
  TokenKind kind = TokenKind::Eof;
  bool newline_before = false;  // a line break separates it from the previous token
  uint32_t offset = 0;
  uint32_t length = 0;
  uint64_t int_value = 0;    // IntLit, CharLit
  double float_value = 0;    // FloatLit
  uint32_t string_index = 0; // StringLit: index into TokenizedBuffer::strings
};

struct TokenizedBuffer {
  uint32_t file = 0;
  std::string_view text;  // the file's text
  std::vector<Token> tokens;  // always ends with Eof
  std::vector<std::string> strings;  // decoded string literal contents
  bool ends_in_comment = false;  // the file ends inside a block comment (reported)
  auto TokenText(const Token& t) const -> std::string_view { return text.substr(t.offset, t.length); }
};

}  // namespace fusion::lex
