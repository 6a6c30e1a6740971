// Expressions, by falling precedence: postfix, prefix, `as`, `* / %`, `+ -`, `<< >>`, `&`, `^`,
// `|`, comparisons, `&&`, `||`.
#include "base/gpu_api.h"
#include "parse/parser.h"

namespace fusion::parse {

namespace {
// Binding power of a binary operator; 0 when `k` is not one.
auto Precedence(TokenKind k) -> int {
  switch (k) {
    case TokenKind::PipePipe: return 1;
    case TokenKind::AmpAmp: return 2;
    case TokenKind::EqEq:
    case TokenKind::NotEq:
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq: return 3;
    case TokenKind::Pipe: return 4;
    case TokenKind::Caret: return 5;
    case TokenKind::Amp: return 6;
    case TokenKind::Shl:
    case TokenKind::Shr: return 7;
    case TokenKind::Plus:
    case TokenKind::Minus: return 8;
    case TokenKind::Star:
    case TokenKind::Slash:
    case TokenKind::Percent: return 9;
    default: return 0;
  }
}
}  // namespace

// expr = binary(1)
auto Parser::ParseExpr() -> ast::Expr* { return ParseBinary(1); }

// An expression in which `Name {` does not start a struct literal (if/while/for heads).
auto Parser::ParseExprNoStruct() -> ast::Expr* {
  Restore<bool> no_struct(no_struct_, true);
  return ParseExpr();
}

// binary(p) = cast_expr { op(q >= p) binary(q + 1) }
auto Parser::ParseBinary(int min_prec) -> ast::Expr* {
  DepthGuard guard(*this);
  if (!guard.ok) return nullptr;
  SourceLoc begin = Loc();
  ChainGuard chain(*this);
  ast::Expr* lhs = ParseCastLevel();
  while (true) {
    int prec = Precedence(cur().kind);
    if (in_launch_config_ && at(TokenKind::Shr)) break;  // `>>>` ends a launch configuration
    if (prec == 0 || prec < min_prec || AtNewlineBreak()) break;
    // `k<<<grid, block>>>(…)` without `launch` lexes as `k << <`.
    if (at(TokenKind::Shl) && peek().kind == TokenKind::Less && peek().offset == cur().offset + 2) {
      if (auto* name = As<ast::Name>(lhs)) {
        Error(diag::Kind::LaunchWithoutKeyword, {RangeOf(cur()).begin, RangeOf(peek()).end}, {name->name});
        return nullptr;
      }
    }
    if (!chain.Grow(RangeOf(cur()))) return nullptr;
    auto* b = tree_.Make<ast::Binary>({begin, 0});
    b->op_range = RangeOf(cur());
    b->op = Advance().kind;
    b->lhs = lhs;
    b->rhs = ParseBinary(prec + 1);
    b->range = RangeFrom(begin);
    if (!lhs || !b->rhs) return nullptr;
    lhs = b;
  }
  return lhs;
}

// cast_expr = unary { "as" type }
auto Parser::ParseCastLevel() -> ast::Expr* {
  SourceLoc begin = Loc();
  ChainGuard chain(*this);
  ast::Expr* e = ParseUnary();
  while (at(TokenKind::KwAs) && !AtNewlineBreak()) {
    if (!chain.Grow(RangeOf(cur()))) return nullptr;
    Advance();
    auto* c = tree_.Make<ast::Cast>({begin, 0});
    c->expr = e;
    c->target = ParseType();
    c->range = RangeFrom(begin);
    if (!e || !c->target) return nullptr;
    e = c;
    if (AtShiftAfterTypeArgs()) return ShiftAfterCast(begin);
  }
  return e;
}

// After `x as vec<i32, 2>>>1` the first `>` of `>>` closed the type arguments and the rest, a
// `>`, is followed right away by another `>` (or by `>=`, from `>>>=`): that cannot continue the
// expression (a comparison whose right side starts with `>`), so a shift of the cast value was
// meant.
auto Parser::AtShiftAfterTypeArgs() const -> bool {
  return pos_ == split_pos_ && at(TokenKind::Greater) &&
         (peek().kind == TokenKind::Greater || peek().kind == TokenKind::GreaterEq) &&
         peek().offset == cur().offset + 1;
}

// One error that says how to write the shift, with the shift's right operand (parsed quietly to
// find its text; `…` when there is none); the expression is dropped.
auto Parser::ShiftAfterCast(SourceLoc begin) -> ast::Expr* {
  std::string cast(tokens_.text.substr(begin.offset, last_end_ - begin.offset));
  SourceRange where{{tokens_.file, cur().offset - 1}, peek().offset + peek().length};  // all of `>>>`
  bool assign = peek().kind == TokenKind::GreaterEq;  // `>>>=`: a cast cannot be assigned to
  Advance();
  Advance();
  std::string operand = "…";
  if (!AtNewlineBreak()) {
    Restore<bool> quiet(recovering_, true);
    uint32_t rhs_begin = cur().offset;
    if (ParseBinary(Precedence(TokenKind::Shr) + 1))
      operand = std::string(tokens_.text.substr(rhs_begin, last_end_ - rhs_begin));
  }
  Error(assign ? diag::Kind::ShiftAssignAfterTypeArgs : diag::Kind::ShiftAfterTypeArgs, where,
        {cast, operand});
  return nullptr;
}

// unary = ( "-" | "!" | "~" | "*" | "&" ) unary | postfix
auto Parser::ParseUnary() -> ast::Expr* {
  switch (cur().kind) {
    case TokenKind::Minus:
    case TokenKind::Bang:
    case TokenKind::Tilde:
    case TokenKind::Star:
    case TokenKind::Amp: {
      DepthGuard guard(*this);
      if (!guard.ok) return nullptr;
      SourceLoc begin = Loc();
      auto* u = tree_.Make<ast::Unary>({begin, 0});
      u->op = Advance().kind;
      u->operand = ParseUnary();
      u->range = RangeFrom(begin);
      return u->operand ? u : nullptr;
    }
    default:
      return ParsePostfix();
  }
}

// postfix = primary { "(" args ")" | "[" expr "]" | "." ident }
auto Parser::ParsePostfix() -> ast::Expr* {
  ChainGuard chain(*this);
  ast::Expr* e = ParsePrimary();
  while (e && !AtNewlineBreak()) {
    SourceLoc begin = e->loc();
    if (at(TokenKind::LParen)) {
      if (!chain.Grow(RangeOf(cur()))) return nullptr;
      auto* call = tree_.Make<ast::Call>({begin, 0});
      call->callee = e;
      if (!ParseCallArgs(call->args, call->named_args)) return nullptr;
      call->range = RangeFrom(begin);
      e = call;
    } else if (at(TokenKind::Less) && (ast::As<ast::Name>(e) || ast::As<ast::Field>(e))) {
      // Generic builtins: alloc<T>(n), dynamic_shared<T>(), unpack_half2<T>(u), gpu.alloc<T>(n) and the other gpu.*
      // functions that give a *T (base/gpu_api.def).
      bool generic = false;
      if (auto* n = ast::As<ast::Name>(e)) {
        generic = n->name == "alloc" || n->name == "dynamic_shared" || n->name == "unpack_half2";
      } else if (auto* f = ast::As<ast::Field>(e); f && ast::As<ast::Name>(f->base) &&
                                                     ast::As<ast::Name>(f->base)->name == "gpu") {
        int i = GpuApiIndex(f->name);
        generic = i >= 0 && kGpuApi[i].result[0] == 'T';
      } else if (auto* f = ast::As<ast::Field>(e); f && ast::As<ast::Name>(f->base) &&
                                                     ast::As<ast::Name>(f->base)->name == "tensor") {
        // `tensor` names functions, never a value, so `tensor.NAME<` starts type arguments (the
        // checker says which functions take them, and suggests a name for a misspelt one).
        generic = true;
      }
      if (!generic) break;
      if (!chain.Grow(RangeOf(cur()))) return nullptr;
      Advance();
      auto* call = tree_.Make<ast::Call>({begin, 0});
      call->callee = e;
      {
        Restore<int> nest(nest_, nest_ + 1);
        call->type_args.push_back(ParseType());
        ExpectCloseAngle("`>` after the type argument");
      }
      if (!at(TokenKind::LParen)) {
        ErrorAtCur(diag::Kind::ExpectedToken, {"`(`", lex::Describe(cur().kind)});
        return nullptr;
      }
      if (!ParseCallArgs(call->args, call->named_args)) return nullptr;
      call->range = RangeFrom(begin);
      e = call;
    } else if (at(TokenKind::LBracket)) {
      if (!chain.Grow(RangeOf(cur()))) return nullptr;
      Advance();
      auto* idx = tree_.Make<ast::Index>({begin, 0});
      idx->base = e;
      {
        Restore<int> nest(nest_, nest_ + 1);
        idx->index = ParseExpr();
        while (idx->index && Consume(TokenKind::Comma)) {
          ast::Expr* more = ParseExpr();
          if (!more) break;
          idx->more.push_back(more);
        }
        Expect(TokenKind::RBracket);
      }
      idx->range = RangeFrom(begin);
      if (!idx->index) return nullptr;
      e = idx;
    } else if (at(TokenKind::Dot)) {
      if (!chain.Grow(RangeOf(cur()))) return nullptr;
      Advance();
      auto* f = tree_.Make<ast::Field>({begin, 0});
      f->base = e;
      if (!ExpectIdent("a field name", f->name, f->name_range)) return nullptr;
      f->range = RangeFrom(begin);
      e = f;
    } else {
      break;
    }
  }
  return e;
}

// args = "(" [ arg { "," arg } [ "," ] ] ")";  arg = [ ident ":" ] expr
// Named arguments (`scope: block`) follow the positional ones.
// False when an argument does not parse: the call is dropped, so that the checker does not count
// its arguments (one error, not a second "takes 2 arguments, but 1 was given").
auto Parser::ParseCallArgs(std::vector<ast::Expr*>& args, std::vector<ast::NamedArg>& named_args) -> bool {
  Expect(TokenKind::LParen);
  Restore<int> nest(nest_, nest_ + 1);
  Restore<bool> no_struct(no_struct_, false);
  Restore<bool> in_launch(in_launch_config_, false);
  while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
    if (at(TokenKind::Ident) && peek().kind == TokenKind::Colon) {
      ast::NamedArg named;
      named.name = Text(cur());
      SourceLoc nbegin = Loc();
      Advance();
      Advance();
      named.value = ParseExpr();
      named.range = RangeFrom(nbegin);
      if (!named.value) return Expect(TokenKind::RParen), false;
      named_args.push_back(named);
      if (!Consume(TokenKind::Comma)) break;
      continue;
    }
    ast::Expr* arg = ParseExpr();
    if (!arg) return Expect(TokenKind::RParen), false;
    if (!named_args.empty()) Error(diag::Kind::PositionalAfterNamed, arg->range);
    args.push_back(arg);
    if (!Consume(TokenKind::Comma)) break;
  }
  return Expect(TokenKind::RParen);
}

