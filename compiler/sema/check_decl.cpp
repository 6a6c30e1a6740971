// Declarations: global names, types and their layout, function signatures, consts, bodies.
#include <algorithm>
#include <cctype>

#include "base/check.h"
#include "sema/checker.h"

namespace fusion::sema {

void Checker::CollectGlobals() {
  for (ast::Tree* tree : trees_) {
    for (ast::Decl* d : tree->decls) {
      if (As<ast::ImportDecl>(d)) continue;
      DeclareGlobal(d, d->name_range);
      if (auto* fn = As<ast::FnDecl>(d)) out_.fns.push_back(fn);
    }
  }
  // A name of the program's file that imported files define too: one error at the program's
  // definition, a note at each of theirs.
  for (auto& [decl, others] : import_clashes_) {
    Error(diag::Kind::Redefinition, DeclRange(decl), {decl->name});
    for (SourceRange r : others) Note(diag::Kind::NoteDefinedInImport, r, {decl->name});
  }
  import_clashes_.clear();
}

void Checker::DeclareGlobal(ast::Decl* decl, SourceRange name_range) {
  if (types_->Builtin(decl->name) && !TypeContext::IsSoftBuiltin(decl->name) && !As<ast::FnDecl>(decl) &&
      !As<ast::ConstDecl>(decl)) {
    if (IsBuiltinDim3(decl)) return;  // CUDA's own `struct dim3`, as the CUDA runtime's bindings have it
    Error(diag::Kind::Redefinition, name_range, {decl->name});
    return;
  }
  auto [it, inserted] = globals_.emplace(decl->name, decl);
  if (!inserted && IdenticalRedeclaration(it->second, decl)) return;
  if (!inserted) {
    SourceRange first = DeclRange(it->second);
    if (first.begin.file != name_range.begin.file && !trees_.empty() && first.begin.file == trees_[0]->file) {
      // The earlier definition is in the program's own file (declared first), the other in a
      // file it imports: the error goes where the user wrote the clash, the note at the import's
      // (after every file is declared: CollectGlobals).
      auto at = std::find_if(import_clashes_.begin(), import_clashes_.end(),
                             [&](const auto& c) { return c.first == it->second; });
      if (at == import_clashes_.end()) at = import_clashes_.insert(import_clashes_.end(), {it->second, {}});
      at->second.push_back(name_range);
      return;
    }
    Error(diag::Kind::Redefinition, name_range, {decl->name});
    Note(diag::Kind::NotePreviousDef, first);
  }
}

// `struct dim3 { x: u32, y: u32, z: u32 }` declares the builtin dim3 again, word for word in effect.
auto Checker::IsBuiltinDim3(const ast::Decl* decl) const -> bool {
  auto* s = As<ast::StructDecl>(decl);
  if (!s || s->is_union || s->name != "dim3" || s->fields.size() != 3) return false;
  const char* names[] = {"x", "y", "z"};
  for (size_t i = 0; i < 3; i++) {
    auto* t = As<ast::NamedType>(s->fields[i].declared_type);
    if (s->fields[i].name != names[i] || !t || t->name != "u32") return false;
  }
  return true;
}

// Whether `again` repeats the type or constant `first` word for word from another file, as two
// bindings generated from headers that share a declaration do (`opaque CUstream_st` in both the
// CUDA runtime's and the driver's); C allows it too. The first declaration is the one used.
auto Checker::IdenticalRedeclaration(const ast::Node* first, const ast::Decl* again) const -> bool {
  auto redeclarable = [](const ast::Node* d) {
    return As<ast::StructDecl>(d) || As<ast::OpaqueDecl>(d) || As<ast::TypeAliasDecl>(d) || As<ast::EnumDecl>(d) ||
           (As<ast::ConstDecl>(d) && !As<ast::ConstDecl>(d)->is_static);
  };
  if (!redeclarable(first) || !redeclarable(again) || first->kind != again->kind) return false;
  auto text = [&](const ast::Decl* d) {
    uint32_t end = std::max(d->range.end, d->text_end);
    return diags_.sources().file(d->range.begin.file).text().substr(d->range.begin.offset, end - d->range.begin.offset);
  };
  auto* a = static_cast<const ast::Decl*>(first);
  return a->range.begin.file != again->range.begin.file && text(a) == text(again);
}

// The type a struct/union/enum/opaque/alias declaration names, resolving it on first use.
auto Checker::NominalType(ast::Decl* decl) -> const Type* {
  auto it = nominal_.find(decl);
  if (it != nominal_.end()) return it->second;
  if (auto* s = As<ast::StructDecl>(decl)) {
    Type* t = types_->NewNominal(TypeKind::Struct, s->name);
    t->struct_decl = s;
    t->is_union = s->is_union;
    s->type = t;
    nominal_[decl] = t;
    return t;
  }
  if (auto* e = As<ast::EnumDecl>(decl)) {
    Type* t = types_->NewNominal(TypeKind::Enum, e->name);
    t->enum_decl = e;
    e->type = t;
    nominal_[decl] = t;
    // The backing type decides the enum's size at once.
    const Type* backing = e->backing ? ResolveType(e->backing) : types_->i32();
    if (!backing->IsError() && !backing->IsInt()) {
      Error(diag::Kind::EnumBacking, e->backing->range, {ToString(backing)});
      backing = types_->i32();
    }
    if (backing->IsError()) backing = types_->i32();
    t->backing = backing;
    t->size = backing->size;
    t->align = backing->align;
    t->layout_done = true;
    return t;
  }
  if (auto* o = As<ast::OpaqueDecl>(decl)) {
    Type* t = types_->NewNominal(TypeKind::Opaque, o->name);
    t->opaque_decl = o;
    // `@drop(f) opaque T`: T by value is a counted handle (a pointer to the runtime's box).
    for (const ast::Attribute& a : o->attrs)
      if (a.name == "drop") t->is_handle = true, t->size = 8, t->align = 8, t->layout_done = true;
    o->type = t;
    nominal_[decl] = t;
    return t;
  }
  if (auto* a = As<ast::TypeAliasDecl>(decl)) {
    if (resolving_[decl] == 1) {
      Error(diag::Kind::RecursiveType, a->name_range, {a->name});
      return nominal_[decl] = types_->error();
    }
    resolving_[decl] = 1;
    const Type* t = ResolveType(a->aliased);
    resolving_[decl] = 2;
    return nominal_[decl] = t;
  }
  return nullptr;
}

void Checker::CheckTypeDecl(ast::Decl* decl) {
  if (auto* s = As<ast::StructDecl>(decl)) {
    const Type* t = NominalType(s);
    bool laid_out = EnsureLayout(t, s->range);
    for (auto& a : s->attrs) {
      if (a.name == "layout")
        CheckLayoutAttribute(t, a, laid_out);
      else if (a.name != "align")  // read by EnsureLayout
        Error(diag::Kind::UnknownAttribute, a.range, {a.name});
    }
  } else if (auto* e = As<ast::EnumDecl>(decl)) {
    const Type* t = NominalType(e);
    int64_t next = 0;
    std::unordered_map<std::string, bool> seen;
    for (auto& m : e->members) {
      if (!seen.emplace(m.name, true).second) Error(diag::Kind::DuplicateMember, m.range, {m.name});
      if (m.value) {
        CheckExpr(m.value, t->backing);
        if (Coerce(m.value, t->backing)) EvalInt(m.value, t->backing, m.value->range, next);
      }
      m.resolved = next;
      next++;
    }
  } else if (auto* o = As<ast::OpaqueDecl>(decl)) {
    CheckDropAttribute(o, NominalType(o));
  } else if (As<ast::TypeAliasDecl>(decl)) {
    NominalType(decl);
  }
}

// @drop(f) on an opaque type: `f` frees what a `*T` points to, `fn f(p: *T)` (extern or Fusion).
void Checker::CheckDropAttribute(ast::OpaqueDecl* o, const Type* t) {
  for (const ast::Attribute& a : o->attrs) {
    if (a.name != "drop") {
      Error(diag::Kind::UnknownAttribute, a.range, {a.name});
      continue;
    }
    auto* name = a.args.size() == 1 && a.args[0].first.empty() ? As<ast::Name>(a.args[0].second) : nullptr;
    auto* fn = name ? As<ast::FnDecl>(Lookup(name->name)) : nullptr;
    if (!fn) {
      Error(diag::Kind::AttributeArgs, a.range, {a.name, "the function that frees a `*" + o->name + "`: `@drop(" + o->name + "_free)`"});
      continue;
    }
    CheckFnSignature(fn);
    bool ok = fn->params.size() == 1 && fn->params[0]->type == types_->Pointer(t) && !fn->is_variadic &&
              fn->ret_type && fn->ret_type->kind == TypeKind::Void && !fn->is_kernel && !fn->is_device;
    if (!ok) {
      Error(diag::Kind::DropSignature, name->range, {fn->name, o->name});
      Note(diag::Kind::NoteDeclaredHere, fn->name_range, {fn->name});
      continue;
    }
    if (!fn->is_extern) fn->used_as_value = true;  // a C entry point for Fusion functions
    o->drop_fn = fn;
  }
}

// @layout(size: N, align: M) on a struct or union: the layout computed here must be that one (what
// bindgen saw clang compute for the C declaration). Either key may be left out.
void Checker::CheckLayoutAttribute(const Type* t, const ast::Attribute& a, bool laid_out) {
  const char* usage = "`size:` and `align:` constant integers: `@layout(size: 16, align: 8)`";
  if (a.args.empty()) Error(diag::Kind::AttributeArgs, a.range, {a.name, usage});
  bool mismatch = false;
  for (const auto& [key, value] : a.args) {
    if (key != "size" && key != "align") {
      Error(diag::Kind::AttributeArgs, a.range, {a.name, usage});
      return;
    }
    CheckExpr(value, types_->u64());
    int64_t want = 0;
    if (!Coerce(value, types_->u64()) || !EvalInt(value, types_->u64(), value->range, want)) return;
    if (!laid_out) continue;
    uint64_t have = key == "size" ? t->size : t->align;
    if (have == static_cast<uint64_t>(want)) continue;
    Error(diag::Kind::LayoutMismatch, value->range,
          {ToString(t), key == "size" ? "size" : "alignment", std::to_string(have), std::to_string(want)});
    mismatch = true;
  }
  if (!mismatch) return;
  std::string fields;
  for (const StructField& f : t->fields)
    fields += (fields.empty() ? "" : ", ") + f.name + " at " + std::to_string(f.offset) + " (" +
              std::to_string(f.type->size) + " bytes)";
  Note(diag::Kind::NoteLayoutFields, t->struct_decl->name_range, {ToString(t), fields.empty() ? "no fields" : fields});
}

// @align(N) on a struct or union raises its alignment to N (a power of two), as C's
// `_Alignas`/`__attribute__((aligned(N)))` on a record does; 1 when there is none.
auto Checker::AlignAttribute(const ast::StructDecl* s) -> uint64_t {
  uint64_t align = 1;
  for (const ast::Attribute& a : s->attrs) {
    if (a.name != "align") continue;
    const char* usage = "one constant power of two up to 4096: `@align(16)`";
    if (a.args.size() != 1 || !a.args[0].first.empty()) {
      Error(diag::Kind::AttributeArgs, a.range, {a.name, usage});
      continue;
    }
    ast::Expr* value = a.args[0].second;
    CheckExpr(value, types_->u64());
    int64_t want = 0;
    if (!Coerce(value, types_->u64()) || !EvalInt(value, types_->u64(), value->range, want)) continue;
    if (want < 1 || want > 4096 || (want & (want - 1)) != 0) {
      Error(diag::Kind::AttributeArgs, value->range, {a.name, usage});
      continue;
    }
    align = std::max(align, static_cast<uint64_t>(want));
  }
  return align;
}

auto Checker::ResolveType(ast::TypeExpr* t) -> const Type* {
  if (!t) return types_->error();
  if (t->type) return t->type;
  DepthGuard guard(*this, t->range);
  if (!guard.ok) return t->type = types_->error();
  const Type* result = types_->error();
  if (auto* n = As<ast::NamedType>(t); n && n->name == "tensor" && !Lookup("tensor")) {
    result = ResolveTensorType(n);
  } else if (auto* n = As<ast::NamedType>(t); n && n->name == "vec" && n->lanes && !Lookup("vec")) {
    result = ResolveVecType(n);
  } else if (auto* n = As<ast::NamedType>(t)) {
    if (const Type* b = types_->Builtin(n->name); b && !(TypeContext::IsSoftBuiltin(n->name) && Lookup(n->name))) {
      result = b;
    } else if (ast::Node* d = Lookup(n->name)) {
      auto* decl = (d->kind >= ast::NodeKind::FnDecl) ? static_cast<ast::Decl*>(d) : nullptr;
      const Type* nominal = decl ? NominalType(decl) : nullptr;
      if (nominal) {
        result = nominal;
      } else {
        Error(diag::Kind::NotAType, t->range, {n->name});
        Note(diag::Kind::NoteDeclaredHere, DeclRange(d), {n->name});
      }
    } else {
      Error(diag::Kind::UndeclaredType, t->range, {n->name});
    }
  } else if (auto* p = As<ast::PointerType>(t)) {
    const Type* inner = ResolveType(p->pointee);
    result = inner->IsError() ? inner : types_->Pointer(inner);
    if (inner->IsCounted() && !inner->is_handle) Error(diag::Kind::CountedPlacement, t->range, {CountedNoun(inner), "behind a pointer"}), result = types_->error();
  } else if (auto* a = As<ast::ArrayType>(t)) {
    const Type* elem = ResolveType(a->elem);
    int64_t n = 0;
    bool ok = false;
    if (a->size) {
      CheckExpr(a->size, types_->u64());
      const Type* st = a->size->type;
      if (st->IsUntyped()) SetUntypedType(a->size, types_->i64()), st = types_->i64();
      if (st->IsError()) {
      } else if (!st->IsInt()) {
        Error(diag::Kind::ArraySizeNotConst, a->size->range);
      } else if (EvalInt(a->size, st, a->size->range, n)) {
        if (n < 0)
          Error(diag::Kind::ArraySizeNegative, a->size->range, {std::to_string(n)});
        else
          ok = true;
      }
    }
    if (elem->kind == TypeKind::Void) Error(diag::Kind::VoidValue, a->elem->range), ok = false;
    if (elem->IsCounted()) Error(diag::Kind::CountedPlacement, a->elem->range, {CountedNoun(elem), "an array element"}), ok = false;
    result = ok && !elem->IsError() ? types_->Array(elem, static_cast<uint64_t>(n)) : types_->error();
  } else if (auto* f = As<ast::FnPointerType>(t)) {
    // A C function pointer: parameters and result are C values, so no arrays by value.
    bool ok = true;
    auto c_value = [&](ast::TypeExpr* te, bool is_ret) {
      const Type* pt = ResolveType(te);
      if (pt->kind == TypeKind::Void && !is_ret) Error(diag::Kind::VoidValue, te->range), ok = false;
      if (!CheckCValue(pt, te->range)) ok = false;
      if (pt->kind == TypeKind::Opaque) Error(diag::Kind::OpaqueByValue, te->range, {ToString(pt)}), ok = false;
      if (pt->IsError()) ok = false;
      return pt;
    };
    std::vector<const Type*> params;
    for (ast::TypeExpr* p : f->params) params.push_back(c_value(p, false));
    const Type* ret = f->ret ? c_value(f->ret, true) : types_->void_type();
    result = ok ? types_->FnPtr(ret, std::move(params)) : types_->error();
  }
  t->type = result;
  return result;
}

auto Checker::EnsureLayout(const Type* t, SourceRange where) -> bool {
  if (t->layout_done || t->IsError()) return true;
  DepthGuard guard(*this, where);
  if (!guard.ok) return false;
  auto* mut = const_cast<Type*>(t);
  if (t->kind == TypeKind::Array) {
    if (!EnsureLayout(t->elem, where)) return false;
    mut->size = t->elem->size * t->count;
    mut->align = t->elem->align;
    mut->layout_done = true;
    return true;
  }
  if (t->kind == TypeKind::Opaque) {
    Error(diag::Kind::OpaqueByValue, where, {ToString(t)});
    return false;
  }
  if (t->kind != TypeKind::Struct) return true;
  const ast::StructDecl* s = t->struct_decl;
  int& state = resolving_[s];
  if (state == 1) {
    Error(diag::Kind::RecursiveType, s->name_range, {s->name});
    return false;
  }
  state = 1;
  std::unordered_map<std::string, bool> seen;
  bool ok = true;
  for (const ast::FieldDecl& f : s->fields) {
    if (!seen.emplace(f.name, true).second) Error(diag::Kind::DuplicateField, f.range, {f.name});
    const Type* ft = ResolveType(f.declared_type);
    SourceRange type_range = f.declared_type ? f.declared_type->range : f.range;
    if (ft->kind == TypeKind::Void) Error(diag::Kind::VoidValue, type_range), ft = types_->error();
    if (ft->IsCounted()) Error(diag::Kind::CountedPlacement, type_range, {CountedNoun(ft), "a struct field"}), ft = types_->error();
    if (!EnsureLayout(ft, type_range)) ok = false, ft = types_->error();
    mut->fields.push_back({f.name, ft, 0});
  }
  resolving_[s] = 2;
  LayoutRecord(mut, AlignAttribute(s));
  return ok;
}

// @on_load(f) on an extern block: `f` must be a Fusion function `fn f()`; it gets a C entry
// point, which the runtime calls before the block's first call goes through.
void Checker::CheckOnLoad(ast::FnDecl* fn) {
  if (!fn->is_extern || fn->on_load.empty()) return;
  ast::Node* d = Lookup(fn->on_load);
  auto* hook = d ? As<ast::FnDecl>(d) : nullptr;
  if (!hook || hook->is_extern) {
    if (!fn->reports_on_load) return;
    if (!d) Error(diag::Kind::UndeclaredName, fn->on_load_range, {fn->on_load});
    else Error(diag::Kind::OnLoadNotFunction, fn->on_load_range, {fn->on_load});
    return;
  }
  if (hook->is_kernel || hook->is_device) {
    if (fn->reports_on_load)
      Error(diag::Kind::GpuFnNotHost, fn->on_load_range, {hook->is_kernel ? "kernel" : "device function", hook->name, "an `@on_load` function"});
    return;
  }
  if (!hook->params.empty() || hook->ret_type != types_->void_type()) {
    if (fn->reports_on_load) Error(diag::Kind::OnLoadSignature, fn->on_load_range, {hook->name, ToString(hook->fn_type)});
    return;
  }
  hook->used_as_value = true;
  fn->on_load_fn = hook;
}

auto Checker::CheckCValue(const Type* t, SourceRange where) -> bool {
  if (t->IsCounted()) {
    const char* hint = t->IsTensor()  ? "; pass its memory to C with `t.data_ptr()`"
                       : t->IsString() ? "; give C a `cstring` with `s.cstr()`"
                       : t->is_handle  ? "; give C its pointer with `raw(h)`"
                                       : "";
    Error(diag::Kind::CountedToC, where, {CountedNoun(t), hint});
    return false;
  }
  if (t->kind == TypeKind::Handle) {
    Error(diag::Kind::HandleToC, where, {ToString(t)});
    return false;
  }
  if (t->IsVector()) {
    Error(diag::Kind::VecToC, where, {ToString(t), ToString(t->elem)});
    return false;
  }
  if (t->kind != TypeKind::Array) return true;
  Error(diag::Kind::ArrayByValueC, where, {ToString(t)});
  return false;
}

void Checker::CheckFnSignature(ast::FnDecl* fn) {
  std::unordered_map<std::string, ast::Param*> seen;
  std::vector<const Type*> param_types;
  for (ast::Param* p : fn->params) {
    // A parameter whose type did not parse has no type node; its diagnostics point at the parameter.
    SourceRange type_range = p->declared_type ? p->declared_type->range : p->range;
    p->type = ResolveType(p->declared_type);
    if (p->type->kind == TypeKind::Void) Error(diag::Kind::VoidValue, type_range), p->type = types_->error();
    EnsureLayout(p->type, p->range);
    if (fn->is_extern && !CheckCValue(p->type, type_range)) p->type = types_->error();
    param_types.push_back(p->type);
    auto [it, inserted] = seen.emplace(p->name, p);
    if (!inserted) {
      Error(diag::Kind::Redefinition, p->name_range, {p->name});
      Note(diag::Kind::NotePreviousDef, it->second->name_range);
    }
  }
  fn->ret_type = fn->ret ? ResolveType(fn->ret) : types_->void_type();
  if (fn->ret) EnsureLayout(fn->ret_type, fn->ret->range);
  if (fn->is_extern && fn->ret && !CheckCValue(fn->ret_type, fn->ret->range)) fn->ret_type = types_->error();
  fn->fn_type = types_->FnPtr(fn->ret_type, std::move(param_types));
  fn->symbol = fn->name;
  if (fn->is_cuda) CheckCudaKernel(fn);
  for (auto& a : fn->attrs) {
    if (a.name == "kernel" || a.name == "device") {
      CheckGpuAttribute(fn, a);
      continue;
    }
    if (a.name == "cuda_name") {
      // @cuda_name("scale<float>"): the C++ name expression NVRTC looks the kernel up by.
      auto* lit = a.args.size() == 1 && a.args[0].first.empty() ? As<ast::StringLit>(a.args[0].second) : nullptr;
      if (!fn->is_cuda) Error(diag::Kind::AttributeNotHere, a.range, {a.name, "kernels of an `extern cuda` block"});
      else if (!lit || lit->value.empty()) Error(diag::Kind::AttributeArgs, a.range, {a.name, "one name expression string: `@cuda_name(\"ns::scale<float>\")`"});
      else fn->cuda_name = lit->value;
      continue;
    }
    if (a.name == "fuse") {
      // @fuse: tensor operations in the body are grouped into fused kernels (compiler/fuse/).
      // `@kernel` or `@device` may come after `@fuse`, before the loop has set is_kernel/is_device.
      bool gpu = fn->is_kernel || fn->is_device ||
                 std::any_of(fn->attrs.begin(), fn->attrs.end(), [](const auto& x) { return x.name == "kernel" || x.name == "device"; });
      if (fn->is_extern || gpu) Error(diag::Kind::FuseNotHost, a.range, {fn->is_extern ? "extern functions" : "GPU functions"});
      else if (!a.args.empty()) Error(diag::Kind::FuseAttrArgs, a.range);
      else fn->is_fuse = true;
      continue;
    }
    if (a.name == "track_caller") {
      // @track_caller: panic and assert inside report the caller's location (Rust's attribute).
      if (fn->is_extern) Error(diag::Kind::AttributeNotHere, a.range, {a.name, "Fusion functions"});
      else if (!a.args.empty()) Error(diag::Kind::AttributeArgs, a.range, {a.name, "no arguments"});
      else fn->track_caller = true;
      continue;
    }
    if (CheckLatencyAttribute(fn, a)) continue;
    if (a.name != "symbol") {
      Error(diag::Kind::UnknownAttribute, a.range, {a.name});
      continue;
    }
    if (!fn->is_extern) {
      Error(diag::Kind::AttributeNotHere, a.range, {a.name, "functions of an `extern` block"});
      continue;
    }
    // @symbol("name"): the positional argument is stored under the key "".
    auto* lit = a.args.size() == 1 && a.args[0].first.empty() ? As<ast::StringLit>(a.args[0].second) : nullptr;
    if (!lit || lit->value.empty() || lit->value.find('\0') != std::string::npos) {
      Error(diag::Kind::AttributeArgs, a.range, {a.name, "one symbol name string: `@symbol(\"name\")`"});
      continue;
    }
    fn->symbol = lit->value;
  }
  if (fn->is_kernel) CheckKernelSignature(fn);
  if (fn->is_kernel || fn->is_device) {
    // Reported once: the parameter or result is an error type in the body.
    for (ast::Param* p : fn->params) {
      if (!p->type->IsCounted()) continue;
      CountedInDevice(p->range, p->type, fn->is_kernel ? "kernel" : "device function", fn->name);
      p->type = types_->error();
    }
    if (fn->ret_type->IsCounted()) {
      CountedInDevice(fn->ret->range, fn->ret_type, fn->is_kernel ? "kernel" : "device function", fn->name);
      fn->ret_type = types_->error();
    }
  }
  if ((fn->is_kernel || fn->is_device) && fn->track_caller)
    Error(diag::Kind::AttributeNotHere, fn->name_range, {"track_caller", "host functions"});
  if (fn->is_kernel && fn->inline_hint != ast::FnDecl::Inline::Default)
    Error(diag::Kind::AttributeNotHere, fn->name_range, {fn->inline_hint == ast::FnDecl::Inline::Always ? "inline" : "noinline", "functions that are not kernels"});
  if ((fn->is_kernel || fn->is_device) && !fn->target_features.empty())
    Error(diag::Kind::AttributeNotHere, fn->target_features_range, {"target_features", "host functions"});
}

// The attributes of low-latency host code (docs/performance.md): @inline, @noinline, @hot,
// @cold, @noalloc, @target_features("avx2,fma"). False when `a` is none of them.
auto Checker::CheckLatencyAttribute(ast::FnDecl* fn, const ast::Attribute& a) -> bool {
  using Inline = ast::FnDecl::Inline;
  bool flag = a.name == "inline" || a.name == "noinline" || a.name == "hot" || a.name == "cold" || a.name == "noalloc";
  if (!flag && a.name != "target_features") return false;
  if (fn->is_extern && a.name != "noalloc") {
    Error(diag::Kind::AttributeNotHere, a.range, {a.name, "Fusion functions"});
    return true;
  }
  if (flag && !a.args.empty()) {
    Error(diag::Kind::AttributeArgs, a.range, {a.name, "no arguments"});
    return true;
  }
  auto conflict = [&](bool other, const char* other_name) {
    if (other) Error(diag::Kind::AttributeConflict, a.range, {a.name, other_name, fn->name});
    return other;
  };
  if (a.name == "inline") {
    if (!conflict(fn->inline_hint == Inline::Never, "noinline")) fn->inline_hint = Inline::Always;
  } else if (a.name == "noinline") {
    if (!conflict(fn->inline_hint == Inline::Always, "inline")) fn->inline_hint = Inline::Never;
  } else if (a.name == "hot") {
    if (!conflict(fn->is_cold, "cold")) fn->is_hot = true;
  } else if (a.name == "cold") {
    if (!conflict(fn->is_hot, "hot")) fn->is_cold = true;
  } else if (a.name == "noalloc") {
    fn->is_noalloc = true;
    fn->noalloc_range = a.range;
  } else {
    // @target_features("avx2,fma"): names as LLVM spells x86's features, each may start with
    // `+` (the default) or `-`; the driver checks the names against LLVM's list.
    auto* lit = a.args.size() == 1 && a.args[0].first.empty() ? As<ast::StringLit>(a.args[0].second) : nullptr;
    std::string features;
    bool ok = lit != nullptr;
    for (size_t at = 0; ok && at <= lit->value.size();) {
      size_t comma = lit->value.find(',', at);
      if (comma == std::string::npos) comma = lit->value.size();
      std::string f = lit->value.substr(at, comma - at);
      at = comma + 1;
      std::string name = !f.empty() && (f[0] == '+' || f[0] == '-') ? f.substr(1) : f;
      ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      });
      features += (features.empty() ? "" : ",") + (f[0] == '-' ? f : f[0] == '+' ? f : "+" + f);
    }
    if (!ok) Error(diag::Kind::AttributeArgs, a.range, {a.name, "one string of comma-separated CPU features: `@target_features(\"avx2,fma\")`"});
    else fn->target_features = features, fn->target_features_range = lit->range;
  }
  return true;
}

