// Statements: let/var, if, while, for, break, continue, return, blocks, assignments.
#include "parse/parser.h"

namespace fusion::parse {

// A statement ends at `;`, at a newline, before `}`, or at the end of the file.
void Parser::ExpectStmtEnd() {
  if (Consume(TokenKind::Semi)) {
    recovering_ = false;
    return;
  }
  if (at(TokenKind::RBrace) || at(TokenKind::Eof) || cur().newline_before) {
    recovering_ = false;
    return;
  }
  ErrorAtCur(diag::Kind::ExpectedStmtEnd, {lex::Describe(cur().kind)});
  Synchronize();
}

// block = "{" { stmt } "}"
auto Parser::ParseBlock(bool is_unsafe) -> ast::Block* {
  DepthGuard guard(*this);
  if (!guard.ok) return nullptr;
  SourceLoc begin = Loc();
  auto* block = tree_.Make<ast::Block>({begin, 0});
  block->is_unsafe = is_unsafe;
  if (!Expect(TokenKind::LBrace)) return block;
  Restore<int> nest(nest_, 0);
  Restore<bool> no_struct(no_struct_, false);
  while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
    size_t start = pos_;
    if (Consume(TokenKind::Semi)) continue;
    if (AtDeclStart()) {
      SourceRange r = RangeOf(cur());
      std::string what = lex::Spelling(cur().kind);
      ast::Decl* d = ParseDecl();
      if (d) diags_.Report(diag::Kind::DeclInsideFn, r, {what});
      // A misplaced `const` or `static` still declares its name, so that its uses give no more errors.
      if (auto* c = As<ast::ConstDecl>(d)) {
        auto* l = tree_.Make<ast::Let>(c->range);
        l->is_var = c->is_static;
        l->name = c->name;
        l->name_range = c->name_range;
        l->declared_type = c->declared_type;
        l->init = c->init;
        block->stmts.push_back(l);
      }
    } else if (ast::Stmt* s = ParseStmt()) {
      block->stmts.push_back(s);
    }
    if (pos_ == start) Advance();
  }
  Expect(TokenKind::RBrace);
  block->range = RangeFrom(begin);
  return block;
}

// Every statement that nests others does so through ParseBlock, ParseIf or ParseExpr, which
// count the nesting.
auto Parser::ParseStmt() -> ast::Stmt* {
  SourceLoc begin = Loc();
  switch (cur().kind) {
    case TokenKind::KwLet:
    case TokenKind::KwVar:
      return ParseLet();
    case TokenKind::KwIf:
      return ParseIf();
    case TokenKind::KwWhile:
      return ParseWhile();
    case TokenKind::KwFor:
      return ParseFor();
    case TokenKind::LBrace:
      return ParseBlock();
    case TokenKind::KwUnsafe:
      Advance();
      if (!at(TokenKind::LBrace)) {
        ErrorAtCur(diag::Kind::ExpectedToken, {"`{` after `unsafe`", lex::Describe(cur().kind)});
        Synchronize();
        return nullptr;
      }
      return ParseBlock(/*is_unsafe=*/true);
    case TokenKind::KwBreak:
    case TokenKind::KwContinue: {
      bool is_break = Advance().kind == TokenKind::KwBreak;
      ast::Stmt* s = is_break ? static_cast<ast::Stmt*>(tree_.Make<ast::Break>(RangeFrom(begin)))
                              : tree_.Make<ast::Continue>(RangeFrom(begin));
      ExpectStmtEnd();
      return s;
    }
    case TokenKind::KwReturn: {
      // return_stmt = "return" [ expr ] ";"
      Advance();
      auto* r = tree_.Make<ast::Return>({begin, 0});
      if (!at(TokenKind::Semi) && !at(TokenKind::RBrace) && !at(TokenKind::Eof) && !cur().newline_before)
        r->parse_error = !(r->value = ParseExpr());
      r->range = RangeFrom(begin);
      ExpectStmtEnd();
      return r;
    }
    case TokenKind::Ident: {
      // `shared` and `launch` are keywords only here: before `var`, and before `kernel<<<`.
      std::string word = Text(cur());
      if (word == "shared" && peek().kind == TokenKind::KwVar) {
        Advance();
        ast::Stmt* s = ParseLet();
        if (auto* let = ast::As<ast::Let>(s)) {
          let->is_shared = true;
          let->range = RangeFrom(begin);
        }
        return s;
      }
      if (word == "launch" && peek().kind == TokenKind::Ident && peek(2).kind == TokenKind::Shl)
        return ParseLaunch();
      return ParseSimpleStmt();
    }
    default:
      return ParseSimpleStmt();
  }
}

