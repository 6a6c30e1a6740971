// Declarations: fn, struct, union, enum, opaque, type, const, static, extern, import; and types.
#include "parse/parser.h"

namespace fusion::parse {

auto Parser::AtDeclStart() const -> bool {
  switch (cur().kind) {
    case TokenKind::KwFn:
    case TokenKind::KwStruct:
    case TokenKind::KwUnion:
    case TokenKind::KwEnum:
    case TokenKind::KwOpaque:
    case TokenKind::KwType:
    case TokenKind::KwConst:
    case TokenKind::KwStatic:
    case TokenKind::KwExtern:
    case TokenKind::KwImport:
    case TokenKind::At:
      return true;
    case TokenKind::KwUnsafe:
      return peek().kind == TokenKind::KwFn;
    default:
      return false;
  }
}

// decl = { attribute } ( fn_decl | struct_decl | enum_decl | opaque_decl | type_alias
//                        | const_decl | static_decl | import_decl )
auto Parser::ParseDecl() -> ast::Decl* {
  std::vector<ast::Attribute> attrs = ParseAttributes();
  // Functions and structs keep their attributes for the checker; no other declaration takes any.
  bool takes_attrs = at(TokenKind::KwFn) || at(TokenKind::KwUnsafe) || at(TokenKind::KwStruct) ||
                     at(TokenKind::KwUnion) || at(TokenKind::KwExtern) || at(TokenKind::KwOpaque);
  if (!takes_attrs && AtDeclStart())
    for (const ast::Attribute& a : attrs) diags_.Report(diag::Kind::UnknownAttribute, a.range, {a.name});
  ast::Decl* decl = nullptr;
  switch (cur().kind) {
    case TokenKind::KwUnsafe:
      if (peek().kind == TokenKind::KwFn) {
        Advance();
        decl = ParseFn(std::move(attrs), /*is_unsafe=*/true);
        break;
      }
      [[fallthrough]];
    case TokenKind::KwFn:
      decl = ParseFn(std::move(attrs), false);
      break;
    case TokenKind::KwStruct:
    case TokenKind::KwUnion:
      decl = ParseStruct(std::move(attrs));
      break;
    case TokenKind::KwEnum:
      decl = ParseEnum();
      break;
    case TokenKind::KwOpaque: {
      // opaque_decl = "opaque" ident ";"
      SourceLoc begin = Loc();
      Advance();
      auto* d = tree_.Make<ast::OpaqueDecl>({begin, 0});
      d->attrs = std::move(attrs);
      if (!ExpectIdent("a type name", d->name, d->name_range)) return Synchronize(), nullptr;
      d->range = RangeFrom(begin);
      ExpectStmtEnd();
      decl = d;
      break;
    }
    case TokenKind::KwType: {
      // type_alias = "type" ident "=" type ";"
      SourceLoc begin = Loc();
      Advance();
      auto* d = tree_.Make<ast::TypeAliasDecl>({begin, 0});
      if (!ExpectIdent("a type name", d->name, d->name_range) || !Expect(TokenKind::Eq))
        return Synchronize(), nullptr;
      d->aliased = ParseType();
      d->range = RangeFrom(begin);
      ExpectStmtEnd();
      decl = d;
      break;
    }
    case TokenKind::KwConst:
    case TokenKind::KwStatic:
      decl = ParseConst();
      break;
    case TokenKind::KwImport:
      decl = ParseImport();
      break;
    case TokenKind::KwExtern:
      ParseExternBlock(std::move(attrs));  // adds its functions to the tree itself
      return nullptr;
    default:
      ErrorAtCur(diag::Kind::ExpectedDecl, {lex::Describe(cur().kind)});
      Synchronize();
      return nullptr;
  }
  return decl;
}

// Whether the `(` at the current token opens a tuple: a `,` at its own level before its `)`.
auto Parser::AtTuple() const -> bool {
  int depth = 0;
  for (size_t n = 0;; n++) {
    TokenKind k = peek(n).kind;
    if (k == TokenKind::Eof) return false;
    if (k == TokenKind::LParen || k == TokenKind::LBracket || k == TokenKind::LBrace) depth++;
    if (k == TokenKind::RParen || k == TokenKind::RBracket || k == TokenKind::RBrace) {
      if (--depth == 0) return false;
    }
    if (k == TokenKind::Comma && depth == 1) return true;
  }
}

// tuple = "(" expr "," expr { "," expr } [ "," ] ")"
auto Parser::ParseTuple() -> ast::Expr* {
  SourceLoc begin = Loc();
  Expect(TokenKind::LParen);
  Restore<int> nest(nest_, nest_ + 1);
  auto* t = tree_.Make<ast::TupleLit>({begin, 0});
  while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
    ast::Expr* e = ParseExpr();
    if (!e) return nullptr;
    t->elems.push_back(e);
    if (!Consume(TokenKind::Comma)) break;
  }
  if (!Expect(TokenKind::RParen)) return nullptr;
  t->range = RangeFrom(begin);
  return t;
}