void Checker::CheckConstDecl(ast::ConstDecl* c) {
  if (resolving_[c] == 2) return;
  if (resolving_[c] == 1) {
    Error(diag::Kind::ConstCycle, c->name_range, {c->name});
    c->type = types_->error();
    return;
  }
  DepthGuard guard(*this, c->name_range);
  if (!guard.ok) {
    c->type = types_->error();
    resolving_[c] = 2;
    return;
  }
  resolving_[c] = 1;
  const Type* declared = c->declared_type ? ResolveType(c->declared_type) : nullptr;
  if (declared) EnsureLayout(declared, c->declared_type->range);
  if (declared && declared->IsCounted()) {
    Error(diag::Kind::CountedPlacement, c->declared_type->range, {CountedNoun(declared), c->is_static ? "a `static`" : "a `const`"});
    declared = types_->error();
  }
  if (!c->init && (!c->is_static || !declared || c->parse_error)) {
    if (!c->parse_error) Error(diag::Kind::ConstNeedsValue, c->name_range, {c->name});
    c->type = c->parse_error || !declared ? types_->error() : declared;
    resolving_[c] = 2;
    return;
  }
  if (c->is_static) out_.statics.push_back(c);
  if (!c->init) {  // static x: T; is zeroed
    c->type = declared;
    resolving_[c] = 2;
    return;
  }
  const Type* t = CheckExpr(c->init, declared);
  if (declared) {
    t = Coerce(c->init, declared) ? declared : types_->error();
  } else if (c->is_static || !t->IsUntyped()) {
    t = Finalize(c->init);  // untyped consts stay untyped and take their users' types
  }
  c->type = t;
  resolving_[c] = 2;
  if (t->IsError() || c->init->type->IsError()) return;
  int errors = diags_.error_count();
  const_required_++;
  eval_met_broken_const_ = false;
  std::optional<ConstValue> v = Eval(c->init);
  bool broken_const = eval_met_broken_const_;
  const_required_--;
  if (!v) {
    // Eval reports a division by zero itself; a const that failed has reported its own error.
    if (diags_.error_count() == errors && !broken_const) Error(diag::Kind::NotConstant, c->init->range, {c->name});
    c->type = types_->error();
    return;
  }
  out_.const_values[c] = *v;
}

auto Checker::ConstOf(ast::ConstDecl* c) -> const ConstValue* {
  if (resolving_[c] != 2) CheckConstDecl(c);
  auto it = out_.const_values.find(c);
  return it == out_.const_values.end() ? nullptr : &it->second;
}

void Checker::CheckFnBody(ast::FnDecl* fn) {
  if (!fn->body) return;
  fn_ = fn;
  unsafe_depth_ = fn->is_unsafe ? 1 : 0;
  PushScope();
  for (ast::Param* p : fn->params) Declare(p->name, p);
  CheckBlock(fn->body);
  PopScope();
  if (fn->ret_type && fn->ret_type->kind != TypeKind::Void && !fn->ret_type->IsError() &&
      !AlwaysExits(fn->body))
    Error(diag::Kind::MissingReturn, fn->name_range, {fn->name});
  fn_ = nullptr;
  unsafe_depth_ = 0;
}

}  // namespace fusion::sema
