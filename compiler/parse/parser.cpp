// The parser's entry point, token helpers, and error recovery.
#include "parse/parser.h"

namespace fusion::parse {

Parser::Parser(const lex::TokenizedBuffer& tokens, diag::Consumer& diags)
    : tokens_(tokens), diags_(diags) {
  tree_.file = tokens.file;
}

auto Parse(const lex::TokenizedBuffer& tokens, diag::Consumer& diags) -> ast::Tree {
  return Parser(tokens, diags).ParseFile();
}

// file = { decl | stmt }
auto Parser::ParseFile() -> ast::Tree {
  while (!at(TokenKind::Eof)) {
    size_t start = pos_;
    if (Consume(TokenKind::Semi)) continue;
    if (AtDeclStart()) {
      if (ast::Decl* d = ParseDecl()) tree_.decls.push_back(d);
    } else if (at(TokenKind::RBrace)) {
      ErrorAtCur(diag::Kind::ExpectedDecl, {lex::Describe(cur().kind)});
      Advance();
      recovering_ = false;  // the stray `}` is skipped; what follows is parsed afresh
    } else {
      if (ast::Stmt* s = ParseStmt()) tree_.stmts.push_back(s);
    }
    if (pos_ == start) Advance();  // always make progress
  }
  return std::move(tree_);
}

auto Parser::Advance() -> const lex::Token& {
  const lex::Token& t = cur();
  if (t.kind != TokenKind::Eof) {
    last_end_ = t.offset + t.length;
    pos_++;
  }
  return t;
}

auto Parser::ExpectCloseAngle(const char* what) -> bool {
  TokenKind rest;
  switch (cur().kind) {
    case TokenKind::Shr: rest = TokenKind::Greater; break;
    case TokenKind::GreaterEq: rest = TokenKind::Eq; break;
    case TokenKind::ShrEq: rest = TokenKind::GreaterEq; break;
    default: return Expect(TokenKind::Greater, what);
  }
  lex::Token t = cur();
  tree_.split_closers.push_back(t.offset);
  last_end_ = t.offset + 1;
  t.kind = rest;
  t.offset += 1;
  t.length -= 1;
  t.newline_before = false;
  split_ = t;
  split_pos_ = pos_;
  return true;
}

auto Parser::Consume(TokenKind k) -> bool {
  if (!at(k)) return false;
  Advance();
  return true;
}

auto Parser::Expect(TokenKind k, const char* what) -> bool {
  if (Consume(k)) return true;
  std::string wanted = what ? what : lex::Describe(k);
  ErrorAtCur(diag::Kind::ExpectedToken, {wanted, lex::Describe(cur().kind)});
  return false;
}

auto Parser::ExpectIdent(const char* what, std::string& name, SourceRange& range) -> bool {
  if (!at(TokenKind::Ident)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {what, lex::Describe(cur().kind)});
    return false;
  }
  range = RangeOf(cur());
  name = Text(Advance());
  return true;
}

void Parser::Error(diag::Kind kind, SourceRange range, std::vector<std::string> args) {
  // At an invalid token, or at the end of a file that ends inside a comment, the lexer has
  // already reported the error: recover quietly.
  bool lex_error = at(TokenKind::Error) || (at(TokenKind::Eof) && tokens_.ends_in_comment);
  if (!recovering_ && !too_deep_ && !lex_error) diags_.Report(kind, range, std::move(args));
  recovering_ = true;
}

void Parser::Synchronize() {
  int braces = 0;
  bool first = true;
  while (!at(TokenKind::Eof)) {
    // A token that starts a line begins the next statement. So does the token in error (after
    // `fn f() -> i32`, a line `fn g() {…}` is kept), unless it is inside parentheses or opens a
    // block, which then belongs to the broken construct.
    if (cur().newline_before && braces == 0 && (!first || (nest_ == 0 && !at(TokenKind::LBrace)))) break;
    first = false;
    if (at(TokenKind::LBrace)) braces++;
    if (at(TokenKind::RBrace)) {
      if (braces == 0) break;
      braces--;
      if (braces == 0) {
        Advance();
        break;
      }
    }
    if (at(TokenKind::Semi) && braces == 0) {
      Advance();
      break;
    }
    Advance();
  }
  recovering_ = false;
}

auto Parser::Enter() -> bool {
  if (too_deep_) return false;
  if (++depth_ > kMaxNesting) {
    depth_--;
    TooDeep(RangeOf(cur()));
    return false;
  }
  if (depth_ > peak_) peak_ = depth_;
  return true;
}

void Parser::TooDeep(SourceRange range) {
  diags_.Report(diag::Kind::NestingTooDeep, range, {std::to_string(kMaxNesting)});
  too_deep_ = true;
  // Nothing after this point can be parsed sensibly: stop at the end of the file.
  pos_ = tokens_.tokens.size() - 1;
}

}  // namespace fusion::parse
