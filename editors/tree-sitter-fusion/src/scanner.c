// The external scanner of the Fusion grammar: automatic statement terminators at newlines, the
// `{` of struct literals and of `if`/`while`/`for` bodies, and nested block comments.
#include <stdbool.h>
#include <stdint.h>

#include "tree_sitter/parser.h"

// In the order of `externals` in grammar.js.
enum TokenType {
  AUTOMATIC_SEMICOLON,
  STRUCT_LITERAL_OPEN,
  HEAD_BLOCK_OPEN,
  BLOCK_COMMENT,
  ERROR_SENTINEL,  // never in the grammar: valid only while the parser recovers from an error
};

void *tree_sitter_fusion_external_scanner_create(void) { return NULL; }
void tree_sitter_fusion_external_scanner_destroy(void *payload) { (void)payload; }
unsigned tree_sitter_fusion_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}
void tree_sitter_fusion_external_scanner_deserialize(void *payload, const char *buffer, unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static bool is_blank(int32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == 0xFEFF; }
static bool is_ident_start(int32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident_char(int32_t c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

// After the `/*` of a block comment: consumes it to its end (they nest, as compiler/lex/lex.cpp
// has them); returns whether it crossed a newline.
static bool finish_block_comment(TSLexer *lexer) {
  bool newline = false;
  int depth = 1;
  while (depth > 0 && !lexer->eof(lexer)) {
    int32_t c = lexer->lookahead;
    lexer->advance(lexer, false);
    if (c == '*' && lexer->lookahead == '/') {
      lexer->advance(lexer, false);
      depth--;
    } else if (c == '/' && lexer->lookahead == '*') {
      lexer->advance(lexer, false);
      depth++;
    } else if (c == '\n') {
      newline = true;
    }
  }
  return newline;
}

// Skips blanks, newlines and comments (consumed as part of the token being looked ahead from).
static void skip_space_and_comments(TSLexer *lexer) {
  for (;;) {
    while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') lexer->advance(lexer, false);
    if (lexer->lookahead != '/') return;
    lexer->advance(lexer, false);
    if (lexer->lookahead == '/') {
      while (lexer->lookahead != '\n' && !lexer->eof(lexer)) lexer->advance(lexer, false);
    } else if (lexer->lookahead == '*') {
      lexer->advance(lexer, false);
      finish_block_comment(lexer);
    } else {
      return;  // a lone `/`: not a field name, which is all the caller looks for
    }
  }
}

// At `{` (not yet consumed) after a name: whether a struct literal starts here, as the compiler's
// parser decides (`Name {` followed by `}` or by `field:`).
static bool struct_literal_follows(TSLexer *lexer) {
  lexer->advance(lexer, false);  // {
  lexer->mark_end(lexer);
  skip_space_and_comments(lexer);
  if (lexer->lookahead == '}') return true;
  if (!is_ident_start(lexer->lookahead)) return false;
  while (is_ident_char(lexer->lookahead)) lexer->advance(lexer, false);
  skip_space_and_comments(lexer);
  return lexer->lookahead == ':';
}

bool tree_sitter_fusion_external_scanner_scan(void *payload, TSLexer *lexer, const bool *valid_symbols) {
  (void)payload;
  bool recovering = valid_symbols[ERROR_SENTINEL];
  while (is_blank(lexer->lookahead)) lexer->advance(lexer, true);

  // A newline ends the statement wherever the parser could end it there (compiler/parse:
  // ExpectStmtEnd and AtNewlineBreak). The terminator is empty; a comment before the newline
  // comes after it.
  if (valid_symbols[AUTOMATIC_SEMICOLON] && !recovering) {
    lexer->result_symbol = AUTOMATIC_SEMICOLON;
    lexer->mark_end(lexer);
    if (lexer->lookahead == '\n' || lexer->eof(lexer)) return true;
    if (lexer->lookahead == '/') {
      lexer->advance(lexer, false);
      if (lexer->lookahead == '/') return true;  // a line comment runs to the newline
      if (lexer->lookahead != '*') return false;
      lexer->advance(lexer, false);
      if (finish_block_comment(lexer)) return true;  // a newline inside a comment counts
      // A comment within the line: it is the token, and the terminator is looked for after it.
      lexer->result_symbol = BLOCK_COMMENT;
      lexer->mark_end(lexer);
      return true;
    }
  }

  bool newline = false;
  while (is_blank(lexer->lookahead) || lexer->lookahead == '\n') {
    if (lexer->lookahead == '\n') newline = true;
    lexer->advance(lexer, true);
  }

  if (lexer->lookahead == '/' && valid_symbols[BLOCK_COMMENT]) {
    lexer->advance(lexer, false);
    if (lexer->lookahead != '*') return false;
    lexer->advance(lexer, false);
    finish_block_comment(lexer);
    lexer->result_symbol = BLOCK_COMMENT;
    lexer->mark_end(lexer);
    return true;
  }

  if (lexer->lookahead == '{' && !recovering) {
    // In an `if`/`while`/`for` head a `{` always opens the body (the parser's no_struct_).
    if (valid_symbols[HEAD_BLOCK_OPEN]) {
      lexer->advance(lexer, false);
      lexer->result_symbol = HEAD_BLOCK_OPEN;
      lexer->mark_end(lexer);
      return true;
    }
    // `Name⏎{` is never a struct literal.
    if (valid_symbols[STRUCT_LITERAL_OPEN] && !newline && struct_literal_follows(lexer)) {
      lexer->result_symbol = STRUCT_LITERAL_OPEN;
      return true;
    }
  }
  return false;
}
