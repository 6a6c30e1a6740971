// C++ types → Conv: how each crosses the C boundary of the shim (docs/cxx.md, "What translates").
#include <set>

#include "wrap/clang_util.h"

namespace fusion::wrap {

auto QualifiedName(CXCursor c) -> std::string {
  std::string name = Spelling(c);
  for (CXCursor p = clang_getCursorSemanticParent(c); !clang_Cursor_isNull(p); p = clang_getCursorSemanticParent(p)) {
    CXCursorKind k = clang_getCursorKind(p);
    if (k == CXCursor_TranslationUnit) break;
    if (k == CXCursor_Namespace && (clang_Cursor_isInlineNamespace(p) || clang_Cursor_isAnonymous(p))) continue;
    if (k == CXCursor_LinkageSpec) continue;
    std::string s = Spelling(p);
    if (!s.empty()) name = s + "::" + name;
  }
  return name;
}

auto ClassPath(CXCursor c) -> std::string {
  std::string name = Spelling(c);
  for (CXCursor p = clang_getCursorSemanticParent(c); !clang_Cursor_isNull(p); p = clang_getCursorSemanticParent(p)) {
    CXCursorKind k = clang_getCursorKind(p);
    if (k != CXCursor_ClassDecl && k != CXCursor_StructDecl) break;
    name = Spelling(p) + "_" + name;
  }
  return name;
}

auto Where(CXCursor c) -> std::string {
  CXFile file;
  unsigned line, col, offset;
  clang_getExpansionLocation(clang_getCursorLocation(c), &file, &line, &col, &offset);
  std::string path = file ? Str(clang_getFileName(file)) : "<built-in>";
  return path.substr(path.find_last_of('/') + 1) + ":" + std::to_string(line);
}

auto FusionIdent(const std::string& name) -> std::string {
  static const std::set<std::string> kWrapperNames = {"self", "out", "err", "result"};
  bool taken = clang_tools::IsFusionKeyword(name) || clang_tools::IsFusionBuiltin(name) || kWrapperNames.count(name);
  return taken ? name + "_" : name;
}

namespace {

// A builtin scalar: its C++ spelling and Fusion type, or false.
auto ScalarOf(CXType canon, std::string& cxx, std::string& fusion) -> bool {
  switch (canon.kind) {
    case CXType_Bool: cxx = "bool", fusion = "bool"; return true;
    case CXType_Char_S: case CXType_Char_U: cxx = "char", fusion = "u8"; return true;
    case CXType_SChar: cxx = "signed char", fusion = "i8"; return true;
    case CXType_UChar: cxx = "unsigned char", fusion = "u8"; return true;
    case CXType_Short: cxx = "short", fusion = "i16"; return true;
    case CXType_UShort: cxx = "unsigned short", fusion = "u16"; return true;
    case CXType_Int: cxx = "int", fusion = "i32"; return true;
    case CXType_UInt: cxx = "unsigned int", fusion = "u32"; return true;
    case CXType_Long: cxx = "long", fusion = "i64"; return true;
    case CXType_ULong: cxx = "unsigned long", fusion = "u64"; return true;
    case CXType_LongLong: cxx = "long long", fusion = "i64"; return true;
    case CXType_ULongLong: cxx = "unsigned long long", fusion = "u64"; return true;
    case CXType_Float: cxx = "float", fusion = "f32"; return true;
    case CXType_Double: cxx = "double", fusion = "f64"; return true;
    default: return false;
  }
}

// `size_t` and friends read better as Fusion's own types than as `u64`.
auto TypedefFusion(CXType t) -> std::string {
  static const std::map<std::string, std::string> kNames = {
      {"size_t", "usize"}, {"ssize_t", "isize"}, {"ptrdiff_t", "isize"}, {"intptr_t", "isize"}, {"uintptr_t", "usize"}};
  while (t.kind == CXType_Elaborated) t = clang_Type_getNamedType(t);
  while (t.kind == CXType_Typedef) {
    auto it = kNames.find(Spelling(clang_getTypeDeclaration(t)));
    if (it != kNames.end()) return it->second;
    t = clang_getTypedefDeclUnderlyingType(clang_getTypeDeclaration(t));
    while (t.kind == CXType_Elaborated) t = clang_Type_getNamedType(t);
  }
  return "";
}

auto Unqualified(CXType t) -> std::string {
  return Str(clang_getTypeSpelling(clang_getUnqualifiedType(clang_getCanonicalType(t))));
}

// Registers the enum of `decl` (once) and gives its Conv.
auto EnumConv(CXCursor decl, TypeContext& ctx, std::string& why) -> Conv {
  decl = clang_getCursorDefinition(decl);
  if (clang_Cursor_isNull(decl)) return why = "an enum that is only declared", Conv{};
  std::string usr = Usr(decl);
  Conv c;
  c.kind = Conv::Kind::Enum;
  c.cxx_type = QualifiedName(decl);
  std::string backing_cxx, backing;
  if (!ScalarOf(clang_getCanonicalType(clang_getEnumDeclIntegerType(decl)), backing_cxx, backing))
    return why = "an enum of an unusual underlying type", Conv{};
  c.c_type = backing_cxx;
  c.enum_usr = usr;
  auto it = ctx.enums.find(usr);
  if (it == ctx.enums.end()) {
    Enum e;
    e.usr = usr;
    e.cxx = c.cxx_type;
    e.fusion = ClassPath(decl);
    for (const Rename& r : ctx.spec->renames)
      if (r.pattern.Matches(e.cxx)) e.fusion = r.name;
    if (e.fusion.empty()) return why = "an anonymous enum", Conv{};
    e.fusion = FusionIdent(e.fusion);
    e.backing = backing;
    e.where = Where(decl);
    VisitChildren(decl, [&](CXCursor k) {
      if (clang_getCursorKind(k) == CXCursor_EnumConstantDecl) e.members.push_back({FusionIdent(Spelling(k)), clang_getEnumConstantDeclValue(k)});
    });
    ctx.api->enums.push_back(e);
    it = ctx.enums.emplace(usr, ctx.api->enums.size() - 1).first;
  }
  c.fusion = ctx.api->enums[it->second].fusion;
  c.tag = c.fusion;
  return c;
}

// std::vector<E>, c10::ArrayRef<E>, std::optional<E>, c10::optional<E>, c10::OptionalArrayRef<E>,
// std::string, or a class.
auto RecordConv(CXType canon, bool out, TypeContext& ctx, std::string& why) -> Conv {
  CXCursor decl = clang_getTypeDeclaration(canon);
  CXCursor templ = clang_getSpecializedCursorTemplate(decl);
  std::string tname = clang_Cursor_isNull(templ) ? "" : QualifiedName(templ);
  Conv c;
  c.cxx_type = Unqualified(canon);
  if (tname == "std::basic_string" || tname == "std::basic_string_view") {
    CXType ch = clang_getCanonicalType(clang_Type_getTemplateArgumentAsType(canon, 0));
    if (ch.kind != CXType_Char_S && ch.kind != CXType_Char_U) return why = "a string of wide characters (`" + c.cxx_type + "`)", Conv{};
    c.kind = Conv::Kind::String;
    c.c_type = out ? "char*" : "const char*";
    c.fusion = "cstring";
    c.tag = "str";
    return c;
  }
  if (tname == "std::vector" || tname == "c10::ArrayRef" || tname == "std::optional" || tname == "c10::optional") {
    bool seq = tname == "std::vector" || tname == "c10::ArrayRef";
    std::string inner_why;
    Conv e = Translate(clang_Type_getTemplateArgumentAsType(canon, 0), out, ctx, inner_why);
    if (!inner_why.empty()) return why = "`" + c.cxx_type + "`: its element is " + inner_why, Conv{};
    bool plain = e.kind == Conv::Kind::Scalar || e.kind == Conv::Kind::Enum;
    bool handle = e.kind == Conv::Kind::Handle && !e.is_pointer;
    if (seq) {
      if (!plain && !handle) return why = "`" + c.cxx_type + "`: only sequences of scalars, enums and exposed classes translate", Conv{};
      c.kind = Conv::Kind::Seq;
      c.tag = "vec_" + e.tag;
      c.fusion = out ? "CxxVec_" + e.tag : "*" + e.fusion;
      c.c_type = out ? "fusion_wrap::Vec<" + e.c_type + ">" : "const " + e.c_type + "*";
    } else {
      if (!plain && !handle && e.kind != Conv::Kind::String && !(e.kind == Conv::Kind::Seq && !out))
        return why = "`" + c.cxx_type + "`: only optional scalars, enums, strings, exposed classes and (as parameters) sequences translate", Conv{};
      c.kind = Conv::Kind::Optional;
      c.tag = "opt_" + e.tag;
      if (e.kind == Conv::Kind::String || handle || e.kind == Conv::Kind::Seq) {  // null is nullopt
        c.fusion = e.fusion;
        c.c_type = e.c_type;
      } else {
        c.fusion = out ? "CxxOpt_" + e.tag : "*" + e.fusion;
        c.c_type = out ? "fusion_wrap::Opt<" + e.c_type + ">" : "const " + e.c_type + "*";
      }
    }
    c.elem.push_back(e);
    return c;
  }
  if (tname == "c10::OptionalArrayRef" && !out) {  // libtorch's OptionalIntArrayRef: a nullable sequence
    std::string inner_why;
    Conv e = Translate(clang_Type_getTemplateArgumentAsType(canon, 0), out, ctx, inner_why);
    if (!inner_why.empty() || e.kind != Conv::Kind::Scalar) return why = "`" + c.cxx_type + "`: only optional sequences of scalars translate", Conv{};
    Conv seq;
    seq.kind = Conv::Kind::Seq;
    seq.cxx_type = "c10::ArrayRef<" + e.cxx_type + ">";
    seq.c_type = "const " + e.c_type + "*";
    seq.fusion = "*" + e.fusion;
    seq.tag = "vec_" + e.tag;
    seq.elem.push_back(e);
    c.kind = Conv::Kind::Optional;
    c.c_type = seq.c_type;
    c.fusion = seq.fusion;
    c.tag = "opt_" + seq.tag;
    c.elem.push_back(seq);
    return c;
  }
  auto it = ctx.classes.find(Usr(decl));
  if (it == ctx.classes.end() && !tname.empty())
    return why = "`" + c.cxx_type + "`, an instantiation of a class template, has no translation (use it in a helper in the `cxx` block)", Conv{};
  if (it == ctx.classes.end()) return why = "`" + c.cxx_type + "` is not exposed (add `class " + QualifiedName(decl) + "` to the spec)", Conv{};
  c.kind = Conv::Kind::Handle;
  c.c_type = it->second->cxx + "*";
  c.fusion = "*" + it->second->fusion;
  c.tag = it->second->fusion;
  return c;
}

// A type without references or pointers.
auto ValueConv(CXType t, bool out, TypeContext& ctx, std::string& why) -> Conv {
  CXType canon = clang_getCanonicalType(t);
  Conv c;
  if (canon.kind == CXType_Void) return c;
  if (ScalarOf(canon, c.c_type, c.fusion)) {
    c.kind = Conv::Kind::Scalar;
    c.cxx_type = c.c_type;
    std::string named = TypedefFusion(t);
    if (!named.empty()) c.fusion = named;
    c.tag = c.fusion;
    return c;
  }
  if (canon.kind == CXType_Enum) return EnumConv(clang_getTypeDeclaration(canon), ctx, why);
  if (canon.kind == CXType_Record) return RecordConv(canon, out, ctx, why);
  why = "no translation for `" + Str(clang_getTypeSpelling(t)) + "`";
  return Conv{};
}

}  // namespace

auto Translate(CXType t, bool out, TypeContext& ctx, std::string& why) -> Conv {
  why.clear();
  CXType canon = clang_getCanonicalType(t);
  if (canon.kind == CXType_RValueReference) return why = "an rvalue reference (`" + Str(clang_getTypeSpelling(t)) + "`)", Conv{};
  if (canon.kind == CXType_LValueReference || canon.kind == CXType_Pointer) {
    bool ref = canon.kind == CXType_LValueReference;
    CXType pointee = clang_getPointeeType(canon);
    bool is_const = clang_isConstQualifiedType(pointee);
    CXType pc = clang_getCanonicalType(pointee);
    if (!ref && pc.kind == CXType_Void) {  // void*: an address, as it is (`*void`)
      Conv c;
      c.kind = Conv::Kind::Scalar;
      c.cxx_type = c.c_type = is_const ? "const void*" : "void*";
      c.fusion = "*void";
      c.tag = "ptr";
      return c;
    }
    if (!ref && is_const && (pc.kind == CXType_Char_S || pc.kind == CXType_Char_U)) {
      Conv c;
      c.kind = Conv::Kind::CString;
      c.cxx_type = c.c_type = "const char*";
      c.fusion = "cstring";
      c.tag = "str";
      return c;
    }
    if (ref && is_const) {  // const T&: as T, except that a class result is copied
      Conv c = ValueConv(pointee, out, ctx, why);
      c.by_ref = true;
      return c;
    }
    Conv c = ValueConv(pointee, out, ctx, why);
    if (!why.empty()) return c;
    std::string spelled = Str(clang_getTypeSpelling(t));
    if (c.kind == Conv::Kind::Handle) {
      if (!ref && out) return why = "a pointer to a class (`" + spelled + "`), whose owner is unknown", Conv{};
      c.by_ref = ref;
      c.is_pointer = !ref;
      return c;
    }
    if (c.kind == Conv::Kind::Scalar) {
      if (out) {
        if (!ref) return why = "a pointer to a scalar (`" + spelled + "`)", Conv{};
        c.by_ref = true;  // T& result: its value
        return c;
      }
      c.kind = Conv::Kind::ScalarRef;
      c.by_ref = ref;
      c.c_type = c.cxx_type + "*";
      c.fusion = "*" + c.fusion;
      c.tag = "ptr_" + c.tag;
      return c;
    }
    if (out && ref && c.kind != Conv::Kind::Void) {  // a non-const T& result (string, sequence): a copy
      c.by_ref = true;
      return c;
    }
    return why = "a non-const " + std::string(ref ? "reference" : "pointer") + " (`" + spelled + "`)", Conv{};
  }
  return ValueConv(t, out, ctx, why);
}

}  // namespace fusion::wrap