// attribute = "@" ident [ "(" [ attr_arg { "," attr_arg } ] ")" ];  attr_arg = [ ident ":" ] ( tuple | expr )
auto Parser::ParseAttributes() -> std::vector<ast::Attribute> {
  std::vector<ast::Attribute> attrs;
  while (at(TokenKind::At)) {
    SourceLoc begin = Loc();
    Advance();
    ast::Attribute attr;
    SourceRange name_range;
    if (!ExpectIdent("an attribute name", attr.name, name_range)) break;
    if (Consume(TokenKind::LParen)) {
      Restore<int> nest(nest_, nest_ + 1);
      while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
        std::string key;  // "" for a positional argument: @symbol("name")
        if (at(TokenKind::Ident) && peek().kind == TokenKind::Colon) {
          key = Text(Advance());
          Advance();
        }
        ast::Expr* value = at(TokenKind::LParen) && AtTuple() ? ParseTuple() : ParseExpr();
        if (!value) break;
        attr.args.emplace_back(key, value);
        if (!Consume(TokenKind::Comma)) break;
      }
      Expect(TokenKind::RParen);
    }
    attr.range = RangeFrom(begin);
    attrs.push_back(std::move(attr));
  }
  return attrs;
}

// fn_signature = "fn" ident "(" [ param { "," param } [ "," ] ] ")" [ "->" type ]
// param = ident ":" type;  an extern function may end its parameters with "..." (variadic).
// Fills `fn`; false (after a diagnostic and recovery) when it does not parse.
auto Parser::ParseFnSignature(ast::FnDecl* fn, SourceLoc begin) -> bool {
  Expect(TokenKind::KwFn);
  if (!ExpectIdent("a function name", fn->name, fn->name_range)) return Synchronize(), false;
  if (!Expect(TokenKind::LParen)) return Synchronize(), false;
  {
    Restore<int> nest(nest_, nest_ + 1);
    while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
      if (at(TokenKind::Ellipsis)) {
        if (!fn->is_extern) ErrorAtCur(diag::Kind::VariadicNotExtern, {fn->name});
        fn->is_variadic = true;
        Advance();
        break;
      }
      SourceLoc pbegin = Loc();
      auto* param = tree_.Make<ast::Param>({pbegin, 0});
      if (!ExpectIdent("a parameter name", param->name, param->name_range) || !Expect(TokenKind::Colon))
        return Synchronize(), false;
      param->declared_type = ParseType();
      param->range = RangeFrom(pbegin);
      fn->params.push_back(param);
      if (!Consume(TokenKind::Comma)) break;
    }
    if (!Expect(TokenKind::RParen)) return Synchronize(), false;
  }
  if (Consume(TokenKind::Arrow)) fn->ret = ParseType();
  fn->range = RangeFrom(begin);
  return true;
}

// fn_decl = [ "unsafe" ] fn_signature block
auto Parser::ParseFn(std::vector<ast::Attribute> attrs, bool is_unsafe) -> ast::FnDecl* {
  SourceLoc begin = Loc();
  auto* fn = tree_.Make<ast::FnDecl>({begin, 0});
  fn->attrs = std::move(attrs);
  fn->is_unsafe = is_unsafe;
  if (!ParseFnSignature(fn, begin)) return nullptr;
  if (!at(TokenKind::LBrace)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"`{` to begin the function body", lex::Describe(cur().kind)});
    Synchronize();
    return fn;
  }
  fn->body = ParseBlock();
  return fn;
}

