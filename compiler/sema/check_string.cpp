// Strings and files (docs/strings.md): the `string` and `file` types, string operators (`+`,
// comparisons by content, `s[i]`), string and file methods, `io.*` functions and the `lines()` of
// a `for` loop. The table of methods and functions is base/string_api.def; each is a runtime call.
#include "base/check.h"
#include "sema/checker.h"

namespace fusion::sema {

namespace {

using B = ast::Builtin;

enum class Owner : uint8_t { String, File, Io };
struct StringApiFn {
  Owner owner;
  const char* name;
  B kind;
  const char* result;
  const char* params;
};
constexpr StringApiFn kStringApi[] = {
#define STRING_METHOD(name, kind, result, params) {Owner::String, #name, B::kind, result, params},
#define FILE_METHOD(name, kind, result, params) {Owner::File, #name, B::kind, result, params},
#define IO_FN(name, kind, result, params) {Owner::Io, #name, B::kind, result, params},
#include "base/string_api.def"
};

auto FindStringApi(Owner owner, const std::string& name) -> const StringApiFn* {
  for (const StringApiFn& f : kStringApi)
    if (f.owner == owner && name == f.name) return &f;
  return nullptr;
}

// "; did you mean `.find`?" for a near miss or another language's name, else empty.
auto NearHint(Owner owner, const std::string& name) -> std::string {
  // Names that other languages give a string method Fusion spells otherwise (or lacks).
  static const struct { const char* other; const char* hint; } kHabits[] = {
      {"length", "; the length in bytes is `.len()`"},
      {"size", "; the length in bytes is `.len()`"},
      {"substr", "; a part of a string is `.slice(from, to)`"},
      {"substring", "; a part of a string is `.slice(from, to)`"},
      {"index_of", "; did you mean `.find`?"},
      {"indexOf", "; did you mean `.find`?"},
      {"strip", "; did you mean `.trim`?"},
      {"split", "; there is no `split` yet (arrays cannot hold strings): use `.find` and `.slice`, or `for line in s.lines()`"},
  };
  if (owner == Owner::String)
    for (const auto& h : kHabits)
      if (name == h.other) return h.hint;
  std::string hint;
  size_t best = 3;
  for (const StringApiFn& f : kStringApi) {
    if (f.owner != owner) continue;
    size_t d = Distance(name, f.name);
    if (d < best) best = d, hint = std::string("; did you mean `") + (owner == Owner::Io ? "io." : ".") + f.name + "`?";
  }
  return hint;
}

// NearHint, else a pointer to the docs.
auto StringHint(Owner owner, const std::string& name) -> std::string {
  std::string hint = NearHint(owner, name);
  return hint.empty() ? "; see docs/strings.md" : hint;
}

}  // namespace

auto Checker::CountedNoun(const Type* t) -> std::string { return t->IsTensor() ? "tensor" : "`" + ToString(t) + "`"; }

// A counted value (host-only) where kernel or device function `fn` (`what`: "kernel", …) has it.
void Checker::CountedInDevice(SourceRange where, const Type* t, const std::string& what, const std::string& fn) {
  if (t->IsTensor())
    Error(diag::Kind::TensorInDevice, where, {what, fn});
  else
    Error(diag::Kind::CountedInDevice, where, {ToString(t), what, fn});
}

auto Checker::CountedHostOnly(ast::Expr* e, const Type* t) -> bool {
  if (!InDevice()) return true;
  CountedInDevice(e->range, t ? t : e->type, DeviceWhat(), fn_->name);
  return false;
}

// The arguments of a string API call against the table's letters; the result's type.
auto Checker::CheckStringApiArgs(ast::Call* e, const std::string& name, const char* result,
                                 const char* params) -> const Type* {
  for (ast::NamedArg& a : e->named_args) Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name + "`"});
  if (!e->type_args.empty()) Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
  size_t want = std::string_view(params).size();
  if (!BuiltinArgCount(e, name, want, want)) return types_->error();
  bool ok = true;
  for (size_t i = 0; i < want; i++) {
    ast::Expr* a = e->args[i];
    bool is_string = params[i] == 'S';
    const Type* t = CheckExpr(a, is_string ? types_->string() : types_->i64());
    if (!is_string && t->IsUntyped()) t = Finalize(a);
    if (t->IsError()) {
      ok = false;
      continue;
    }
    if (is_string ? !t->IsString() : !t->IsInt()) {
      Error(diag::Kind::BuiltinArg, a->range, {name, is_string ? "a `string`" : "an integer", ToString(Finalize(a))});
      if (is_string && t == types_->cstring()) Note(diag::Kind::NoteCstringToString, a->range);
      ok = false;
    }
  }
  if (!ok) return types_->error();
  switch (result[0]) {
    case 'v': return types_->void_type();
    case 'b': return types_->bool_type();
    case 'i': return types_->i64();
    case 'f': return types_->f64();
    case 'c': return types_->cstring();
    case 's': return types_->string();
    case 'F': return types_->file();
    case 'L':
      Error(diag::Kind::LinesOutsideFor, e->range);
      return types_->error();
  }
  FUSION_UNREACHABLE("string_api.def result " << result);
}

