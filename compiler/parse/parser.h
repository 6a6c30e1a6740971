// The parser's shared state, used by parse_decl.cpp, parse_stmt.cpp and parse_expr.cpp.
#pragma once

#include "parse/parse.h"

namespace fusion::parse {

using lex::TokenKind;

class Parser {
 public:
  Parser(const lex::TokenizedBuffer& tokens, diag::Consumer& diags);
  auto ParseFile() -> ast::Tree;

  // ---- declarations (parse_decl.cpp) ----
  auto AtDeclStart() const -> bool;
  auto ParseDecl() -> ast::Decl*;
  auto ParseAttributes() -> std::vector<ast::Attribute>;
  auto ParseFn(std::vector<ast::Attribute> attrs, bool is_unsafe) -> ast::FnDecl*;
  auto ParseStruct(std::vector<ast::Attribute> attrs) -> ast::StructDecl*;
  auto ParseEnum() -> ast::EnumDecl*;
  auto ParseConst() -> ast::ConstDecl*;
  auto ParseImport() -> ast::ImportDecl*;
  auto ParseType() -> ast::TypeExpr*;

  // ---- statements (parse_stmt.cpp) ----
  auto ParseStmt() -> ast::Stmt*;
  auto ParseBlock(bool is_unsafe = false) -> ast::Block*;
  auto ParseLet() -> ast::Stmt*;
  auto ParseIf() -> ast::Stmt*;
  auto ParseWhile() -> ast::Stmt*;
  auto ParseFor() -> ast::Stmt*;
  auto ParseSimpleStmt() -> ast::Stmt*;
  void ExpectStmtEnd();

  // ---- expressions (parse_expr.cpp) ----
  auto ParseExpr() -> ast::Expr*;
  auto ParseExprNoStruct() -> ast::Expr*;
  auto ParseBinary(int min_prec) -> ast::Expr*;
  auto ParseCastLevel() -> ast::Expr*;
  auto ParseUnary() -> ast::Expr*;
  auto ParsePostfix(ast::Expr* base) -> ast::Expr*;
  auto ParsePrimary() -> ast::Expr*;
  auto ParseCallArgs(ast::Call* call) -> void;
  auto ParseTypeQuery(ast::QueryKind kind) -> ast::Expr*;
  auto ParseArrayLit() -> ast::Expr*;
  auto ParseStructLit(ast::TypeExpr* type) -> ast::Expr*;

  // ---- tokens ----
  auto cur() const -> const lex::Token& { return tokens_.tokens[pos_]; }
  auto peek(size_t n = 1) const -> const lex::Token& {
    size_t i = pos_ + n;
    return tokens_.tokens[i < tokens_.tokens.size() ? i : tokens_.tokens.size() - 1];
  }
  auto at(TokenKind k) const -> bool { return cur().kind == k; }
  auto Advance() -> const lex::Token&;
  auto Consume(TokenKind k) -> bool;
  // Consumes `k` or reports "expected `k`, found …" naming `what` when given.
  auto Expect(TokenKind k, const char* what = nullptr) -> bool;
  auto ExpectIdent(const char* what, std::string& name, SourceRange& range) -> bool;
  auto Loc() const -> SourceLoc { return {tokens_.file, cur().offset}; }
  auto RangeOf(const lex::Token& t) const -> SourceRange {
    return {{tokens_.file, t.offset}, t.offset + t.length};
  }
  // From `begin` to the end of the last consumed token.
  auto RangeFrom(SourceLoc begin) const -> SourceRange { return {begin, last_end_}; }
  auto Text(const lex::Token& t) const -> std::string { return std::string(tokens_.TokenText(t)); }
  // A newline before the current token ends the expression (outside parentheses and brackets).
  auto AtNewlineBreak() const -> bool { return nest_ == 0 && cur().newline_before; }

  // ---- errors and recovery ----
  void Error(diag::Kind kind, SourceRange range, std::vector<std::string> args = {});
  void ErrorAtCur(diag::Kind kind, std::vector<std::string> args = {}) { Error(kind, RangeOf(cur()), std::move(args)); }
  // Skips to the next statement boundary: after `;`, before `}`, or before a token on a new line.
  void Synchronize();
  // Guards recursion depth; false (after one diagnostic) when nesting is too deep.
  auto Enter() -> bool;
  void Leave() { depth_--; }

  const lex::TokenizedBuffer& tokens_;
  diag::Consumer& diags_;
  ast::Tree tree_;
  size_t pos_ = 0;
  uint32_t last_end_ = 0;
  int nest_ = 0;        // open ( and [ around the current token: newlines do not end statements
  int depth_ = 0;       // recursion depth
  bool no_struct_ = false;  // in `if`/`while`/`for` heads, `Name {` starts the block
  bool recovering_ = false;  // an error was reported; stay quiet until the next boundary
  bool too_deep_ = false;
};

// Counts one level of recursion for the scope; `ok` is false when nesting is too deep.
class DepthGuard {
 public:
  explicit DepthGuard(Parser& p) : p_(p), ok(p.Enter()) {}
  ~DepthGuard() {
    if (ok) p_.Leave();
  }

 private:
  Parser& p_;

 public:
  const bool ok;
};

// Restores a Parser field on scope exit.
template <typename T>
class Restore {
 public:
  Restore(T& field, T value) : field_(field), saved_(field) { field_ = value; }
  ~Restore() { field_ = saved_; }

 private:
  T& field_;
  T saved_;
};

}  // namespace fusion::parse