// extern_block = "extern" [ string | "cuda" ( string | "(" expr ")" ) ] "{" { extern_fn } "}"
// extern_fn = { attribute } [ "safe" ] fn_signature ";"
// `safe` is a keyword only here, before `fn`. Each function becomes a declaration of the file.
void Parser::ParseExternBlock(std::vector<ast::Attribute> block_attrs) {
  // The block's own attribute: @on_load(f); and @noalloc, which each of its functions takes.
  std::string on_load;
  SourceRange on_load_range;
  std::vector<ast::Attribute> each_fn_attrs;
  for (const ast::Attribute& a : block_attrs) {
    if (a.name == "noalloc") {
      each_fn_attrs.push_back(a);
      continue;
    }
    if (a.name != "on_load") {
      diags_.Report(diag::Kind::UnknownAttribute, a.range, {a.name});
      continue;
    }
    auto* name = a.args.size() == 1 && a.args[0].first.empty() ? As<ast::Name>(a.args[0].second) : nullptr;
    if (!name) {
      diags_.Report(diag::Kind::AttributeArgs, a.range, {a.name, "the name of a function: `@on_load(check_version)`"});
      continue;
    }
    on_load = name->name;
    on_load_range = name->range;
  }
  bool first = true;
  Advance();  // extern
  bool has_library = false;
  std::string library;
  SourceRange library_range;
  // extern cuda "file.cu" { … } | extern cuda (SOURCE) { … }: CUDA C kernels.
  bool is_cuda = false;
  std::string cuda_path;
  ast::Expr* cuda_source = nullptr;
  SourceRange cuda_range;
  if (at(TokenKind::Ident) && Text(cur()) == "cuda" &&
      (peek().kind == TokenKind::StringLit || peek().kind == TokenKind::LParen)) {
    is_cuda = true;
    Advance();
    if (at(TokenKind::StringLit)) {
      cuda_range = RangeOf(cur());
      cuda_path = tokens_.strings[Advance().string_index];
    } else {
      Advance();  // (
      Restore<int> nest(nest_, nest_ + 1);
      cuda_source = ParseExpr();
      if (!cuda_source || !Expect(TokenKind::RParen, "`)` after the CUDA source")) return Synchronize();
      cuda_range = cuda_source->range;
    }
    if (!at(TokenKind::LBrace)) {
      ErrorAtCur(diag::Kind::ExpectedToken, {"`{` to begin the CUDA kernel declarations", lex::Describe(cur().kind)});
      return Synchronize();
    }
  }
  if (!is_cuda && at(TokenKind::StringLit)) {
    has_library = true;
    library_range = RangeOf(cur());
    library = tokens_.strings[Advance().string_index];
  }
  if (!Expect(TokenKind::LBrace, has_library ? "`{` to begin the extern block" : "a library name string or `{`"))
    return Synchronize();
  while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
    if (Consume(TokenKind::Semi)) continue;
    size_t start = pos_;
    SourceLoc begin = Loc();
    std::vector<ast::Attribute> attrs = ParseAttributes();
    bool is_safe = false;
    if (at(TokenKind::Ident) && Text(cur()) == "safe" && peek().kind == TokenKind::KwFn) {
      is_safe = true;
      Advance();
    }
    if (!at(TokenKind::KwFn)) {
      ErrorAtCur(diag::Kind::ExpectedToken, {"`fn` (an extern block holds function declarations)", lex::Describe(cur().kind)});
      Synchronize();
      if (pos_ == start) Advance();  // always make progress
      continue;
    }
    auto* fn = tree_.Make<ast::FnDecl>({begin, 0});
    fn->attrs = std::move(attrs);
    fn->attrs.insert(fn->attrs.end(), each_fn_attrs.begin(), each_fn_attrs.end());
    fn->is_extern = true;
    fn->is_safe = is_safe;
    fn->has_library = has_library;
    fn->library = library;
    fn->library_range = library_range;
    fn->on_load = on_load;
    fn->on_load_range = on_load_range;
    fn->is_cuda = is_cuda;
    fn->cuda_path = cuda_path;
    fn->cuda_source = cuda_source;
    fn->cuda_range = cuda_range;
    fn->reports_on_load = first;
    first = false;
    if (!ParseFnSignature(fn, begin)) continue;
    if (at(TokenKind::LBrace)) {
      ErrorAtCur(diag::Kind::ExternBody, {fn->name});
      ParseBlock();
    } else {
      ExpectStmtEnd();
    }
    tree_.decls.push_back(fn);
  }
  Expect(TokenKind::RBrace);
  recovering_ = false;
}