// io.open(path), io.read_file(path), …
auto Checker::CheckIoCall(ast::Call* e, ast::Field* callee) -> const Type* {
  callee->type = types_->void_type();
  callee->base->type = types_->void_type();
  const StringApiFn* fn = FindStringApi(Owner::Io, callee->name);
  if (!fn) {
    Error(diag::Kind::NoIoFunction, callee->name_range, {callee->name, StringHint(Owner::Io, callee->name)});
    CheckArgsAlone(e);
    return types_->error();
  }
  e->builtin = fn->kind;
  std::string name = "io." + callee->name;
  if (InDevice()) {
    Error(diag::Kind::HostOnlyInDevice, e->range, {"`" + name + "`", DeviceWhat(), fn_->name});
    CheckArgsAlone(e);
    return types_->error();
  }
  return CheckStringApiArgs(e, name, fn->result, fn->params);
}

void Checker::NoteStringField(const ast::Field* e, const Type* self) {
  Owner owner = self->IsString() ? Owner::String : Owner::File;
  std::string hint = FindStringApi(owner, e->name) ? "; `" + e->name + "` is one: call it, `." + e->name + "()`"
                                                   : NearHint(owner, e->name);
  if (hint.empty()) return;  // nothing near: the error says enough
  Note(diag::Kind::NoteStringField, e->name_range, {ToString(self), hint});
}

// s.find(t), f.read_line(), …
auto Checker::CheckStringMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type* {
  callee->type = types_->void_type();
  e->self = callee->base;
  Owner owner = self->IsString() ? Owner::String : Owner::File;
  const StringApiFn* fn = FindStringApi(owner, callee->name);
  if (!fn) {
    Error(diag::Kind::NoTensorMethod, callee->name_range, {ToString(self), callee->name, StringHint(owner, callee->name)});
    CheckArgsAlone(e);
    return types_->error();
  }
  e->builtin = fn->kind;
  if (!CountedHostOnly(callee->base)) {
    CheckArgsAlone(e);
    return types_->error();
  }
  return CheckStringApiArgs(e, "." + callee->name, fn->result, fn->params);
}

