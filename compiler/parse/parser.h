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
  auto ParseFnSignature(ast::FnDecl* fn, SourceLoc begin) -> bool;
  void ParseExternBlock(std::vector<ast::Attribute> block_attrs);
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
  auto ParseCStyleFor(ast::For* s) -> bool;
  auto ParseSimpleStmt() -> ast::Stmt*;
  auto ParseLaunch() -> ast::Stmt*;
  void ExpectStmtEnd();

  // ---- expressions (parse_expr.cpp) ----
  auto ParseExpr() -> ast::Expr*;
  auto ParseExprNoStruct() -> ast::Expr*;
  auto ParseBinary(int min_prec) -> ast::Expr*;
  auto ParseCastLevel() -> ast::Expr*;
  auto AtShiftAfterTypeArgs() const -> bool;
  auto ShiftAfterCast(SourceLoc begin) -> ast::Expr*;
  auto StmtAsExpr() -> ast::Expr*;
  auto ParseUnary() -> ast::Expr*;
  auto ParsePostfix() -> ast::Expr*;
  auto ParsePrimary() -> ast::Expr*;
  auto ParseCallArgs(std::vector<ast::Expr*>& args, std::vector<ast::NamedArg>& named) -> bool;
  auto ParseTypeQuery(ast::QueryKind kind) -> ast::Expr*;
  auto ParseArrayLit() -> ast::Expr*;
  auto AtTuple() const -> bool;
  auto ParseTuple() -> ast::Expr*;
  auto ParseStructLit(ast::TypeExpr* type) -> ast::Expr*;

  // ---- tokens ----
  auto cur() const -> const lex::Token& { return pos_ == split_pos_ ? split_ : tokens_.tokens[pos_]; }
  auto peek(size_t n = 1) const -> const lex::Token& {
    size_t i = pos_ + n;
    return tokens_.tokens[i < tokens_.tokens.size() ? i : tokens_.tokens.size() - 1];
  }
  auto at(TokenKind k) const -> bool { return cur().kind == k; }
  auto Advance() -> const lex::Token&;
  auto Consume(TokenKind k) -> bool;
  // Consumes `k` or reports "expected `k`, found …" naming `what` when given.
  auto Expect(TokenKind k, const char* what = nullptr) -> bool;
  // Consumes the `>` that closes type arguments, also as the first character of `>>`, `>=` or
  // `>>=` (`alloc<vec<f32, 8>>(n)`): the rest of that token is then the current one.
  auto ExpectCloseAngle(const char* what) -> bool;
  auto ExpectIdent(const char* what, std::string& name, SourceRange& range) -> bool;
  auto Loc() const -> SourceLoc { return {tokens_.file, cur().offset}; }
  auto RangeOf(const lex::Token& t) const -> SourceRange {
    return {{tokens_.file, t.offset}, t.offset + t.length};
  }
  // From `begin` to the end of the last consumed token.
  auto RangeFrom(SourceLoc begin) const -> SourceRange { return {begin, last_end_}; }
  auto Text(const lex::Token& t) const -> std::string { return std::string(tokens_.TokenText(t)); }
  // `E + 1` for the expression of tokens [first, last), parenthesized unless it is one token.
  auto PlusOne(size_t first, size_t last) const -> std::string {
    return (last - first == 1 ? TextOf(first, last) : "(" + TextOf(first, last) + ")") + " + 1";
  }
  // The source text of tokens [first, last), as written.
  auto TextOf(size_t first, size_t last) const -> std::string {
    if (last <= first) return "";
    const lex::Token& a = tokens_.tokens[first];
    const lex::Token& b = tokens_.tokens[last - 1];
    return std::string(tokens_.text.substr(a.offset, b.offset + b.length - a.offset));
  }
  // A newline before the current token ends the expression (outside parentheses and brackets).
  auto AtNewlineBreak() const -> bool { return nest_ == 0 && cur().newline_before; }

  // ---- errors and recovery ----
  void Error(diag::Kind kind, SourceRange range, std::vector<std::string> args = {});
  // Reports at the current token; at the end of the file, just after the last token instead.
  void ErrorAtCur(diag::Kind kind, std::vector<std::string> args = {}) {
    SourceRange eof{{tokens_.file, last_end_}, last_end_};
    Error(kind, at(TokenKind::Eof) ? eof : RangeOf(cur()), std::move(args));
  }
  // Skips to the next statement boundary: after `;`, before `}`, or before a token on a new line.
  void Synchronize();
  // Guards recursion depth; false (after one diagnostic) when nesting is too deep.
  auto Enter() -> bool;
  void Leave() { depth_--; }
  // Reports NestingTooDeep at `range` and stops parsing the file.
  void TooDeep(SourceRange range);

  const lex::TokenizedBuffer& tokens_;
  diag::Consumer& diags_;
  ast::Tree tree_;
  size_t pos_ = 0;
  // The rest of a token whose first `>` closed type arguments (ExpectCloseAngle), standing for
  // the token at split_pos_ until it is consumed.
  lex::Token split_;
  size_t split_pos_ = SIZE_MAX;
  uint32_t last_end_ = 0;
  // The `let` whose initializer is being parsed, and where it starts (StmtAsExpr).
  const ast::Let* init_let_ = nullptr;
  uint32_t let_init_offset_ = UINT32_MAX;
  bool in_stmt_as_expr_ = false;  // parsing an `if` or `unsafe` block that StmtAsExpr reported
  int nest_ = 0;        // open ( and [ around the current token: newlines do not end statements
  int depth_ = 0;       // recursion depth
  int peak_ = 0;        // the deepest the tree being parsed reaches, in units of depth_ (see ChainGuard)
  bool no_struct_ = false;  // in `if`/`while`/`for` heads, `Name {` starts the block
  bool in_launch_config_ = false;  // between `<<<` and `>>>`: `>>` is not a shift
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

// A loop that wraps what it has parsed so far in a new node (`a + b + c`, `x as T as U`,
// `f(x)[i].y`) deepens the tree without recursing, so DepthGuard alone does not bound it.
// ChainGuard measures such a chain: the tree's height must stay within kMaxNesting too, since
// the checker and lowering recurse on it.
class ChainGuard {
 public:
  explicit ChainGuard(Parser& p) : p_(p), saved_peak_(p.peak_) { p.peak_ = p.depth_; }
  ~ChainGuard() {
    if (saved_peak_ > p_.peak_) p_.peak_ = saved_peak_;
  }
  // Call for each new node that wraps the chain, before parsing its other operands; false (after
  // one diagnostic at `where`) when the tree gets too deep.
  auto Grow(SourceRange where) -> bool {
    if (p_.too_deep_) return false;
    if (++p_.peak_ <= kMaxNesting) return true;
    p_.TooDeep(where);
    return false;
  }

 private:
  Parser& p_;
  int saved_peak_;
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