// launch_stmt = "launch" ident "<<<" expr "," expr [ "," expr [ "," expr ] ] ">>>" args ";"
// Inside `<<< >>>`, `>>` closes the configuration; a shift there needs parentheses.
auto Parser::ParseLaunch() -> ast::Stmt* {
  SourceLoc begin = Loc();
  Advance();  // launch
  auto* l = tree_.Make<ast::Launch>({begin, 0});
  ExpectIdent("a kernel name", l->kernel, l->kernel_range);
  Advance();  // <<
  if (!Expect(TokenKind::Less, "`<<<` after the kernel name")) return Synchronize(), nullptr;
  std::vector<ast::Expr*> config;
  {
    Restore<int> nest(nest_, nest_ + 1);
    Restore<bool> in_launch(in_launch_config_, true);
    while (!at(TokenKind::Shr) && !at(TokenKind::Eof)) {
      ast::Expr* e = ParseExpr();
      if (!e) return Synchronize(), nullptr;
      config.push_back(e);
      if (!Consume(TokenKind::Comma)) break;
    }
    if (!at(TokenKind::Shr) || peek().kind != TokenKind::Greater) {
      ErrorAtCur(diag::Kind::ExpectedToken, {"`>>>` to end the launch configuration", lex::Describe(cur().kind)});
      return Synchronize(), nullptr;
    }
    Advance();
    Advance();
  }
  if (config.size() < 2 || config.size() > 4) {
    Error(diag::Kind::LaunchConfig, RangeFrom(begin), {std::to_string(config.size())});
    l->parse_error = true;
  }
  if (config.size() > 0) l->grid = config[0];
  if (config.size() > 1) l->block = config[1];
  if (config.size() > 2) l->shared_bytes = config[2];
  if (config.size() > 3) l->stream = config[3];
  if (!at(TokenKind::LParen)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"`(` and the kernel's arguments", lex::Describe(cur().kind)});
    return Synchronize(), nullptr;
  }
  std::vector<ast::NamedArg> named;
  if (!ParseCallArgs(l->args, named)) return Synchronize(), nullptr;
  for (const ast::NamedArg& a : named) Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "a kernel launch"});
  l->range = RangeFrom(begin);
  ExpectStmtEnd();
  return l;
}

// let_stmt = ( "let" | "var" ) ident [ ":" type ] [ "=" expr ] ";"
auto Parser::ParseLet() -> ast::Stmt* {
  SourceLoc begin = Loc();
  auto* let = tree_.Make<ast::Let>({begin, 0});
  let->is_var = Advance().kind == TokenKind::KwVar;
  if (!ExpectIdent("a variable name", let->name, let->name_range)) return Synchronize(), nullptr;
  if (Consume(TokenKind::Colon)) let->declared_type = ParseType();
  if (Consume(TokenKind::Eq)) {
    Restore<const ast::Let*> name(init_let_, let);  // for StmtAsExpr's advice
    Restore<uint32_t> init(let_init_offset_, cur().offset);
    let->parse_error = !(let->init = ParseExpr());
  }
  let->range = RangeFrom(begin);
  ExpectStmtEnd();
  return let;
}