// The value a method is called on. A literal's methods are a string's: `"a,b".find(",")` (a
// cstring has none). A function's name is no receiver (`g.lines()` for `g().lines()`): said so,
// with what the method needs when that is known (`needs`), rather than whatever naming the
// function as a value (a C function pointer) would report. `call`: the method's call as written
// (`lines()`, `find(…)`), for the message.
auto Checker::CheckReceiver(ast::Expr* base, const std::string& call, const char* needs) -> const Type* {
  if (auto* name = As<ast::Name>(base); name && !name->type) {
    if (auto* fn = As<ast::FnDecl>(Lookup(name->name))) {
      name->decl = fn;
      std::string what = needs ? "; `." + call + "` needs " + needs : ", which has no methods";
      // Calling it is the fix where its result has methods (for `.lines()`: is a string or file).
      const Type* result = fn->fn_type ? fn->fn_type->elem : nullptr;
      bool has = result && (result->IsString() || result->kind == TypeKind::File);
      if (!needs) has = has || (result && (result->IsTensor() || result->IsVector() || result->is_handle));
      Error(diag::Kind::MethodOfFunction, base->range,
            {name->name, fn->fn_type ? ToString(fn->fn_type) : "fn", what,
             has ? ": call it first, `" + name->name + "()." + call + "`" : ""});
      return name->type = types_->error();
    }
  }
  return CheckValue(base, As<ast::StringLit>(base) ? types_->string() : nullptr);
}

// The `lines()` call of `for line in x.lines()`: the lines of a string or a file.
auto Checker::CheckLinesCall(ast::Expr* e) -> bool {
  auto* call = As<ast::Call>(e);
  auto* callee = call ? As<ast::Field>(call->callee) : nullptr;
  if (!callee || callee->name != "lines") {
    CheckValue(e);
    Error(diag::Kind::ForNotRange, e->range);
    return false;
  }
  const Type* self = CheckReceiver(callee->base, "lines()", "a `string` or a `file`");
  if (self->IsError()) return false;
  if (!self->IsString() && self->kind != TypeKind::File) {
    Error(diag::Kind::NoTensorMethod, callee->name_range, {ToString(self), "lines", "; a `string` or a `file` has it"});
    CheckArgsAlone(call);
    return false;
  }
  callee->type = types_->void_type();
  call->self = callee->base;
  call->builtin = self->IsString() ? B::StrLines : B::FileLines;
  call->type = types_->string();
  if (!CountedHostOnly(callee->base)) return false;
  return BuiltinArgCount(call, ".lines", 0, 0);
}

// a + b (concatenation), comparisons by content. A string literal on either side is a `string`.
auto Checker::CheckStringBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type* {
  // (Also two literals under `+` or a comparison: "a" + "b" and "ab" < "abc" mean text.)
  for (ast::Expr* side : {e->lhs, e->rhs})
    if (As<ast::StringLit>(side) && side->type == types_->cstring()) side->type = types_->string();
  lt = e->lhs->type, rt = e->rhs->type;
  const char* spelled = lex::Spelling(e->op);
  if (!lt->IsString() || !rt->IsString()) {
    Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(Finalize(e->lhs)), ToString(Finalize(e->rhs))});
    if (lt == types_->cstring() || rt == types_->cstring()) Note(diag::Kind::NoteCstringToString, e->range);
    return types_->error();
  }
  if (!CountedHostOnly(e, types_->string())) return types_->error();
  switch (e->op) {
    case TokenKind::Plus: return types_->string();
    case TokenKind::EqEq:
    case TokenKind::NotEq:
    case TokenKind::Less:
    case TokenKind::LessEq:
    case TokenKind::Greater:
    case TokenKind::GreaterEq: return types_->bool_type();
    default:
      Error(diag::Kind::BinaryTypes, e->op_range, {spelled, ToString(lt), ToString(rt)});
      return types_->error();
  }
}

// s[i]: the byte at i (a `u8`), bounds-checked.
auto Checker::CheckStringIndex(ast::Index* e) -> const Type* {
  if (!e->more.empty()) {
    Error(diag::Kind::StringIndexCount, e->more[0]->range);
    return types_->error();
  }
  const Type* it = CheckExpr(e->index, types_->i64());
  if (it->IsUntyped()) it = Finalize(e->index);
  if (it->IsError()) return it;
  if (!it->IsInt()) {
    Error(diag::Kind::IndexNotInteger, e->index->range, {ToString(it)});
    return types_->error();
  }
  if (!CountedHostOnly(e, types_->string())) return types_->error();
  return types_->u8();
}

}  // namespace fusion::sema
