// The front end's answers to an editor's questions (analysis.h). Every question starts from the
// same table: each place in a file that names a declaration (a name, a field, a type, a launched
// kernel, the declaration's own name), built from the trees' node lists; hover, definition and
// references look a place up in it, completion and signature help read the text before the cursor.
#include "lsp/analysis.h"

#include <algorithm>
#include <set>

#include "driver/load.h"
#include "fuse/fuse.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "sema/types.h"

namespace fusion::lsp {

namespace {

using ast::As;

auto Utf16Length(std::string_view s) -> int {
  int n = 0;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    n += c >= 0xF0 ? 2 : 1;            // four-byte sequences are surrogate pairs
  }
  return n;
}

auto Text(const SourceManager& sources, SourceRange r) -> std::string_view {
  std::string_view text = sources.file(r.begin.file).text();
  if (r.begin.offset > text.size() || r.end < r.begin.offset) return {};
  return text.substr(r.begin.offset, std::min<size_t>(r.end, text.size()) - r.begin.offset);
}

auto Contains(SourceRange r, uint32_t offset) -> bool {
  return r.begin.valid() && r.begin.offset <= offset && offset <= r.end;
}

auto IsIdentChar(char c) -> bool { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The struct a field access reads: of the base's type, or through a pointer to it.
auto StructOf(const sema::Type* t) -> const sema::Type* {
  if (t && t->kind == sema::TypeKind::Pointer) t = t->elem;
  return t && t->kind == sema::TypeKind::Struct ? t : nullptr;
}

auto TypeName(const sema::Type* t) -> std::string { return t ? sema::ToString(t) : "?"; }

// The C spelling of a Fusion type (the C ABI table of LANGUAGE.md), for an extern's prototype.
auto CType(const sema::Type* t) -> std::string {
  using K = sema::TypeKind;
  if (!t) return "?";
  switch (t->kind) {
    case K::Void: return "void";
    case K::Bool: return "_Bool";
    case K::Int:
      if (t->name == "isize") return "intptr_t";
      if (t->name == "usize") return "size_t";
      return std::string(t->is_signed ? "int" : "uint") + std::to_string(t->bits) + "_t";
    case K::Float: return t->bits == 32 ? "float" : t->bits == 64 ? "double" : t->name;
    case K::CString: return "const char*";
    case K::Pointer: return CType(t->elem) + "*";
    case K::Struct: return std::string(t->is_union ? "union " : "struct ") + t->name;
    case K::Enum: return "enum " + t->name;
    case K::Opaque: return "struct " + t->name;
    case K::FnPtr: {
      std::string s = CType(t->elem) + " (*)(";
      for (size_t i = 0; i < t->params.size(); i++) s += (i ? ", " : "") + CType(t->params[i]);
      return s + ")";
    }
    default: return sema::ToString(t);
  }
}

auto FnSignature(const SourceManager& sources, const ast::FnDecl* fn) -> std::string {
  std::string s;
  for (const ast::Attribute& a : fn->attrs) s += std::string(Text(sources, a.range)) + " ";
  if (fn->is_safe) s += "safe ";
  if (fn->is_unsafe) s += "unsafe ";
  s += "fn " + fn->name + "(";
  for (size_t i = 0; i < fn->params.size(); i++)
    s += (i ? ", " : "") + fn->params[i]->name + ": " + TypeName(fn->params[i]->type);
  if (fn->is_variadic) s += fn->params.empty() ? "..." : ", ...";
  s += ")";
  if (fn->ret_type && fn->ret_type->kind != sema::TypeKind::Void) s += " -> " + TypeName(fn->ret_type);
  return s;
}

const char* const kKeywords[] = {
#define TOKEN(name, spelling)
#define KEYWORD(name, spelling) spelling,
#include "lex/token_kinds.def"
};

}  // namespace

// --- Loading and checking ---------------------------------------------------------------------

Analysis::Analysis(const std::string& path, const AnalysisOptions& options) : path_(path) {
  diags_ = std::make_unique<diag::Consumer>(sources_, /*print=*/false);
  driver::LoadOptions load;
  load.include_dirs = options.include_dirs;
  load.library_dirs = options.library_dirs;
  load.overlay = options.overlay;
  trees_ = driver::Load(path, load, sources_, *diags_);
  if (trees_.empty()) return;
  main_file_ = trees_[0]->file;
  // As `fusion check`: a file that could not be loaded would make its names look undeclared.
  for (const diag::Diagnostic& d : diags_->diagnostics())
    if (d.kind == diag::Kind::ImportNotFound || d.kind == diag::Kind::CannotReadFile) return;
  std::vector<ast::Tree*> raw;
  for (auto& t : trees_) raw.push_back(t.get());
  auto generate = [&](sema::CheckedModule& m) -> ast::Tree* {
    std::unique_ptr<fuse::Plan> plan = fuse::PlanModule(m, sources_);
    if (plan->source.empty()) return nullptr;
    uint32_t id = sources_.Add("<fused kernels>", plan->source);
    lex::TokenizedBuffer tokens = lex::Lex(sources_, id, *diags_);
    generated_ = std::make_unique<ast::Tree>(parse::Parse(tokens, *diags_));
    return generated_.get();
  };
  checked_ = sema::Check(raw, *diags_, generate);
}

// --- Positions ----------------------------------------------------------------------------------

auto Analysis::PositionOf(uint32_t file, uint32_t offset) const -> Position {
  if (file == 0) return {};
  const SourceFile& f = sources_.file(file);
  offset = std::min<uint32_t>(offset, f.text().size());
  LineCol lc = f.LineColOf(offset);
  std::string_view line = f.LineText(lc.line);
  size_t bytes = std::min<size_t>(lc.col - 1, line.size());
  return {static_cast<int>(lc.line) - 1, Utf16Length(line.substr(0, bytes))};
}

auto Analysis::OffsetOf(Position pos) const -> uint32_t {
  if (main_file_ == 0) return 0;
  std::string_view text = sources_.file(main_file_).text();
  size_t i = 0;
  for (int line = 0; line < pos.line && i < text.size(); i++)
    if (text[i] == '\n') line++;
  for (int units = 0; units < pos.character && i < text.size() && text[i] != '\n'; i++) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;
    units += c >= 0xF0 ? 2 : 1;
  }
  while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) i++;
  return static_cast<uint32_t>(i);
}