// if_stmt = "if" expr block [ "else" ( if_stmt | block ) ]
auto Parser::ParseIf() -> ast::Stmt* {
  SourceLoc begin = Loc();
  Advance();
  auto* s = tree_.Make<ast::If>({begin, 0});
  s->cond = ParseExprNoStruct();
  s->range = RangeFrom(begin);
  if (!at(TokenKind::LBrace)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"`{` after the condition", lex::Describe(cur().kind)});
    Synchronize();
    return nullptr;
  }
  s->then_block = ParseBlock();
  // `}` then `else` on the next line would end the `if` statement (Go's rule); say so, and go on
  // as if it were on the same line.
  if (at(TokenKind::KwElse) && cur().newline_before && !recovering_ && !in_stmt_as_expr_)
    diags_.Report(diag::Kind::ElseOnNewLine, RangeOf(cur()));
  if (at(TokenKind::KwElse)) {
    Advance();
    if (at(TokenKind::KwIf)) {
      DepthGuard guard(*this);  // `else if` chains nest
      if (guard.ok) s->else_stmt = ParseIf();
    } else {
      s->else_stmt = ParseBlock();
    }
  }
  return s;
}

// while_stmt = "while" expr block
auto Parser::ParseWhile() -> ast::Stmt* {
  SourceLoc begin = Loc();
  Advance();
  auto* s = tree_.Make<ast::While>({begin, 0});
  s->cond = ParseExprNoStruct();
  s->range = RangeFrom(begin);
  if (!at(TokenKind::LBrace)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"`{` after the condition", lex::Describe(cur().kind)});
    Synchronize();
    return nullptr;
  }
  s->body = ParseBlock();
  return s;
}

// for_stmt = "for" ident "in" expr ".." expr block
auto Parser::ParseFor() -> ast::Stmt* {
  SourceLoc begin = Loc();
  Advance();
  auto* s = tree_.Make<ast::For>({begin, 0});
  if (at(TokenKind::LParen)) {
    if (!ParseCStyleFor(s)) return Synchronize(), nullptr;
  } else {
    if (!ExpectIdent("a loop variable name", s->name, s->name_range) || !Expect(TokenKind::KwIn))
      return Synchronize(), nullptr;
    size_t start_first = pos_;
    s->start = ParseExprNoStruct();
    size_t start_last = pos_;
    // for line in x.lines(): no range (the checker makes sure the expression is a `lines()`).
    bool lines = s->start && at(TokenKind::LBrace);
    if (!lines && !Expect(TokenKind::DotDot, "`..` in the range")) return Synchronize(), nullptr;
    if (!lines) {
      SourceRange dots = RangeOf(tokens_.tokens[pos_ - 1]);
      bool inclusive = at(TokenKind::Eq) && cur().offset == dots.end;
      if (inclusive) Advance();
      size_t end_first = pos_;
      s->end = ParseExprNoStruct();
      if (inclusive && s->end) {
        auto* lit = As<ast::IntLit>(s->end);
        std::string past = lit ? std::to_string(lit->value + 1) : PlusOne(end_first, pos_);
        diags_.Report(diag::Kind::InclusiveRange, {dots.begin, RangeOf(tokens_.tokens[end_first - 1]).end},
              {TextOf(start_first, start_last), past});
      }
    }
    s->is_lines = lines;
  }
  s->range = RangeFrom(begin);
  if (!at(TokenKind::LBrace)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"`{` after the range", lex::Describe(cur().kind)});
    Synchronize();
    return nullptr;
  }
  s->body = ParseBlock();
  return s;
}