// primary = literal | ident | struct_lit | "(" expr ")" | array_lit
//         | "sizeof" "(" type ")" | "alignof" "(" type ")" | "offsetof" "(" type "," ident ")"
auto Parser::ParsePrimary() -> ast::Expr* {
  const lex::Token& t = cur();
  SourceRange r = RangeOf(t);
  switch (t.kind) {
    case TokenKind::IntLit:
    case TokenKind::CharLit: {
      auto* e = tree_.Make<ast::IntLit>(r);
      e->value = t.int_value;
      e->is_char = t.kind == TokenKind::CharLit;
      Advance();
      return e;
    }
    case TokenKind::FloatLit: {
      auto* e = tree_.Make<ast::FloatLit>(r);
      e->value = t.float_value;
      Advance();
      return e;
    }
    case TokenKind::StringLit: {
      auto* e = tree_.Make<ast::StringLit>(r);
      e->value = tokens_.strings[t.string_index];
      Advance();
      return e;
    }
    case TokenKind::KwTrue:
    case TokenKind::KwFalse: {
      auto* e = tree_.Make<ast::BoolLit>(r);
      e->value = t.kind == TokenKind::KwTrue;
      Advance();
      return e;
    }
    case TokenKind::KwNull:
      Advance();
      return tree_.Make<ast::NullLit>(r);
    case TokenKind::Ident: {
      std::string name = Text(t);
      if (peek().kind == TokenKind::LParen) {
        if (name == "sizeof") return ParseTypeQuery(ast::QueryKind::Sizeof);
        if (name == "alignof") return ParseTypeQuery(ast::QueryKind::Alignof);
        if (name == "offsetof") return ParseTypeQuery(ast::QueryKind::Offsetof);
      }
      // Name { field: … } is a struct literal, unless in a statement head or on a new line.
      if (!no_struct_ && peek().kind == TokenKind::LBrace && !peek().newline_before &&
          (peek(2).kind == TokenKind::RBrace ||
           (peek(2).kind == TokenKind::Ident && peek(3).kind == TokenKind::Colon))) {
        auto* type = tree_.Make<ast::NamedType>(r);
        type->name = name;
        Advance();
        return ParseStructLit(type);
      }
      auto* e = tree_.Make<ast::Name>(r);
      e->name = std::move(name);
      Advance();
      return e;
    }
    case TokenKind::LParen: {
      Advance();
      Restore<int> nest(nest_, nest_ + 1);
      Restore<bool> no_struct(no_struct_, false);
      Restore<bool> in_launch(in_launch_config_, false);
      ast::Expr* e = ParseExpr();
      if (!Expect(TokenKind::RParen)) return nullptr;
      return e;
    }
    case TokenKind::LBracket:
      return ParseArrayLit();
    case TokenKind::KwIf:
    case TokenKind::KwUnsafe:
      return StmtAsExpr();
    default:
      ErrorAtCur(diag::Kind::ExpectedExpr, {lex::Describe(t.kind)});
      return nullptr;
  }
}