auto Analysis::RangeOf(SourceRange r) const -> Range {
  return {PositionOf(r.begin.file, r.begin.offset), PositionOf(r.begin.file, std::max(r.end, r.begin.offset))};
}

auto Analysis::LocationOf(SourceRange r) const -> Location {
  return {r.begin.file ? sources_.file(r.begin.file).path() : path_, RangeOf(r)};
}

// --- Diagnostics --------------------------------------------------------------------------------

auto Analysis::Diagnostics(const std::string& path) const -> std::vector<Diagnostic> {
  std::string key = driver::OverlayKey(path);
  auto in_file = [&](const diag::Diagnostic& d) {
    if (!d.range.begin.valid()) return key == driver::OverlayKey(path_);  // the main file unreadable
    return driver::OverlayKey(sources_.file(d.range.begin.file).path()) == key;
  };
  std::vector<Diagnostic> out;
  bool last_kept = false;
  for (const diag::Diagnostic& d : diags_->diagnostics()) {
    diag::Severity sev = diag::KindSeverity(d.kind);
    if (sev == diag::Severity::Note) {
      if (last_kept && d.range.begin.valid()) out.back().notes.push_back({LocationOf(d.range), d.message});
      continue;
    }
    last_kept = in_file(d);
    if (!last_kept) continue;
    Diagnostic x;
    x.range = d.range.begin.valid() ? RangeOf(d.range) : Range{};
    x.severity = sev;
    x.code = diag::KindName(d.kind);
    x.message = d.message;
    out.push_back(std::move(x));
  }
  return out;
}

// --- What each place refers to ------------------------------------------------------------------