// The head of a C-style loop, `for (var i = 0; i < n; i++)`: one error that shows the Fusion
// loop; when the head has that shape, `s` gets its variable and bounds so the body checks cleanly.
// c_for_head = "(" [ ("var" | "let") ident "=" expr ] ";" [ ident ("<" | "<=") expr ] ";" … ")"
auto Parser::ParseCStyleFor(ast::For* s) -> bool {
  SourceLoc open = Loc();
  size_t open_index = pos_;
  size_t close = pos_;  // the matching `)`
  for (int depth = 0; close < tokens_.tokens.size(); close++) {
    TokenKind k = tokens_.tokens[close].kind;
    if (k == TokenKind::LParen) depth++;
    if (k == TokenKind::RParen && --depth == 0) break;
    if (k == TokenKind::Eof || k == TokenKind::LBrace) break;
  }
  if (close >= tokens_.tokens.size() || tokens_.tokens[close].kind != TokenKind::RParen) {
    Error(diag::Kind::CStyleFor, RangeOf(cur()), {"i", "0", "n"});
    return false;
  }
  if (close + 1 >= tokens_.tokens.size() || tokens_.tokens[close + 1].kind != TokenKind::LBrace) {
    Error(diag::Kind::CStyleFor, {open, RangeOf(tokens_.tokens[close]).end}, {"i", "0", "n"});
    return false;
  }
  SourceRange head{open, RangeOf(tokens_.tokens[close]).end};
  std::string start = "0", end = "n";
  s->name = "i";
  Advance();
  Restore<int> nest(nest_, nest_ + 1);
  if (at(TokenKind::KwVar) || at(TokenKind::KwLet)) Advance();
  if (at(TokenKind::Ident) && peek().kind == TokenKind::Eq) {
    s->name = Text(cur());
    s->name_range = RangeOf(cur());
    Advance();
    Advance();
    size_t first = pos_;
    s->start = ParseExpr();
    if (s->start) start = TextOf(first, pos_);
  }
  if (at(TokenKind::Semi) && peek().kind == TokenKind::Ident && Text(peek()) == s->name &&
      (peek(2).kind == TokenKind::Less || peek(2).kind == TokenKind::LessEq)) {
    bool le = peek(2).kind == TokenKind::LessEq;
    pos_ += 3;
    size_t first = pos_;
    s->end = ParseExpr();
    if (s->end) end = le ? PlusOne(first, pos_) : TextOf(first, pos_);
    if (auto* lit = As<ast::IntLit>(s->end); lit && le) end = std::to_string(lit->value + 1);
  }
  bool forever = close == open_index + 3 && tokens_.tokens[open_index + 1].kind == TokenKind::Semi &&
                 tokens_.tokens[open_index + 2].kind == TokenKind::Semi;  // `for (;;)`
  pos_ = close + 1;
  if (!s->start || !s->end) {
    if (forever) Error(diag::Kind::CStyleForEver, head);
    else Error(diag::Kind::CStyleFor, head, {s->name, start, end});
    return false;
  }
  diags_.Report(diag::Kind::CStyleFor, head, {s->name, start, end});  // the loop itself parses on
  return true;
}

// simple_stmt = expr [ assign_op expr ] ";"
auto Parser::ParseSimpleStmt() -> ast::Stmt* {
  SourceLoc begin = Loc();
  ast::Expr* e = ParseExpr();
  if (!e) {
    Synchronize();
    return nullptr;
  }
  switch (cur().kind) {
    case TokenKind::Eq:
    case TokenKind::PlusEq:
    case TokenKind::MinusEq:
    case TokenKind::StarEq:
    case TokenKind::SlashEq:
    case TokenKind::PercentEq:
    case TokenKind::AmpEq:
    case TokenKind::PipeEq:
    case TokenKind::CaretEq:
    case TokenKind::ShlEq:
    case TokenKind::ShrEq: {
      if (AtNewlineBreak()) break;
      auto* a = tree_.Make<ast::Assign>({begin, 0});
      a->op = Advance().kind;
      a->target = e;
      a->value = ParseExpr();
      a->range = RangeFrom(begin);
      ExpectStmtEnd();
      return a;
    }
    default:
      break;
  }
  auto* s = tree_.Make<ast::ExprStmt>(RangeFrom(begin));
  s->expr = e;
  ExpectStmtEnd();
  return s;
}

}  // namespace fusion::parse
