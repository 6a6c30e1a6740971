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
      Synchronize();
    } else {
      if (ast::Stmt* s = ParseStmt()) tree_.stmts.push_back(s);
    }
    if (pos_ == start) Advance();  // always make progress
  }
  return std::move(tree_);
}

auto Parser::Advance() -> const lex::Token& {
  const lex::Token& t = tokens_.tokens[pos_];
  if (t.kind != TokenKind::Eof) {
    last_end_ = t.offset + t.length;
    pos_++;
  }
  return t;
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
  if (recovering_ || too_deep_) return;
  diags_.Report(kind, range, std::move(args));
  recovering_ = true;
}

void Parser::Synchronize() {
  int braces = 0;
  bool first = true;
  while (!at(TokenKind::Eof)) {
    if (!first && braces == 0 && cur().newline_before) break;
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
    recovering_ = false;
    Error(diag::Kind::NestingTooDeep, RangeOf(cur()), {std::to_string(kMaxNesting)});
    too_deep_ = true;
    // Nothing after this point can be parsed sensibly: stop at the end of the file.
    pos_ = tokens_.tokens.size() - 1;
    return false;
  }
  return true;
}

}  // namespace fusion::parse