// Every (target, place) pair one node contributes: its references to declarations, and for a
// declaration its own name (and its fields' or members' names).
static void PlacesOf(const ast::Node* n, std::vector<std::pair<Target, SourceRange>>& out) {
  auto type_decl = [](const sema::Type* t) -> const ast::Node* {
    if (!t) return nullptr;
    if (t->struct_decl) return t->struct_decl;
    if (t->enum_decl) return t->enum_decl;
    if (t->opaque_decl) return t->opaque_decl;
    return nullptr;
  };
  if (auto* e = As<ast::Name>(n)) {
    if (e->decl) out.push_back({Target{e->decl}, e->range});
  } else if (auto* f = As<ast::Field>(n)) {
    if (f->enum_decl) {
      for (size_t i = 0; i < f->enum_decl->members.size(); i++)
        if (f->enum_decl->members[i].name == f->name) out.push_back({Target{f->enum_decl, static_cast<int>(i)}, f->name_range});
      if (auto* base = As<ast::Name>(f->base)) out.push_back({Target{f->enum_decl}, base->range});
    } else if (f->field_index >= 0) {
      if (const sema::Type* st = StructOf(f->base->type); st && st->struct_decl)
        out.push_back({Target{st->struct_decl, f->field_index}, f->name_range});
    }
  } else if (auto* c = As<ast::Call>(n)) {
    auto* callee = As<ast::Field>(c->callee);
    if (c->fn && callee && !callee->enum_decl && callee->field_index < 0) out.push_back({Target{c->fn}, callee->name_range});
  } else if (auto* t = As<ast::NamedType>(n)) {
    if (const ast::Node* d = type_decl(t->type)) out.push_back({Target{d}, t->range});
  } else if (auto* l = As<ast::Launch>(n)) {
    if (l->kernel_fn) out.push_back({Target{l->kernel_fn}, l->kernel_range});
    else if (l->kernel_var) out.push_back({Target{l->kernel_var}, l->kernel_range});
  } else if (auto* s = As<ast::StructLit>(n)) {
    if (const sema::Type* st = StructOf(s->type); st && st->struct_decl)
      for (const ast::FieldInit& fi : s->fields)
        if (fi.field_index >= 0) out.push_back({Target{st->struct_decl, fi.field_index}, fi.range});
  } else if (auto* l = As<ast::Let>(n)) {
    out.push_back({Target{l}, l->name_range});
  } else if (auto* fo = As<ast::For>(n)) {
    out.push_back({Target{fo}, fo->name_range});
  } else if (auto* d = dynamic_cast<const ast::Decl*>(n)) {
    if (!As<ast::ImportDecl>(n)) out.push_back({Target{d}, d->name_range});
    if (auto* sd = As<ast::StructDecl>(n))
      for (size_t i = 0; i < sd->fields.size(); i++) out.push_back({Target{sd, static_cast<int>(i)}, sd->fields[i].range});
    if (auto* ed = As<ast::EnumDecl>(n))
      for (size_t i = 0; i < ed->members.size(); i++) out.push_back({Target{ed, static_cast<int>(i)}, ed->members[i].range});
  }
}

auto Analysis::TargetAt(uint32_t offset) const -> Target {
  if (trees_.empty()) return {};
  Target best;
  uint32_t best_len = UINT32_MAX;
  std::vector<std::pair<Target, SourceRange>> places;
  for (const auto& node : trees_[0]->nodes) {
    places.clear();
    PlacesOf(node.get(), places);
    for (auto& [target, r] : places)
      if (Contains(r, offset) && r.end - r.begin.offset < best_len) best = target, best_len = r.end - r.begin.offset;
  }
  return best;
}

auto Analysis::NameRange(const Target& t) const -> SourceRange {
  if (auto* sd = As<ast::StructDecl>(t.decl); sd && t.member >= 0) return sd->fields[t.member].range;
  if (auto* ed = As<ast::EnumDecl>(t.decl); ed && t.member >= 0) return ed->members[t.member].range;
  if (auto* l = As<ast::Let>(t.decl)) return l->name_range;
  if (auto* f = As<ast::For>(t.decl)) return f->name_range;
  if (auto* d = dynamic_cast<const ast::Decl*>(t.decl)) return d->name_range;
  return t.decl->range;
}

void Analysis::TargetsOf(const ast::Tree& tree, const Target& target, std::vector<SourceRange>& out) const {
  std::vector<std::pair<Target, SourceRange>> places;
  for (const auto& node : tree.nodes) {
    places.clear();
    PlacesOf(node.get(), places);
    for (auto& [t, r] : places)
      if (t == target) out.push_back(r);
  }
}

// --- Hover --------------------------------------------------------------------------------------

// The `//` lines right above a declaration.
auto Analysis::DocComment(const ast::Node* decl) const -> std::string {
  const SourceFile& f = sources_.file(decl->range.begin.file);
  uint32_t line = f.LineColOf(decl->range.begin.offset).line;
  std::vector<std::string> lines;
  for (uint32_t l = line - 1; l >= 1; l--) {
    std::string_view text = f.LineText(l);
    size_t i = text.find_first_not_of(" \t");
    if (i == std::string_view::npos || text.substr(i, 2) != "//") break;
    std::string_view body = text.substr(i + 2);
    if (!body.empty() && body[0] == ' ') body.remove_prefix(1);
    lines.emplace_back(body);
  }
  std::string doc;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) doc += *it + "\n";
  return doc;
}