// struct_decl = ( "struct" | "union" ) ident "{" [ field { sep field } [ sep ] ] "}"
// field = ident ":" type;  sep = "," | ";" | newline
auto Parser::ParseStruct(std::vector<ast::Attribute> attrs) -> ast::StructDecl* {
  SourceLoc begin = Loc();
  bool is_union = Advance().kind == TokenKind::KwUnion;
  auto* s = tree_.Make<ast::StructDecl>({begin, 0});
  s->is_union = is_union;
  s->attrs = std::move(attrs);
  if (!ExpectIdent("a type name", s->name, s->name_range)) return Synchronize(), nullptr;
  s->range = RangeFrom(begin);
  if (!Expect(TokenKind::LBrace)) return Synchronize(), nullptr;
  while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
    ast::FieldDecl field;
    if (!ExpectIdent("a field name", field.name, field.range) || !Expect(TokenKind::Colon)) {
      size_t start = pos_;
      Synchronize();
      if (pos_ == start) Advance();  // always make progress
      if (at(TokenKind::RBrace)) break;
      continue;
    }
    field.declared_type = ParseType();
    s->fields.push_back(std::move(field));
    if (Consume(TokenKind::Comma) || Consume(TokenKind::Semi)) continue;
    if (!at(TokenKind::RBrace) && !cur().newline_before) {
      ErrorAtCur(diag::Kind::ExpectedToken, {"`,` or `}`", lex::Describe(cur().kind)});
      Synchronize();
    }
  }
  Expect(TokenKind::RBrace);
  s->text_end = RangeFrom(begin).end;
  recovering_ = false;
  return s;
}

// enum_decl = "enum" ident [ ":" type ] "{" [ member { "," member } [ "," ] ] "}"
// member = ident [ "=" expr ]
auto Parser::ParseEnum() -> ast::EnumDecl* {
  SourceLoc begin = Loc();
  Advance();
  auto* e = tree_.Make<ast::EnumDecl>({begin, 0});
  if (!ExpectIdent("a type name", e->name, e->name_range)) return Synchronize(), nullptr;
  if (Consume(TokenKind::Colon)) e->backing = ParseType();
  e->range = RangeFrom(begin);
  if (!Expect(TokenKind::LBrace)) return Synchronize(), nullptr;
  Restore<int> nest(nest_, nest_ + 1);
  while (!at(TokenKind::RBrace) && !at(TokenKind::Eof)) {
    ast::EnumMember m;
    if (!ExpectIdent("an enum member name", m.name, m.range)) break;
    if (Consume(TokenKind::Eq)) m.value = ParseExpr();
    e->members.push_back(std::move(m));
    if (!Consume(TokenKind::Comma) && !Consume(TokenKind::Semi)) break;
  }
  Expect(TokenKind::RBrace);
  e->text_end = RangeFrom(begin).end;
  recovering_ = false;
  return e;
}

// const_decl = "const" ident [ ":" type ] "=" expr ";"
// static_decl = "static" ident ":" type [ "=" expr ] ";"
auto Parser::ParseConst() -> ast::ConstDecl* {
  SourceLoc begin = Loc();
  bool is_static = Advance().kind == TokenKind::KwStatic;
  auto* c = tree_.Make<ast::ConstDecl>({begin, 0});
  c->is_static = is_static;
  if (!ExpectIdent("a name", c->name, c->name_range)) return Synchronize(), nullptr;
  if (Consume(TokenKind::Colon)) c->declared_type = ParseType();
  if (Consume(TokenKind::Eq)) c->parse_error = !(c->init = ParseExpr());
  c->range = RangeFrom(begin);
  ExpectStmtEnd();
  return c;
}

// import_decl = "import" string ";"   (an identifier alone is reported and read as the string)
auto Parser::ParseImport() -> ast::ImportDecl* {
  SourceLoc begin = Loc();
  Advance();
  auto* d = tree_.Make<ast::ImportDecl>({begin, 0});
  // `import geom`, `import geom.fu`, `import shapes.geom` or `import lib/geom`, habits from other
  // languages: said once, and imported as `import "geom"`, `"geom.fu"`, `"shapes/geom"`,
  // `"lib/geom"` (a dotted module path is a path of directories).
  if (at(TokenKind::Ident)) {
    size_t n = 1;  // identifiers joined by `.` or `/` on the line: the name as written
    while ((peek(n).kind == TokenKind::Dot || peek(n).kind == TokenKind::Slash) && !peek(n).newline_before &&
           peek(n + 1).kind == TokenKind::Ident && !peek(n + 1).newline_before)
      n += 2;
    const lex::Token& after = peek(n);
    if (after.kind == TokenKind::Semi || after.kind == TokenKind::Eof || after.kind == TokenKind::RBrace ||
        after.newline_before) {
      const lex::Token& last = peek(n - 1);
      SourceRange name{{tokens_.file, cur().offset}, last.offset + last.length};
      std::string path(tokens_.text.substr(cur().offset, last.offset + last.length - cur().offset));
      bool is_file = path.size() > 3 && path.compare(path.size() - 3, 3, ".fu") == 0;
      if (path.find('/') == std::string::npos && !is_file)
        for (char& c : path) c = c == '.' ? '/' : c;
      d->path = path;
      Error(diag::Kind::ImportNotString, name, {d->path});
      for (size_t i = 0; i < n; i++) Advance();
      d->range = RangeFrom(begin);
      ExpectStmtEnd();
      return d;
    }
  }
  if (!at(TokenKind::StringLit)) {
    ErrorAtCur(diag::Kind::ExpectedToken, {"a file path string", lex::Describe(cur().kind)});
    Synchronize();
    return nullptr;
  }
  d->path = tokens_.strings[Advance().string_index];
  d->range = RangeFrom(begin);
  ExpectStmtEnd();
  return d;
}