// `let x = if c { a } else { b }` or `let v = unsafe { *p }` (Rust's forms): `if` and `unsafe`
// blocks are statements in Fusion. One error that says how to write it (naming the variable when
// the construct is a `let`'s whole initializer); the construct is parsed quietly, so that its
// blocks and `else` bring no errors of their own.
auto Parser::StmtAsExpr() -> ast::Expr* {
  bool is_if = at(TokenKind::KwIf);
  std::string how;
  if (init_let_ && cur().offset == let_init_offset_) {
    const std::string& name = init_let_->name;
    std::string decl = "declare `" + name + "` first (`var " + name + ": T`) and assign it ";
    how = decl + (is_if ? "in each branch" : "inside the block");
  } else {
    how = is_if ? "assign a variable in each branch instead" : "assign a variable inside the block instead";
  }
  ErrorAtCur(diag::Kind::StmtAsExpr, {is_if ? "if" : "unsafe { … }", how});
  Restore<bool> quiet(recovering_, true);
  // Its blocks' statements end recovery; `else` on the next line is still part of it.
  Restore<bool> inside(in_stmt_as_expr_, true);
  ParseStmt();
  return nullptr;
}

// array_lit = "[" [ expr { "," expr } [ "," ] ] "]" | "[" expr ";" expr "]"
auto Parser::ParseArrayLit() -> ast::Expr* {
  SourceLoc begin = Loc();
  Advance();
  Restore<int> nest(nest_, nest_ + 1);
  Restore<bool> no_struct(no_struct_, false);
  if (Consume(TokenKind::RBracket)) return tree_.Make<ast::ArrayLit>(RangeFrom(begin));
  ast::Expr* first = ParseExpr();
  if (!first) return nullptr;
  if (Consume(TokenKind::Semi)) {
    auto* rep = tree_.Make<ast::ArrayRepeat>({begin, 0});
    rep->value = first;
    rep->count = ParseExpr();
    if (!Expect(TokenKind::RBracket) || !rep->count) return nullptr;
    rep->range = RangeFrom(begin);
    return rep;
  }
  auto* lit = tree_.Make<ast::ArrayLit>({begin, 0});
  lit->elems.push_back(first);
  while (Consume(TokenKind::Comma)) {
    if (at(TokenKind::RBracket)) break;
    ast::Expr* e = ParseExpr();
    if (!e) return nullptr;
    lit->elems.push_back(e);
  }
  if (!Expect(TokenKind::RBracket)) return nullptr;
  lit->range = RangeFrom(begin);
  return lit;
}