auto Analysis::Describe(const Target& t) const -> std::string {
  const ast::Node* n = t.decl;
  if (auto* sd = As<ast::StructDecl>(n)) {
    if (t.member >= 0) {
      const ast::FieldDecl& f = sd->fields[t.member];
      std::string s = sd->name + "." + f.name + ": " + TypeName(f.declared_type ? f.declared_type->type : nullptr);
      if (sd->type && t.member < static_cast<int>(sd->type->fields.size()))
        s += "  // offset " + std::to_string(sd->type->fields[t.member].offset);
      return s;
    }
    std::string s = std::string(sd->is_union ? "union " : "struct ") + sd->name + " {";
    for (size_t i = 0; i < sd->fields.size(); i++)
      s += (i ? ", " : " ") + sd->fields[i].name + ": " +
           TypeName(sd->fields[i].declared_type ? sd->fields[i].declared_type->type : nullptr);
    s += " }";
    if (sd->type && sd->type->layout_done)
      s += "  // size " + std::to_string(sd->type->size) + ", align " + std::to_string(sd->type->align);
    return s;
  }
  if (auto* ed = As<ast::EnumDecl>(n)) {
    std::string backing = ed->type && ed->type->backing ? TypeName(ed->type->backing) : "i32";
    if (t.member >= 0) return ed->name + "." + ed->members[t.member].name + " = " + std::to_string(ed->members[t.member].resolved);
    std::string s = "enum " + ed->name + ": " + backing + " {";
    for (size_t i = 0; i < ed->members.size() && i < 8; i++)
      s += (i ? ", " : " ") + ed->members[i].name + " = " + std::to_string(ed->members[i].resolved);
    return s + (ed->members.size() > 8 ? ", … }" : " }");
  }
  if (auto* fn = As<ast::FnDecl>(n)) {
    std::string s = FnSignature(sources_, fn);
    if (fn->is_extern && !fn->is_cuda) {
      std::string c = CType(fn->ret_type ? fn->ret_type : nullptr);
      if (!fn->ret_type || fn->ret_type->kind == sema::TypeKind::Void) c = "void";
      c += " " + (fn->symbol.empty() ? fn->name : fn->symbol) + "(";
      for (size_t i = 0; i < fn->params.size(); i++) c += (i ? ", " : "") + CType(fn->params[i]->type) + " " + fn->params[i]->name;
      if (fn->is_variadic) c += fn->params.empty() ? "..." : ", ...";
      if (fn->params.empty() && !fn->is_variadic) c += "void";
      c += ");";
      s = "extern \"" + (fn->has_library ? fn->library : std::string("(this process)")) + "\" " + s + "\n// C: " + c;
    }
    return s;
  }
  if (auto* p = As<ast::Param>(n)) return p->name + ": " + TypeName(p->type) + "  // parameter";
  if (auto* l = As<ast::Let>(n)) return std::string(l->is_var ? "var " : "let ") + l->name + ": " + TypeName(l->type);
  if (auto* f = As<ast::For>(n)) return "for " + f->name + ": " + TypeName(f->type);
  if (auto* c = As<ast::ConstDecl>(n)) {
    std::string s = std::string(c->is_static ? "static " : "const ") + c->name + ": " + TypeName(c->type);
    auto it = checked_.const_values.find(c);
    if (!c->is_static && it != checked_.const_values.end()) {
      const sema::ConstValue& v = it->second;
      if (v.kind == sema::ConstValue::Kind::Int)
        s += " = " + (c->type && c->type->IsInt() && !c->type->is_signed ? std::to_string(v.int_bits) : std::to_string(v.AsSigned()));
      else if (v.kind == sema::ConstValue::Kind::Bool) s += std::string(" = ") + (v.bool_value ? "true" : "false");
    }
    return s;
  }
  if (auto* o = As<ast::OpaqueDecl>(n)) {
    std::string s;
    if (o->drop_fn) s += "@drop(" + o->drop_fn->name + ") ";
    return s + "opaque " + o->name + (o->drop_fn ? "  // a handle: freed when its last reference goes" : "");
  }
  if (auto* a = As<ast::TypeAliasDecl>(n)) return "type " + a->name + " = " + TypeName(a->aliased ? a->aliased->type : nullptr);
  return "";
}

auto Analysis::Hover(Position pos) const -> std::optional<std::string> {
  if (trees_.empty()) return std::nullopt;
  uint32_t offset = OffsetOf(pos);
  if (Target t = TargetAt(offset)) {
    std::string text = "```fusion\n" + Describe(t) + "\n```";
    const ast::Node* doc_of = t.member >= 0 ? nullptr : t.decl;
    if (doc_of && (dynamic_cast<const ast::Decl*>(doc_of) && !As<ast::Param>(doc_of))) {
      std::string doc = DocComment(doc_of);
      if (!doc.empty()) text += "\n\n" + doc;
    }
    return text;
  }
  // Otherwise the innermost expression's type.
  const ast::Expr* best = nullptr;
  for (const auto& node : trees_[0]->nodes) {
    auto* e = dynamic_cast<const ast::Expr*>(node.get());
    if (!e || !e->type || e->type->IsError() || !Contains(e->range, offset)) continue;
    if (!best || e->range.end - e->range.begin.offset < best->range.end - best->range.begin.offset) best = e;
  }
  if (!best) return std::nullopt;
  // A builtin function's name: what its call gives.
  if (auto* name = As<ast::Name>(best); name && !name->decl)
    for (const auto& node : trees_[0]->nodes)
      if (auto* c = As<ast::Call>(node.get()); c && c->callee == best && c->type)
        return "```fusion\n" + name->name + "(…) -> " + TypeName(c->type) + "  // builtin\n```";
  std::string code(Text(sources_, best->range));
  if (code.size() > 60) code = code.substr(0, 57) + "…";
  return "```fusion\n" + code + ": " + TypeName(best->type) + "\n```";
}