// type = ident [ "<" type [ "," postfix_expr ] ">" ] | "*" type | "[" type ";" expr "]" | "(" type ")" | fn_type
// fn_type = "fn" "(" [ type { "," type } [ "," ] ] ")" [ "->" type ]
auto Parser::ParseType() -> ast::TypeExpr* {
  DepthGuard guard(*this);
  if (!guard.ok) return nullptr;
  SourceLoc begin = Loc();
  switch (cur().kind) {
    case TokenKind::Ident: {
      auto* t = tree_.Make<ast::NamedType>(RangeOf(cur()));
      t->name = Text(Advance());
      // The one generic type: tensor<T>.
      if (t->name == "tensor" && at(TokenKind::Less)) {
        Advance();
        Restore<int> nest(nest_, nest_ + 1);
        t->args.push_back(ParseType());
        ExpectCloseAngle("`>` after the element type");
        t->range = RangeFrom(begin);
      } else if (t->name == "vec" && at(TokenKind::Less)) {
        // A SIMD vector: vec<T, N>. N is a constant, written without operators (a literal, a
        // `const`, or parenthesized), so that its `>` ends the type.
        Advance();
        Restore<int> nest(nest_, nest_ + 1);
        t->args.push_back(ParseType());
        if (Expect(TokenKind::Comma, "`,` and the number of lanes after the element type")) t->lanes = ParsePostfix();
        ExpectCloseAngle("`>` after the number of lanes");
        t->range = RangeFrom(begin);
      }
      return t;
    }
    case TokenKind::Star: {
      Advance();
      auto* t = tree_.Make<ast::PointerType>({begin, 0});
      t->pointee = ParseType();
      t->range = RangeFrom(begin);
      return t;
    }
    case TokenKind::LBracket: {
      Advance();
      Restore<int> nest(nest_, nest_ + 1);
      auto* t = tree_.Make<ast::ArrayType>({begin, 0});
      t->elem = ParseType();
      if (Expect(TokenKind::Semi)) t->size = ParseExpr();
      Expect(TokenKind::RBracket);
      t->range = RangeFrom(begin);
      return t;
    }
    case TokenKind::LParen: {
      Advance();
      Restore<int> nest(nest_, nest_ + 1);
      ast::TypeExpr* t = ParseType();
      Expect(TokenKind::RParen);
      return t;
    }
    case TokenKind::KwFn: {
      Advance();
      auto* t = tree_.Make<ast::FnPointerType>({begin, 0});
      if (!Expect(TokenKind::LParen)) return nullptr;
      {
        Restore<int> nest(nest_, nest_ + 1);
        while (!at(TokenKind::RParen) && !at(TokenKind::Eof)) {
          if (at(TokenKind::Ellipsis)) {
            ErrorAtCur(diag::Kind::NotSupportedYet, {"a variadic function pointer type"});
            Advance();
            break;
          }
          ast::TypeExpr* p = ParseType();
          if (!p) break;
          t->params.push_back(p);
          if (!Consume(TokenKind::Comma)) break;
        }
        Expect(TokenKind::RParen);
      }
      if (Consume(TokenKind::Arrow)) t->ret = ParseType();
      t->range = RangeFrom(begin);
      return t;
    }
    default:
      break;
  }
  ErrorAtCur(diag::Kind::ExpectedType, {lex::Describe(cur().kind)});
  return nullptr;
}

}  // namespace fusion::parse