// struct_lit = type "{" [ ident ":" expr { "," ident ":" expr } [ "," ] ] "}"
auto Parser::ParseStructLit(ast::TypeExpr* type) -> ast::Expr* {
  SourceLoc begin = type->loc();
  auto* lit = tree_.Make<ast::StructLit>({begin, 0});
  lit->struct_type = type;
  Expect(TokenKind::LBrace);
  Restore<int> nest(nest_, nest_ + 1);
  Restore<bool> no_struct(no_struct_, false);
  while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
    ast::FieldInit init;
    if (!ExpectIdent("a field name", init.name, init.range) || !Expect(TokenKind::Colon)) return nullptr;
    init.value = ParseExpr();
    if (!init.value) return nullptr;
    lit->fields.push_back(std::move(init));
    if (!Consume(TokenKind::Comma)) break;
  }
  if (!Expect(TokenKind::RBrace)) return nullptr;
  lit->range = RangeFrom(begin);
  return lit;
}

auto Parser::ParseTypeQuery(ast::QueryKind kind) -> ast::Expr* {
  SourceLoc begin = Loc();
  Advance();
  Expect(TokenKind::LParen);
  Restore<int> nest(nest_, nest_ + 1);
  auto* q = tree_.Make<ast::TypeQuery>({begin, 0});
  q->query = kind;
  q->target = ParseType();
  if (kind == ast::QueryKind::Offsetof) {
    if (!Expect(TokenKind::Comma) || !ExpectIdent("a field name", q->field, q->field_range)) return nullptr;
  }
  if (!Expect(TokenKind::RParen) || !q->target) return nullptr;
  q->range = RangeFrom(begin);
  return q;
}

}  // namespace fusion::parse