// --- Definition and references ------------------------------------------------------------------

auto Analysis::Definition(Position pos) const -> std::optional<Location> {
  if (trees_.empty()) return std::nullopt;
  Target t = TargetAt(OffsetOf(pos));
  if (!t) return std::nullopt;
  return LocationOf(NameRange(t));
}

auto Analysis::References(Position pos, bool include_declaration) const -> std::vector<Location> {
  std::vector<Location> out;
  if (trees_.empty()) return out;
  Target t = TargetAt(OffsetOf(pos));
  if (!t) return out;
  SourceRange decl = NameRange(t);
  std::vector<SourceRange> ranges;
  for (const auto& tree : trees_) TargetsOf(*tree, t, ranges);
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (const SourceRange& r : ranges) {
    bool is_decl = r.begin.file == decl.begin.file && r.begin.offset == decl.begin.offset;
    if ((is_decl && !include_declaration) || !seen.insert({r.begin.file, r.begin.offset}).second) continue;
    out.push_back(LocationOf(r));
  }
  return out;
}

// --- Symbols ------------------------------------------------------------------------------------

auto Analysis::Symbols() const -> std::vector<Symbol> {
  std::vector<Symbol> out;
  if (trees_.empty()) return out;
  auto full = [&](const ast::Decl* d) {
    SourceRange r = d->range;
    if (d->text_end > r.end) r.end = d->text_end;
    return RangeOf(r);
  };
  for (const ast::Decl* d : trees_[0]->decls) {
    Symbol s;
    s.name = d->name;
    s.range = full(d);
    s.selection = RangeOf(d->name_range);
    s.detail = Describe(Target{d});
    if (auto* fn = As<ast::FnDecl>(d)) {
      s.kind = Symbol::Kind::Function;
      s.detail = FnSignature(sources_, fn);
    } else if (auto* sd = As<ast::StructDecl>(d)) {
      s.kind = Symbol::Kind::Struct;
      for (size_t i = 0; i < sd->fields.size(); i++)
        s.children.push_back({sd->fields[i].name, Describe(Target{sd, static_cast<int>(i)}), Symbol::Kind::Field,
                              RangeOf(sd->fields[i].range), RangeOf(sd->fields[i].range), {}});
    } else if (auto* ed = As<ast::EnumDecl>(d)) {
      s.kind = Symbol::Kind::Enum;
      for (size_t i = 0; i < ed->members.size(); i++)
        s.children.push_back({ed->members[i].name, Describe(Target{ed, static_cast<int>(i)}), Symbol::Kind::EnumMember,
                              RangeOf(ed->members[i].range), RangeOf(ed->members[i].range), {}});
    } else if (As<ast::ConstDecl>(d)) {
      s.kind = As<ast::ConstDecl>(d)->is_static ? Symbol::Kind::Variable : Symbol::Kind::Constant;
    } else if (As<ast::OpaqueDecl>(d)) {
      s.kind = Symbol::Kind::Opaque;
    } else if (As<ast::TypeAliasDecl>(d)) {
      s.kind = Symbol::Kind::TypeAlias;
    } else {
      continue;  // imports
    }
    out.push_back(std::move(s));
  }
  for (const ast::Stmt* st : trees_[0]->stmts)  // a script's top-level variables
    if (auto* l = As<ast::Let>(st))
      out.push_back({l->name, Describe(Target{l}), Symbol::Kind::Variable, RangeOf(l->range), RangeOf(l->name_range), {}});
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) {
    return a.range.start.line != b.range.start.line ? a.range.start.line < b.range.start.line
                                                    : a.range.start.character < b.range.start.character;
  });
  return out;
}

// --- Completion ---------------------------------------------------------------------------------

auto Analysis::FindGlobal(const std::string& name) const -> const ast::Node* {
  for (const auto& tree : trees_)
    for (const ast::Decl* d : tree->decls)
      if (d->name == name && !As<ast::ImportDecl>(d)) return d;
  return nullptr;
}

// The variables, parameters and loop variables in scope at `offset` in the main file (declared
// before it, in a block that holds it), the innermost first, then the global declarations.
auto Analysis::VisibleAt(uint32_t offset) const -> std::vector<const ast::Node*> {
  std::vector<const ast::Node*> out;
  if (trees_.empty()) return out;
  const ast::Tree& main = *trees_[0];
  // The blocks by where they begin (an outer one before an inner one that begins with it), each
  // with the nearest block around it: the innermost block at a point is the last one beginning at
  // or before it, or the nearest around that one which still holds the point. Blocks nest, so
  // this is a binary search and a walk outwards rather than a scan of every block per query.
  std::vector<const ast::Node*> blocks;
  for (const auto& n : main.nodes)
    if (As<ast::Block>(n.get()) && n->range.begin.valid()) blocks.push_back(n.get());
  std::sort(blocks.begin(), blocks.end(), [](const ast::Node* a, const ast::Node* b) {
    if (a->range.begin.offset != b->range.begin.offset) return a->range.begin.offset < b->range.begin.offset;
    return a->range.end > b->range.end;
  });
  std::vector<int> parent(blocks.size(), -1);
  std::vector<int> open;
  for (size_t i = 0; i < blocks.size(); i++) {
    while (!open.empty() && blocks[open.back()]->range.end < blocks[i]->range.end) open.pop_back();
    parent[i] = open.empty() ? -1 : open.back();
    open.push_back(static_cast<int>(i));
  }
  auto innermost_block = [&](uint32_t at) -> const ast::Node* {
    auto after = std::upper_bound(blocks.begin(), blocks.end(), at,
                                  [](uint32_t v, const ast::Node* b) { return v < b->range.begin.offset; });
    int i = static_cast<int>(after - blocks.begin()) - 1;
    while (i >= 0 && !Contains(blocks[i]->range, at)) i = parent[i];
    return i >= 0 ? blocks[i] : nullptr;
  };
  auto encloses = [](const ast::Node* outer, const ast::Node* inner) {
    return !outer || (inner && outer->range.begin.offset <= inner->range.begin.offset && inner->range.end <= outer->range.end);
  };
  const ast::Node* here = innermost_block(offset);
  std::vector<std::pair<uint32_t, const ast::Node*>> locals;
  for (const auto& n : main.nodes) {
    if (auto* l = As<ast::Let>(n.get())) {
      if (l->name_range.end > offset) continue;
      const ast::Node* scope = innermost_block(l->range.begin.offset);
      if (encloses(scope, here)) locals.push_back({l->name_range.begin.offset, l});
    } else if (auto* f = As<ast::For>(n.get())) {
      if (f->body && Contains(f->body->range, offset)) locals.push_back({f->name_range.begin.offset, f});
    } else if (auto* fn = As<ast::FnDecl>(n.get())) {
      if (fn->body && Contains(fn->body->range, offset))
        for (const ast::Param* p : fn->params) locals.push_back({p->name_range.begin.offset, p});
    }
  }
  // Lets at the top level of a script are visible in it but not inside functions.
  const ast::FnDecl* in_fn = nullptr;
  for (const auto& n : main.nodes)
    if (auto* fn = As<ast::FnDecl>(n.get()); fn && fn->body && Contains(fn->body->range, offset)) in_fn = fn;
  std::sort(locals.begin(), locals.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::set<std::string> names;
  for (auto& [at, n] : locals) {
    if (auto* l = As<ast::Let>(n); l && in_fn && !Contains(in_fn->body->range, l->range.begin.offset)) continue;
    std::string name = As<ast::Let>(n) ? As<ast::Let>(n)->name : As<ast::For>(n) ? As<ast::For>(n)->name : As<ast::Param>(n)->name;
    if (names.insert(name).second) out.push_back(n);
  }
  for (const auto& tree : trees_)
    for (const ast::Decl* d : tree->decls)
      if (!As<ast::ImportDecl>(d) && names.insert(d->name).second) out.push_back(d);
  return out;
}

void Analysis::Members(const sema::Type* t, std::vector<Completion>& out) const {
  using K = sema::TypeKind;
  if (!t) return;
  if (const sema::Type* st = StructOf(t)) {
    for (const sema::StructField& f : st->fields) out.push_back({f.name, TypeName(f.type), Completion::Kind::Field});
    return;
  }
  if (t->kind == K::Tensor) {
#define TENSOR_METHOD(name, kind) out.push_back({#name, "tensor method", Completion::Kind::Method});
#include "base/tensor_api.def"
    return;
  }
  if (t->kind == K::String) {
#define STRING_METHOD(name, kind, result, params) out.push_back({#name, "string method", Completion::Kind::Method});
#include "base/string_api.def"
    out.push_back({"lines", "string method", Completion::Kind::Method});
    return;
  }
  if (t->kind == K::File) {
#define FILE_METHOD(name, kind, result, params) out.push_back({#name, "file method", Completion::Kind::Method});
#include "base/string_api.def"
    return;
  }
  if (t->is_handle && t->opaque_decl) {  // the functions T_name(h: T, …)
    std::string prefix = t->opaque_decl->name + "_";
    for (const auto& tree : trees_)
      for (const ast::Decl* d : tree->decls)
        if (auto* fn = As<ast::FnDecl>(d); fn && fn->name.rfind(prefix, 0) == 0 && !fn->params.empty() && fn->params[0]->type == t)
          out.push_back({fn->name.substr(prefix.size()), FnSignature(sources_, fn), Completion::Kind::Method});
    return;
  }
  if (t->IsVector()) {  // check_vec.cpp's methods
    for (const char* m : {"sum", "min", "max", "fma", "shuffle"}) out.push_back({m, "vec method", Completion::Kind::Method});
    return;
  }
  if (t->name == "dim3")
    for (const char* f : {"x", "y", "z"}) out.push_back({f, "u32", Completion::Kind::Field});
}

auto Analysis::Complete(Position pos) const -> std::vector<Completion> {
  std::vector<Completion> out;
  if (main_file_ == 0) return out;
  uint32_t offset = OffsetOf(pos);
  std::string_view text = sources_.file(main_file_).text();
  // The word being typed, and what is before it.
  uint32_t word = offset;
  while (word > 0 && IsIdentChar(text[word - 1])) word--;
  uint32_t before = word;
  if (before > 0 && text[before - 1] == '.') {
    // `base.`: the identifiers of `a.b.c.` before the dot, resolved from the left.
    std::vector<std::string> chain;
    uint32_t i = before - 1;
    while (true) {
      uint32_t end = i;
      while (i > 0 && IsIdentChar(text[i - 1])) i--;
      if (i == end) break;
      chain.insert(chain.begin(), std::string(text.substr(i, end - i)));
      if (i > 0 && text[i - 1] == '.') i--;
      else break;
    }
    if (chain.empty()) return out;
    const std::string& root = chain[0];
    const sema::Type* t = nullptr;
    const ast::Node* d = nullptr;
    for (const ast::Node* n : VisibleAt(i))
      if ((As<ast::Let>(n) && As<ast::Let>(n)->name == root) || (As<ast::Param>(n) && As<ast::Param>(n)->name == root) ||
          (As<ast::For>(n) && As<ast::For>(n)->name == root) || (dynamic_cast<const ast::Decl*>(n) && !As<ast::Param>(n) &&
                                                                 static_cast<const ast::Decl*>(n)->name == root)) {
        d = n;
        break;
      }
    if (chain.size() == 1 && !d) {  // the builtin namespaces
      if (root == "gpu") {
#define GPU_API(name, kind, result, params) out.push_back({#name, "gpu." #name, Completion::Kind::Function});
#include "base/gpu_api.def"
      } else if (root == "tensor") {
#define TENSOR_FN(name, kind, generic) out.push_back({#name, "tensor." #name, Completion::Kind::Function});
#include "base/tensor_api.def"
      } else if (root == "io") {
#define IO_FN(name, kind, result, params) out.push_back({#name, "io." #name, Completion::Kind::Function});
#include "base/string_api.def"
      }
      return out;
    }
    if (auto* ed = As<ast::EnumDecl>(d); ed && chain.size() == 1) {
      for (const ast::EnumMember& m : ed->members)
        out.push_back({m.name, ed->name + "." + m.name + " = " + std::to_string(m.resolved), Completion::Kind::EnumMember});
      return out;
    }
    if (auto* l = As<ast::Let>(d)) t = l->type;
    else if (auto* p = As<ast::Param>(d)) t = p->type;
    else if (auto* f = As<ast::For>(d)) t = f->type;
    else if (auto* c = As<ast::ConstDecl>(d)) t = c->type;
    else if (!d && (root == "thread_idx" || root == "block_idx" || root == "block_dim" || root == "grid_dim")) {
      for (const char* f : {"x", "y", "z"}) out.push_back({f, "u32", Completion::Kind::Field});
      return out;
    }
    for (size_t k = 1; k < chain.size() && t; k++) {  // a.b.c: through struct fields
      const sema::Type* st = StructOf(t);
      const sema::Type* next = nullptr;
      if (st)
        for (const sema::StructField& f : st->fields)
          if (f.name == chain[k]) next = f.type;
      t = next;
    }
    Members(t, out);
    return out;
  }
  // A name: what is in scope, the builtins, the keywords.
  for (const ast::Node* n : VisibleAt(word)) {
    if (auto* l = As<ast::Let>(n)) out.push_back({l->name, TypeName(l->type), Completion::Kind::Variable});
    else if (auto* p = As<ast::Param>(n)) out.push_back({p->name, TypeName(p->type), Completion::Kind::Variable});
    else if (auto* f = As<ast::For>(n)) out.push_back({f->name, TypeName(f->type), Completion::Kind::Variable});
    else if (auto* fn = As<ast::FnDecl>(n)) out.push_back({fn->name, FnSignature(sources_, fn), Completion::Kind::Function});
    else if (auto* sd = As<ast::StructDecl>(n)) out.push_back({sd->name, "struct", Completion::Kind::Struct});
    else if (auto* ed = As<ast::EnumDecl>(n)) out.push_back({ed->name, "enum", Completion::Kind::Enum});
    else if (auto* c = As<ast::ConstDecl>(n)) out.push_back({c->name, TypeName(c->type), Completion::Kind::Constant});
    else if (auto* d = dynamic_cast<const ast::Decl*>(n)) out.push_back({d->name, "type", Completion::Kind::Struct});
  }
#define BUILTIN(name, kind) out.push_back({name, "builtin", Completion::Kind::Function});
#include "sema/builtins.def"
  for (const char* ns : {"gpu", "tensor", "io"}) out.push_back({ns, std::string(ns) + ".*", Completion::Kind::Module});
  for (const char* k : kKeywords) out.push_back({k, "keyword", Completion::Kind::Keyword});
  std::string prefix(text.substr(word, offset - word));
  if (!prefix.empty())
    out.erase(std::remove_if(out.begin(), out.end(), [&](const Completion& c) { return c.label.rfind(prefix, 0) != 0; }), out.end());
  return out;
}

// --- Signature help -----------------------------------------------------------------------------

auto Analysis::SignatureHelp(Position pos) const -> std::optional<Signature> {
  if (main_file_ == 0) return std::nullopt;
  uint32_t offset = OffsetOf(pos);
  std::string_view text = sources_.file(main_file_).text();
  // Back to the `(` that is open at the cursor, counting the commas at its depth.
  int depth = 0, commas = 0;
  uint32_t i = offset;
  bool found = false;
  while (i > 0) {
    char c = text[--i];
    if (c == '\n' && depth == 0 && i > 0 && text[i - 1] == '}') break;
    if (c == ')' || c == ']' || c == '}') depth++;
    else if (c == '(' || c == '[' || c == '{') {
      if (depth == 0) {
        found = c == '(';
        break;
      }
      depth--;
    } else if (c == ',' && depth == 0) commas++;
  }
  if (!found) return std::nullopt;
  // The callee: `name(`, `h.name(` or `launch k<<<…>>>(`.
  uint32_t end = i;
  while (end > 0 && text[end - 1] == ' ') end--;
  const ast::FnDecl* fn = nullptr;
  if (end >= 3 && text.substr(end - 3, 3) == ">>>") {
    size_t at = text.rfind("launch", end);
    if (at == std::string_view::npos) return std::nullopt;
    size_t k = at + 6;
    while (k < text.size() && text[k] == ' ') k++;
    size_t e = k;
    while (e < text.size() && IsIdentChar(text[e])) e++;
    fn = As<ast::FnDecl>(FindGlobal(std::string(text.substr(k, e - k))));
  } else {
    uint32_t b = end;
    while (b > 0 && IsIdentChar(text[b - 1])) b--;
    std::string name(text.substr(b, end - b));
    if (b > 0 && text[b - 1] == '.') {
      // A handle's method: the call already checked (the text before the cursor parses), or
      // the receiver's type from the names in scope.
      for (const auto& n : trees_[0]->nodes)
        if (auto* c = As<ast::Call>(n.get()); c && c->fn && As<ast::Field>(c->callee) &&
                                               As<ast::Field>(c->callee)->name_range.end == end)
          fn = c->fn;
      if (!fn) return std::nullopt;
      commas++;  // the receiver is the first parameter
    } else {
      fn = As<ast::FnDecl>(FindGlobal(name));
    }
  }
  if (!fn) return std::nullopt;
  Signature sig;
  sig.label = "fn " + fn->name + "(";
  for (size_t k = 0; k < fn->params.size(); k++) {
    if (k) sig.label += ", ";
    int begin = static_cast<int>(sig.label.size());
    sig.label += fn->params[k]->name + ": " + TypeName(fn->params[k]->type);
    sig.params.push_back({begin, static_cast<int>(sig.label.size())});
  }
  sig.label += ")";
  if (fn->ret_type && fn->ret_type->kind != sema::TypeKind::Void) sig.label += " -> " + TypeName(fn->ret_type);
  sig.active = commas;
  return sig;
}

// --- URIs ---------------------------------------------------------------------------------------

auto PathOfUri(const std::string& uri) -> std::string {
  std::string s = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

auto UriOfPath(const std::string& path) -> std::string {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  return out;
}

}  // namespace fusion::lsp
