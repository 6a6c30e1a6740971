// libclang → Items. Three passes over the translation unit: names (every record, enum and typedef
// gets its Fusion name before anything is written, since C's tag and ordinary namespaces are one
// in Fusion), items (each declaration rendered as Fusion text with the items it depends on), and
// macros (object-like macros evaluated by clang in a second translation unit).
#include <clang-c/Index.h>

#include <algorithm>
#include <cinttypes>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "bindgen/bindgen.h"
#include "bindgen/clang_common.h"

namespace fusion::bindgen {
namespace {

using clang_tools::IsFusionBuiltin;
using clang_tools::IsFusionKeyword;
using clang_tools::Str;
using clang_tools::VisitChildren;

// Every field of a record, in order, the unnamed ones of anonymous members included (which
// clang_visitChildren does not show).
template <class F>
void VisitFields(CXType record, F&& f) {
  clang_Type_visitFields(
      record,
      [](CXCursor field, CXClientData data) {
        (*static_cast<std::remove_reference_t<F>*>(data))(field);
        return CXVisit_Continue;
      },
      &f);
}

// A field's name; empty for the unnamed field of an anonymous struct or union member.
auto FieldName(CXCursor field) -> std::string {
  CXType t = clang_getCursorType(field);
  if (t.kind == CXType_Elaborated) t = clang_Type_getNamedType(t);
  if (t.kind == CXType_Record && clang_Cursor_isAnonymousRecordDecl(clang_getTypeDeclaration(t))) return "";
  return Str(clang_getCursorSpelling(field));
}

auto Usr(CXCursor c) -> std::string { return Str(clang_getCursorUSR(clang_getCanonicalCursor(c))); }
auto Spelling(CXCursor c) -> std::string { return Str(clang_getCursorSpelling(c)); }

// A C name as a Fusion identifier.
auto Ident(const std::string& name) -> std::string {
  return IsFusionKeyword(name) ? name + "_" : name;
}

// A C function's name as a Fusion function's: also renamed when it is a builtin's (`free`, `exit`,
// `cos`), which a declaration of that name would replace in every file that imports the binding.
auto FnIdent(const std::string& name) -> std::string {
  return IsFusionKeyword(name) || IsFusionBuiltin(name) ? name + "_" : name;
}

// One line of the extern block: `@symbol("sym") @noalloc safe fn name(params) -> ret`, each
// part only where it applies (`symbol` empty: the symbol is the name).
auto FunctionText(const std::string& name, const std::string& symbol, bool safe, bool noalloc,
                  const std::string& params, const std::string& ret) -> std::string {
  std::string text;
  if (!symbol.empty()) text += "@symbol(\"" + symbol + "\") ";
  if (noalloc) text += "@noalloc ";
  return text + (safe ? "safe fn " : "fn ") + name + "(" + params + ")" + ret;
}

// Well-known C typedefs that read better as Fusion's own types.
const std::map<std::string, std::string> kPrimitiveTypedefs = {
    {"size_t", "usize"},   {"ssize_t", "isize"},   {"ptrdiff_t", "isize"}, {"intptr_t", "isize"},
    {"uintptr_t", "usize"}, {"int8_t", "i8"},      {"int16_t", "i16"},     {"int32_t", "i32"},
    {"int64_t", "i64"},     {"uint8_t", "u8"},     {"uint16_t", "u16"},    {"uint32_t", "u32"},
    {"uint64_t", "u64"},
};

auto FormatInt(bool is_unsigned, long long s, unsigned long long u) -> std::string {
  char buf[32];
  if (is_unsigned) std::snprintf(buf, sizeof buf, "%llu", u);
  else if (s == INT64_MIN) return "-9223372036854775807 - 1";
  else std::snprintf(buf, sizeof buf, "%lld", s);
  return buf;
}

// The shortest decimal text that reads back as the same value (as f32 when `single`).
auto FormatFloat(double v, bool single) -> std::string {
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    double back = std::strtod(buf, nullptr);
    if (single ? static_cast<float>(back) == static_cast<float>(v) : back == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

auto QuoteString(const std::string& s) -> std::string {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (ch < 0x20 || ch >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

// Whether `t` is C's va_list (`struct __va_list_tag[1]` on x86-64).
auto IsVaList(CXType t) -> bool {
  CXType canon = clang_getCanonicalType(t);
  if (canon.kind != CXType_ConstantArray) return false;
  CXType elem = clang_getCanonicalType(clang_getArrayElementType(canon));
  return elem.kind == CXType_Record && Str(clang_getTypeSpelling(elem)).find("__va_list_tag") != std::string::npos;
}

auto RoundUp(uint64_t n, uint64_t a) -> uint64_t { return a ? (n + a - 1) / a * a : n; }

// A type as Fusion text, or why it has none.
struct TypeText {
  std::string text;
  std::string error;
  explicit operator bool() const { return error.empty(); }
};

enum class Place { Field, Param, Other };

class Collector {
 public:
  Collector(const Options& options, CXTranslationUnit tu, Collection& out)
      : options_(options), tu_(tu), out_(out), allow_(Compile(options.allow)), safe_(Compile(options.safe)),
        noalloc_(Compile(options.noalloc)), also_from_(Compile(options.also_from)) {}

  void Run();
  // Evaluates the candidate macros in a second translation unit.
  void EvaluateMacros(CXIndex index, const std::string& main_text, const std::vector<std::string>& args);

 private:
  void FindNamedFiles();

  // Pass 1: names.
  void NameTopLevel(CXCursor c);
  void NameMembers(CXCursor record, const std::string& name);
  auto TagName(CXCursor decl) -> std::string;

  // Pass 2: items.
  void ItemFor(CXCursor c);
  void RecordItem(CXCursor c);
  void EnumItem(CXCursor c);
  void TypedefItem(CXCursor c);
  void FunctionItem(CXCursor c);
  void VarItem(CXCursor c);
  void MacroItem(CXCursor c);
  auto Type(CXType t, std::vector<std::string>& deps, Place place = Place::Other) -> TypeText;
  auto FnType(CXType fn, std::vector<std::string>& deps) -> TypeText;
  auto Constant(const std::string& name, CXType t, CXEvalResult ev, std::vector<std::string>& deps,
                std::string& error) -> std::string;
  auto MacroConstant(const std::string& name, CXCursor probe, CXEvalResult ev, std::vector<std::string>& deps,
                     std::string& error) -> std::string;
  auto Signature(CXCursor fn, std::vector<std::string>& deps, std::string& params, std::string& ret)
      -> std::string;

  // `base`, or with `_` appended until no declaration has the name.
  auto Unique(std::string base) -> std::string {
    while (used_.count(base)) base += "_";
    used_.insert(base);
    return base;
  }
  auto NewItem(CXCursor c, Item::Kind kind, const std::string& key, const std::string& c_name) -> Item*;
  auto Where(CXCursor c, uint64_t* order, bool* named) -> std::string;

  const Options& options_;
  CXTranslationUnit tu_;
  Collection& out_;
  // The options' regular expressions, compiled once (they are matched for every declaration).
  std::vector<std::regex> allow_, safe_, noalloc_, also_from_;
  std::vector<CXFile> named_files_;
  std::vector<std::string> file_order_;           // file names in the order first seen
  std::map<std::string, std::string> names_;      // USR → Fusion name of records, enums, typedefs
  std::map<std::string, std::string> c_types_;    // USR → a C spelling of a record's type ("" if none)
  std::set<std::string> dropped_typedefs_;        // typedefs that only name a record or enum
  std::map<std::string, std::string> typedef_of_; // record USR → the first typedef naming it
  std::set<std::string> ordinary_;                // C's ordinary identifiers
  std::set<std::string> declared_;                // those of them that are not macros
  std::set<std::string> used_;                    // Fusion names given so far (see Unique)
  std::set<std::string> seen_;                    // item keys made
  std::map<std::string, size_t> functions_;       // C function name → item index
  // C function name → its translation's parts, for a macro that names the function.
  struct Signed {
    std::string params, ret, symbol;
    bool safe = false, noalloc = false;
  };
  std::map<std::string, Signed> signatures_;
  struct Macro {
    std::string name, target;  // target: the single identifier it expands to, if it is one
    bool is_string;            // it expands to string literals only
    size_t item;
  };
  std::vector<Macro> macros_;  // object-like candidates, evaluated later
  int anon_count_ = 0;
  // What Type() translated only approximately (a variadic function pointer as `*void`), for the
  // item being made: cleared before an item's types are translated, then moved into its notes.
  std::vector<std::string> type_notes_;
  void TakeTypeNotes(Item* item) {
    for (std::string& n : type_notes_) item->notes.push_back(std::move(n));
    type_notes_.clear();
  }
};

auto Collector::Where(CXCursor c, uint64_t* order, bool* named) -> std::string {
  CXFile file;
  unsigned line, col, offset;
  clang_getExpansionLocation(clang_getCursorLocation(c), &file, &line, &col, &offset);
  std::string path = file ? Str(clang_getFileName(file)) : "<built-in>";
  size_t index = 0;
  while (index < file_order_.size() && file_order_[index] != path) index++;
  if (index == file_order_.size()) file_order_.push_back(path);
  *order = (static_cast<uint64_t>(index) << 32) | offset;
  *named = false;
  for (CXFile f : named_files_)
    if (file && clang_File_isEqual(f, file)) *named = true;
  if (AnyMatch(also_from_, path)) *named = true;
  std::string base = path.substr(path.find_last_of('/') + 1);
  return base + ":" + std::to_string(line);
}

auto Collector::NewItem(CXCursor c, Item::Kind kind, const std::string& key, const std::string& c_name)
    -> Item* {
  if (!seen_.insert(key).second) return nullptr;
  Item item;
  item.kind = kind;
  item.key = key;
  item.c_name = c_name;
  item.where = Where(c, &item.order, &item.in_named_header);
  out_.items.push_back(std::move(item));
  return &out_.items.back();
}

// --- Pass 1: names ------------------------------------------------------------------------------

auto Collector::TagName(CXCursor decl) -> std::string {
  auto it = names_.find(Usr(decl));
  return it == names_.end() ? std::string() : it->second;
}

void Collector::NameTopLevel(CXCursor c) {
  switch (clang_getCursorKind(c)) {
    case CXCursor_FunctionDecl:
    case CXCursor_VarDecl: declared_.insert(Spelling(c)), ordinary_.insert(Spelling(c)); break;
    case CXCursor_MacroDefinition: ordinary_.insert(Spelling(c)); break;
    case CXCursor_TypedefDecl: {
      std::string name = Spelling(c);
      declared_.insert(name);
      ordinary_.insert(name);
      CXType under = clang_getTypedefDeclUnderlyingType(c);
      if (under.kind == CXType_Elaborated) under = clang_Type_getNamedType(under);
      if (under.kind != CXType_Record && under.kind != CXType_Enum) break;
      CXCursor decl = clang_getTypeDeclaration(under);
      std::string usr = Usr(decl);
      // `typedef struct { … } X;` names the record X; `typedef struct X X;` says nothing new.
      if (!typedef_of_.count(usr)) typedef_of_[usr] = name;  // a C spelling of the record's type
      if (clang_Cursor_isAnonymous(decl) || Spelling(decl) == name) {
        if (!names_.count(usr)) names_[usr] = Ident(name);
        if (names_[usr] == Ident(name)) dropped_typedefs_.insert(Usr(c));
      }
      break;
    }
    case CXCursor_EnumDecl:
      VisitChildren(c, [&](CXCursor k) {
        if (clang_getCursorKind(k) == CXCursor_EnumConstantDecl) declared_.insert(Spelling(k)), ordinary_.insert(Spelling(k));
      });
      break;
    default: break;
  }
  if (clang_getCursorKind(c) == CXCursor_StructDecl || clang_getCursorKind(c) == CXCursor_UnionDecl)
    VisitChildren(c, [&](CXCursor k) { NameTopLevel(k); });  // nested tagged records are file-scope
}

// Gives anonymous records inside `record` names derived from it: `Parent_field` or `Parent_anonN`.
void Collector::NameMembers(CXCursor record, const std::string& name) {
  int anon = 0;
  VisitFields(clang_getCursorType(record), [&](CXCursor f) {
    CXType t = clang_getCursorType(f);
    std::string subscripts;  // `items[0]` names the element type of an array of anonymous records
    while (t.kind == CXType_ConstantArray || t.kind == CXType_IncompleteArray) {
      t = clang_getArrayElementType(t);
      subscripts += "[0]";
    }
    if (t.kind == CXType_Elaborated) t = clang_Type_getNamedType(t);
    if (t.kind != CXType_Record) return;
    CXCursor decl = clang_getTypeDeclaration(t);
    if (!clang_Cursor_isAnonymous(decl)) return;
    std::string usr = Usr(decl);
    if (names_.count(usr)) return;
    std::string field = FieldName(f);
    std::string member = Unique(name + "_" + (field.empty() ? "anon" + std::to_string(anon++) : field));
    names_[usr] = member;
    std::string parent_c = c_types_[Usr(record)];
    c_types_[usr] = field.empty() || parent_c.empty() ? "" : "__typeof__(((" + parent_c + "*)0)->" + field + subscripts + ")";
    NameMembers(clang_getCursorDefinition(decl), member);
  });
}

// --- Types --------------------------------------------------------------------------------------

auto Collector::FnType(CXType fn, std::vector<std::string>& deps) -> TypeText {
  if (fn.kind == CXType_FunctionNoProto) return {"", "a function type without a prototype"};
  if (clang_isFunctionTypeVariadic(fn)) {
    // Fusion's function-pointer types cannot be variadic; the pointer itself is still a pointer,
    // so a struct field, typedef or parameter of this type keeps its place (libxml2's SAX handler
    // and error callbacks, which would otherwise take half the parser API with them).
    std::string note = "a pointer to the variadic function type `" + Str(clang_getTypeSpelling(fn)) + "`, translated as `*void`";
    if (std::find(type_notes_.begin(), type_notes_.end(), note) == type_notes_.end()) type_notes_.push_back(note);
    return {"*void", ""};
  }
  std::string text = "fn(";
  int n = clang_getNumArgTypes(fn);
  for (int i = 0; i < n; i++) {
    TypeText p = Type(clang_getArgType(fn, i), deps, Place::Param);
    if (!p) return p;
    text += (i ? ", " : "") + p.text;
  }
  text += ")";
  CXType ret = clang_getResultType(fn);
  if (clang_getCanonicalType(ret).kind != CXType_Void) {
    TypeText r = Type(ret, deps);
    if (!r) return r;
    text += " -> " + r.text;
  }
  return {text, ""};
}

auto Collector::Type(CXType t, std::vector<std::string>& deps, Place place) -> TypeText {
  // A parameter of array type is a pointer, whatever typedef names the array (`jmp_buf`, `mpz_t`).
  CXType canon_t = clang_getCanonicalType(t);
  if (place == Place::Param && !IsVaList(t) &&
      (canon_t.kind == CXType_ConstantArray || canon_t.kind == CXType_IncompleteArray)) {
    TypeText elem = Type(clang_getArrayElementType(canon_t), deps, Place::Other);
    if (!elem) return elem;
    return {"*" + elem.text, ""};
  }
  switch (t.kind) {
    case CXType_Void: return {"void", ""};
    case CXType_Bool: return {"bool", ""};
    case CXType_Char_S:
    case CXType_Char_U:
    case CXType_UChar: return {"u8", ""};  // plain char is u8, as Fusion's 'a' (docs/bindgen.md)
    case CXType_SChar: return {"i8", ""};
    case CXType_Short: return {"i16", ""};
    case CXType_UShort:
    case CXType_Char16: return {"u16", ""};
    case CXType_Int:
    case CXType_WChar: return {"i32", ""};
    case CXType_UInt:
    case CXType_Char32: return {"u32", ""};
    case CXType_Long:
    case CXType_LongLong: return {"i64", ""};
    case CXType_ULong:
    case CXType_ULongLong: return {"u64", ""};
    case CXType_Float: return {"f32", ""};
    case CXType_Double: return {"f64", ""};
    case CXType_LongDouble: return {"", "`long double` has no Fusion type"};
    case CXType_Int128:
    case CXType_UInt128: return {"", "128-bit integers have no Fusion type"};
    case CXType_Half:  // __fp16: IEEE binary16 in memory, as _Float16
    case CXType_Float16: return {"f16", ""};
    case CXType_BFloat16: return {"bf16", ""};
    case CXType_Unexposed:
      // libclang 19 has no kind for x86's __bf16 (clang's BF16 builtin): it is Unexposed.
      if (Str(clang_getTypeSpelling(clang_getCanonicalType(t))) == "__bf16") return {"bf16", ""};
      return {"", "`" + Str(clang_getTypeSpelling(t)) + "` is not translated"};
    case CXType_Float128: return {"", "`" + Str(clang_getTypeSpelling(t)) + "` has no Fusion type"};
    case CXType_Vector:
    case CXType_ExtVector: return {"", "SIMD vector types have no Fusion type"};
    case CXType_Complex: return {"", "`_Complex` types have no Fusion type"};
    case CXType_Atomic: return {"", "`_Atomic` types have no Fusion type"};
    case CXType_Elaborated: return Type(clang_Type_getNamedType(t), deps, place);
    case CXType_Auto: return Type(clang_getCanonicalType(t), deps, place);  // a macro probe's __auto_type
    case CXType_Attributed: return Type(clang_Type_getModifiedType(t), deps, place);
    case CXType_Typedef: {
      CXCursor decl = clang_getTypeDeclaration(t);
      std::string name = Spelling(decl);
      if (IsVaList(t)) return {"", "`va_list` has no Fusion type (call the `...` form of the function)"};
      auto prim = kPrimitiveTypedefs.find(name);
      if (prim != kPrimitiveTypedefs.end()) return {prim->second, ""};
      if (dropped_typedefs_.count(Usr(decl))) {
        CXType under = clang_getTypedefDeclUnderlyingType(decl);
        return Type(under, deps, place);
      }
      deps.push_back(Usr(decl));
      return {Ident(name), ""};
    }
    case CXType_Record: {
      CXCursor decl = clang_getTypeDeclaration(t);
      std::string name = TagName(decl);
      if (name.empty()) return {"", "`" + Str(clang_getTypeSpelling(t)) + "` is a compiler-internal type"};
      deps.push_back(Usr(decl));
      return {name, ""};
    }
    case CXType_Enum: {
      CXCursor decl = clang_getTypeDeclaration(t);
      std::string name = TagName(decl);
      if (name.empty()) return Type(clang_getEnumDeclIntegerType(decl), deps, place);  // anonymous
      deps.push_back(Usr(decl));
      return {name, ""};
    }
    case CXType_Pointer: {
      CXType pointee = clang_getPointeeType(t);
      CXType canon = clang_getCanonicalType(pointee);
      if (canon.kind == CXType_FunctionProto || canon.kind == CXType_FunctionNoProto) {
        // A typedef of a function type is already a Fusion function pointer.
        CXType named = pointee.kind == CXType_Elaborated ? clang_Type_getNamedType(pointee) : pointee;
        if (named.kind == CXType_Typedef) return Type(named, deps, place);
        // The written function type keeps its parameters' typedef names; the canonical one does not.
        while (named.kind == CXType_Unexposed || named.kind == CXType_Attributed) {
          CXType inner = named.kind == CXType_Attributed ? clang_Type_getModifiedType(named) : clang_getCanonicalType(named);
          if (inner.kind == named.kind) break;
          named = inner;
        }
        return FnType(named.kind == CXType_FunctionProto || named.kind == CXType_FunctionNoProto ? named : canon, deps);
      }
      if ((canon.kind == CXType_Char_S || canon.kind == CXType_Char_U) && clang_isConstQualifiedType(pointee))
        return {"cstring", ""};
      if (canon.kind == CXType_Void) return {"*void", ""};
      TypeText inner = Type(pointee, deps, Place::Other);
      if (!inner) return inner;
      return {"*" + inner.text, ""};
    }
    case CXType_ConstantArray: {
      TypeText elem = Type(clang_getArrayElementType(t), deps, Place::Other);
      if (!elem) return elem;
      return {"[" + elem.text + "; " + std::to_string(clang_getArraySize(t)) + "]", ""};
    }
    case CXType_IncompleteArray: {
      TypeText elem = Type(clang_getArrayElementType(t), deps, Place::Other);
      if (!elem) return elem;
      return {"[" + elem.text + "; 0]", ""};  // a flexible array member
    }
    case CXType_FunctionProto:
    case CXType_FunctionNoProto: return FnType(t, deps);
    default: return {"", "`" + Str(clang_getTypeSpelling(t)) + "` is not translated"};
  }
}

// The getter and setter of one bitfield, which lives in `nbytes` bytes of the byte array
// `storage` from index `first`, `shift` bits in.
struct Bitfield {
  std::string record, field, storage;
  uint64_t first, shift, width;
  std::string type;
  bool is_signed;
  std::string getter, setter;  // the accessors' names
};

auto BitfieldAccessors(const Bitfield& b) -> std::string {
  uint64_t nbytes = (b.shift + b.width + 7) / 8;
  std::string n = std::to_string(nbytes), first = std::to_string(b.first), shift = std::to_string(b.shift);
  std::string mask = b.width >= 64 ? "0xffffffffffffffff" : "(1 as u64 << " + std::to_string(b.width) + ") - 1";
  std::string load = "    var bits: u64 = 0\n    for i in 0.." + n + " {\n        bits |= (s." + b.storage + "[" +
                     first + " + i] as u64) << (8 * i as u64)\n    }\n";
  std::string out = "// `" + b.record + "." + b.field + "`, a bitfield of " + std::to_string(b.width) + " bits.\n";
  out += "fn " + b.getter + "(s: " + b.record + ") -> " + b.type + " {\n" + load;
  out += "    let value: u64 = (bits >> " + shift + ") & (" + mask + ")\n";
  if (b.type == "bool") {
    out += "    return value != 0\n}\n";
  } else if (b.is_signed && b.width < 64) {
    std::string up = std::to_string(64 - b.width);
    out += "    return ((value << " + up + ") as i64 >> " + up + ") as " + b.type + "\n}\n";
  } else {
    out += "    return value as " + b.type + "\n}\n";
  }
  out += "unsafe fn " + b.setter + "(s: *" + b.record + ", value: " + b.type + ") {\n" + load;
  out += "    let mask: u64 = (" + mask + ") << " + shift + "\n";
  out += "    bits = (bits & ~mask) | ((value as u64 << " + shift + ") & mask)\n";
  out += "    for i in 0.." + n + " {\n        s." + b.storage + "[" + first + " + i] = (bits >> (8 * i as u64)) as u8\n    }\n}\n";
  return out;
}

// The first named member of an anonymous struct or union member, by which C can find where it
// starts (its first member is at its start); "" if it has none.
auto FirstMember(CXType t) -> std::string {
  std::string found;
  VisitFields(t, [&](CXCursor f) {
    if (found.empty()) found = FieldName(f);
  });
  return found;
}

// --- Pass 2: items ------------------------------------------------------------------------------

void Collector::ItemFor(CXCursor c) {
  switch (clang_getCursorKind(c)) {
    case CXCursor_StructDecl:
    case CXCursor_UnionDecl: RecordItem(c); break;
    case CXCursor_EnumDecl: EnumItem(c); break;
    case CXCursor_TypedefDecl: TypedefItem(c); break;
    case CXCursor_FunctionDecl: FunctionItem(c); break;
    case CXCursor_VarDecl: VarItem(c); break;
    case CXCursor_MacroDefinition: MacroItem(c); break;
    default: break;
  }
}

namespace {
// A field as clang lays it out.
struct CField {
  std::string name;
  CXType type;
  uint64_t offset_bits, size, align;
  bool bitfield;
  int width;
};
}  // namespace

void Collector::RecordItem(CXCursor c) {
  bool is_union = clang_getCursorKind(c) == CXCursor_UnionDecl;
  // Nested tagged records are file-scope in C: make their items too.
  VisitChildren(c, [&](CXCursor k) {
    CXCursorKind kind = clang_getCursorKind(k);
    if (kind == CXCursor_StructDecl || kind == CXCursor_UnionDecl || kind == CXCursor_EnumDecl) ItemFor(k);
  });
  CXCursor def = clang_getCursorDefinition(c);
  if (!clang_Cursor_isNull(def) && !clang_equalCursors(def, c)) return;  // the definition makes it
  std::string name = TagName(c);
  if (name.empty()) name = names_[Usr(c)] = "anon_" + std::to_string(++anon_count_);
  std::string c_name = clang_Cursor_isAnonymous(c) ? name : Spelling(c);
  if (c_name.rfind("struct ", 0) == 0 || c_name.rfind("union ", 0) == 0) c_name = name;
  Item* item = NewItem(c, Item::Kind::Record, Usr(c), c_name);
  if (!item) return;
  if (clang_Cursor_isNull(def)) {
    item->text = "opaque " + name;
    return;
  }
  CXType type = clang_getCursorType(c);
  uint64_t size = static_cast<uint64_t>(clang_Type_getSizeOf(type));
  uint64_t align = static_cast<uint64_t>(clang_Type_getAlignOf(type));

  std::vector<CField> fields;
  VisitFields(type, [&](CXCursor f) {
    CXType ft = clang_getCursorType(f);
    long long fsize = clang_Type_getSizeOf(ft), falign = clang_Type_getAlignOf(ft);
    if (ft.kind == CXType_IncompleteArray) {
      fsize = 0;
      falign = clang_Type_getAlignOf(clang_getArrayElementType(ft));
    }
    fields.push_back({FieldName(f), ft, static_cast<uint64_t>(clang_Cursor_getOffsetOfField(f)),
                      static_cast<uint64_t>(std::max(0LL, fsize)), static_cast<uint64_t>(std::max(1LL, falign)),
                      clang_Cursor_isBitField(f) != 0, clang_getFieldDeclBitWidth(f)});
  });

  // Fusion lays fields out naturally; padding fields make up what C's layout has beyond that
  // (bitfield storage, aligned attributes), and @align what its alignment has. What it cannot
  // reproduce (packing) falls back to the record's bytes, with the reason in `fallback`.
  std::vector<std::string> lines, accessors, deps;
  std::vector<std::pair<std::string, std::string>> field_probes;  // Fusion field, C member
  std::set<std::string> taken;  // field names, so that made-up ones never clash with C's
  for (const CField& f : fields)
    if (!f.name.empty()) taken.insert(Ident(f.name));
  auto fresh = [&](std::string base) {
    while (taken.count(base)) base += "_";
    taken.insert(base);
    return base;
  };
  uint64_t cur = 0, natural_align = 1;
  int pads = 0, bits = 0, anon = 0;
  std::string fallback;
  auto pad_to = [&](uint64_t offset) {
    if (offset > cur) lines.push_back(fresh("_pad" + std::to_string(pads++)) + ": [u8; " + std::to_string(offset - cur) + "]");
    cur = std::max(cur, offset);
  };
  for (size_t i = 0; i < fields.size() && fallback.empty(); i++) {
    const CField& f = fields[i];
    if (f.bitfield) {
      if (is_union) {
        fallback = "a bit-field in a union";
        break;
      }
      // A run of bitfields becomes the bytes that hold it.
      size_t j = i;
      uint64_t end_bits = 0;
      while (j < fields.size() && fields[j].bitfield) {
        end_bits = std::max(end_bits, fields[j].offset_bits + static_cast<uint64_t>(fields[j].width));
        j++;
      }
      uint64_t start = f.offset_bits / 8, end = (end_bits + 7) / 8;
      if (start < cur) {
        fallback = "overlapping fields";
        break;
      }
      pad_to(start);
      std::string storage = fresh("_bitfield" + std::to_string(bits++));
      if (end > start) lines.push_back(storage + ": [u8; " + std::to_string(end - start) + "]");
      for (size_t k = i; k < j && fallback.empty(); k++) {
        const CField& b = fields[k];
        if (b.name.empty() || b.width == 0) continue;
        uint64_t first = b.offset_bits / 8 - start, shift = b.offset_bits % 8;
        if (shift + static_cast<uint64_t>(b.width) > 64) {
          fallback = "bit-field `" + b.name + "` spans more than 8 bytes (packed)";
          break;
        }
        CXType canon = clang_getCanonicalType(b.type);
        if (canon.kind == CXType_Enum) canon = clang_getCanonicalType(clang_getEnumDeclIntegerType(clang_getTypeDeclaration(canon)));
        std::vector<std::string> unused;
        TypeText bt = Type(canon, unused);
        bool is_signed = canon.kind == CXType_SChar || canon.kind == CXType_Short || canon.kind == CXType_Int ||
                         canon.kind == CXType_Long || canon.kind == CXType_LongLong;
        std::string value_type = bt ? bt.text : is_signed ? "i64" : "u64";
        accessors.push_back(BitfieldAccessors({name, b.name, storage, first, shift, static_cast<uint64_t>(b.width),
                                               value_type, is_signed, Unique(name + "_" + b.name),
                                               Unique(name + "_set_" + b.name)}));
      }
      cur = end;
      i = j - 1;
      continue;
    }
    uint64_t offset = f.offset_bits / 8;
    std::string fname = f.name.empty() ? fresh("anon" + std::to_string(anon++)) : Ident(f.name);
    type_notes_.clear();
    TypeText ft = Type(f.type, deps, Place::Field);
    for (const std::string& n : type_notes_) item->notes.push_back("field `" + f.name + "`: " + n);
    type_notes_.clear();
    if (!ft) {
      item->notes.push_back("field `" + f.name + "`: " + ft.error + "; kept as its " + std::to_string(f.size) + " bytes");
      ft.text = "[u8; " + std::to_string(f.size) + "]";
    } else {
      natural_align = std::max(natural_align, f.align);
    }
    field_probes.emplace_back(fname, f.name.empty() ? FirstMember(f.type) : f.name);
    if (is_union) {
      lines.push_back(fname + ": " + ft.text);
      continue;
    }
    uint64_t a = ft ? f.align : 1;
    if (RoundUp(cur, a) > offset) {
      fallback = "packed fields";
      break;
    }
    if (RoundUp(cur, a) < offset) pad_to(offset);
    lines.push_back(fname + ": " + ft.text);
    cur = offset + f.size;
  }
  if (fallback.empty() && align < natural_align) fallback = "packed (`packed` or `#pragma pack`)";
  if (!fallback.empty()) {
    item->notes.push_back(fallback + ": kept as " + std::to_string(size) +
                          " bytes with C's size and alignment; fields not translated");
    lines.assign(1, "_bytes: [u8; " + std::to_string(size) + "]");
    accessors.clear();
    field_probes.clear();
    natural_align = 1;
    cur = size;
  }
  // Trailing padding, so that the size is C's.
  uint64_t fusion_align = std::max(natural_align, align);
  if (is_union) {
    uint64_t widest = 0;
    for (const CField& f : fields) widest = std::max(widest, f.size);
    if (fallback.empty() && RoundUp(widest, fusion_align) != size)
      lines.push_back(fresh("_pad") + ": [u8; " + std::to_string(size) + "]");
  } else if (RoundUp(cur, fusion_align) != size) {
    pad_to(size);
  }

  std::string text = "@layout(size: " + std::to_string(size) + ", align: " + std::to_string(align) + ")\n";
  if (align > natural_align) text += "@align(" + std::to_string(align) + ")\n";
  text += std::string(is_union ? "union " : "struct ") + name + " {";
  if (lines.empty()) {
    text += "}";
  } else {
    text += "\n";
    for (const std::string& l : lines) text += "    " + l + ",\n";
    text += "}";
  }
  for (const std::string& a : accessors) text += "\n\n" + a.substr(0, a.size() - 1);
  item->text = text;
  const std::string& c_type = c_types_[Usr(c)];
  if (!c_type.empty()) {
    item->probes.push_back({name + " size", "sizeof(" + c_type + ")", "sizeof(" + name + ")"});
    item->probes.push_back({name + " align", "_Alignof(" + c_type + ")", "alignof(" + name + ")"});
    for (auto& [fusion_field, c_field] : field_probes)
      if (!c_field.empty())
        item->probes.push_back({name + "." + fusion_field, "offsetof(" + c_type + ", " + c_field + ")",
                                "offsetof(" + name + ", " + fusion_field + ")"});
  }
  item->deps = deps;
}

void Collector::EnumItem(CXCursor c) {
  CXCursor def = clang_getCursorDefinition(c);
  if (clang_Cursor_isNull(def)) {  // `enum e;` never defined (a GNU extension): usable behind pointers
    Item* item = NewItem(c, Item::Kind::Record, Usr(c), Spelling(c));
    if (item) item->text = "opaque " + TagName(c);
    return;
  }
  if (!clang_equalCursors(def, c)) return;
  CXType backing = clang_getEnumDeclIntegerType(c);
  std::vector<std::string> unused;
  std::string backing_text = Type(backing, unused).text;
  CXType canon = clang_getCanonicalType(backing);
  bool is_unsigned = canon.kind == CXType_UInt || canon.kind == CXType_ULong || canon.kind == CXType_ULongLong ||
                     canon.kind == CXType_UChar || canon.kind == CXType_UShort || canon.kind == CXType_Char_U ||
                     canon.kind == CXType_Bool;
  std::string name = TagName(c);
  std::vector<std::pair<std::string, std::string>> members;
  VisitChildren(c, [&](CXCursor k) {
    if (clang_getCursorKind(k) != CXCursor_EnumConstantDecl) return;
    members.emplace_back(Spelling(k), FormatInt(is_unsigned, clang_getEnumConstantDeclValue(k),
                                                clang_getEnumConstantDeclUnsignedValue(k)));
  });
  if (name.empty()) {
    // An anonymous enum: its members are integer constants.
    for (auto& [m, v] : members) {
      Item* item = NewItem(c, Item::Kind::Const, "enumconst:" + m, m);
      if (item) item->text = "const " + Ident(m) + ": " + backing_text + " = " + v;
    }
    return;
  }
  Item* item = NewItem(c, Item::Kind::Enum, Usr(c), clang_Cursor_isAnonymous(c) ? name : Spelling(c));
  if (!item) return;
  for (auto& [m, v] : members) item->also_named.push_back(m);
  std::string text = "enum " + name + ": " + backing_text + " {";
  if (!members.empty()) text += "\n";
  for (auto& [m, v] : members) text += "    " + Ident(m) + " = " + v + ",\n";
  text += "}";
  // C reads the members without the enum's name; so can Fusion.
  if (!members.empty()) text += "\n";
  for (auto& [m, v] : members) text += "\nconst " + Ident(m) + ": " + name + " = " + name + "." + Ident(m);
  item->text = text;
}

void Collector::TypedefItem(CXCursor c) {
  std::string name = Spelling(c);
  if (kPrimitiveTypedefs.count(name) || dropped_typedefs_.count(Usr(c))) return;
  Item* item = NewItem(c, Item::Kind::Typedef, Usr(c), name);
  if (!item) return;
  CXType under = clang_getTypedefDeclUnderlyingType(c);
  type_notes_.clear();
  TypeText t = Type(under, item->deps);
  TakeTypeNotes(item);
  if (!t) {
    item->skipped = t.error;
    return;
  }
  item->text = "type " + Ident(name) + " = " + t.text;
}

// A function's result type as the declaration writes it. For a library builtin (`size_t
// strlen(const char*)`) clang gives the canonical `unsigned long`; the typedef's name is still
// in the declaration's own type source, a `TypeRef` child of the function's cursor.
auto WrittenResultType(CXCursor fn) -> CXType {
  CXType r = clang_getCursorResultType(fn);
  if (r.kind < CXType_FirstBuiltin || r.kind > CXType_LastBuiltin) return r;
  CXType written = r;
  VisitChildren(fn, [&](CXCursor k) {
    if (clang_getCursorKind(k) != CXCursor_TypeRef) return;
    CXType t = clang_getCursorType(k);
    if (t.kind == CXType_Typedef && clang_equalTypes(clang_getCanonicalType(t), r)) written = t;
  });
  return written;
}

auto Collector::Signature(CXCursor fn, std::vector<std::string>& deps, std::string& params, std::string& ret)
    -> std::string {
  // `f()` in a header means `f(void)` (as C23 reads it; NCCL's ncclGroupStart is one).
  CXType type = clang_getCursorType(fn);
  int n = type.kind == CXType_FunctionNoProto ? 0 : clang_Cursor_getNumArguments(fn);
  params.clear();
  std::set<std::string> names;
  for (int i = 0; i < n; i++) {
    std::string pname = Spelling(clang_Cursor_getArgument(fn, static_cast<unsigned>(i)));
    // glibc names parameters `__x` (reserved for it); the name is only for reading.
    size_t skip = pname.find_first_not_of('_');
    if (skip != std::string::npos && skip > 0 && std::isalpha(static_cast<unsigned char>(pname[skip])))
      pname = pname.substr(skip);
    if (pname.empty()) pname = "arg" + std::to_string(i);
    while (names.count(Ident(pname))) pname += "_";
    names.insert(Ident(pname));
    // The parameter as written: clang gives a library builtin's function type (`strlen`,
    // `memcpy`) with canonical types, `unsigned long` where the header says `size_t`.
    TypeText t = Type(clang_getCursorType(clang_Cursor_getArgument(fn, static_cast<unsigned>(i))), deps, Place::Param);
    if (!t) return "parameter `" + pname + "`: " + t.error;
    params += (i ? ", " : "") + Ident(pname) + ": " + t.text;
  }
  // libclang calls an unprototyped `f()` variadic; it has no `...`.
  if (type.kind == CXType_FunctionProto && clang_isFunctionTypeVariadic(type)) params += n ? ", ..." : "...";
  ret.clear();
  CXType r = WrittenResultType(fn);
  if (clang_getCanonicalType(r).kind != CXType_Void) {
    TypeText t = Type(r, deps);
    if (!t) return "return type: " + t.error;
    ret = " -> " + t.text;
  }
  return "";
}

void Collector::FunctionItem(CXCursor c) {
  std::string name = Spelling(c);
  Item* item = NewItem(c, Item::Kind::Function, Usr(c), name);
  if (!item) return;
  functions_[name] = out_.items.size() - 1;  // translated or not, for the macros that name it
  if (clang_Cursor_getStorageClass(c) == CX_SC_Static) {
    item->skipped = "a `static inline` function: the library has no symbol for it";
    return;
  }
  std::string params, ret;
  type_notes_.clear();
  item->skipped = Signature(c, item->deps, params, ret);
  TakeTypeNotes(item);
  if (!item->skipped.empty()) return;
  std::string symbol = Str(clang_Cursor_getMangling(c));
  if (!symbol.empty() && symbol[0] == '\1') symbol.erase(0, 1);
  // --safe: only functions that no argument can make misbehave: no pointer (or array)
  // parameters, whatever typedef names them, and no `...`.
  bool safe = AnyMatch(safe_, name) && params.find("...") == std::string::npos;
  for (int i = 0; safe && i < clang_Cursor_getNumArguments(c); i++) {
    CXTypeKind k = clang_getCanonicalType(clang_getCursorType(clang_Cursor_getArgument(c, static_cast<unsigned>(i)))).kind;
    safe = k != CXType_Pointer && k != CXType_BlockPointer && k != CXType_ConstantArray &&
           k != CXType_IncompleteArray && k != CXType_VariableArray;
  }
  // --noalloc: the user's promise that the C function never allocates (docs/bindgen.md).
  bool noalloc = AnyMatch(noalloc_, name);
  if (FnIdent(name) == name && symbol == name) symbol.clear();
  if (FnIdent(name) != name && symbol.empty()) symbol = name;
  item->text = FunctionText(FnIdent(name), symbol, safe, noalloc, params, ret);
  signatures_[name] = {params, ret, symbol, safe, noalloc};
}

// `const NAME: T = value` for a constant of C type `t` whose value clang evaluated (`ev`), or ""
// and why not in `error`. Enum values are cast to the enum, `_Bool` is true or false, and a
// negative value of an unsigned Fusion type (plain `char` is `u8`) wraps as C stores it.
auto Collector::Constant(const std::string& name, CXType t, CXEvalResult ev, std::vector<std::string>& deps,
                         std::string& error) -> std::string {
  CXEvalResultKind kind = ev ? clang_EvalResult_getKind(ev) : CXEval_UnExposed;
  CXType canon = clang_getCanonicalType(t);
  std::string head = "const " + Ident(name) + ": ";
  if (canon.kind == CXType_LongDouble) {
    error = "`long double` has no Fusion type";
    return "";
  }
  if (kind == CXEval_StrLiteral) return head + "cstring = " + QuoteString(clang_EvalResult_getAsStr(ev));
  if (canon.kind == CXType_Pointer || canon.kind == CXType_ConstantArray || (kind != CXEval_Int && kind != CXEval_Float)) {
    error = "not a number or string constant";
    return "";
  }
  TypeText tt = Type(t, deps);
  if (!tt) {
    error = tt.error;
    return "";
  }
  if (kind == CXEval_Float) {
    double v = clang_EvalResult_getAsDouble(ev);
    if (!std::isfinite(v)) {
      error = "an infinity or NaN: Fusion has no literal for it";
      return "";
    }
    return head + tt.text + " = " + FormatFloat(v, canon.kind == CXType_Float);
  }
  long long s = clang_EvalResult_getAsLongLong(ev);
  unsigned long long u = clang_EvalResult_getAsUnsigned(ev);
  bool is_unsigned = clang_EvalResult_isUnsignedInt(ev);
  if (canon.kind == CXType_Bool) return head + "bool = " + (u ? "true" : "false");
  if (canon.kind == CXType_Enum) return head + tt.text + " = " + FormatInt(is_unsigned, s, u) + " as " + tt.text;
  bool fusion_unsigned = tt.text[0] == 'u';  // u8 … u64, usize
  if (fusion_unsigned && !is_unsigned && s < 0) {
    long long bytes = clang_Type_getSizeOf(canon);
    if (bytes > 0 && bytes < 8) u &= (1ULL << (8 * bytes)) - 1;
    is_unsigned = true;
  }
  return head + tt.text + " = " + FormatInt(is_unsigned, s, u);
}

namespace {
// The first C cast in an expression (a macro probe's initializer), or a null cursor.
auto FindCast(CXCursor e) -> CXCursor {
  CXCursor found = clang_getNullCursor();
  std::function<void(CXCursor)> visit = [&](CXCursor k) {
    if (!clang_Cursor_isNull(found)) return;
    if (clang_getCursorKind(k) == CXCursor_CStyleCastExpr) found = k;
    else VisitChildren(k, visit);
  };
  VisitChildren(e, visit);
  return found;
}

// The string literal a probe's initializer is, through parentheses and the array's decay, or a
// null cursor: a string macro that is not string literals only (`"libarchive " VERSION_ONLY`,
// glib's `AVAILABLE_MACRO "NAME"` whose first macro expands to nothing).
auto StringInit(CXCursor probe) -> CXCursor {
  CXCursor e = clang_getNullCursor();
  VisitChildren(probe, [&](CXCursor k) {
    if (clang_isExpression(clang_getCursorKind(k))) e = k;
  });
  while (!clang_Cursor_isNull(e)) {
    CXCursorKind kind = clang_getCursorKind(e);
    if (kind == CXCursor_StringLiteral) return e;
    if (kind != CXCursor_ParenExpr && kind != CXCursor_UnexposedExpr) break;
    CXCursor inner = clang_getNullCursor();
    int n = 0;
    VisitChildren(e, [&](CXCursor k) { inner = k, n++; });
    if (n != 1) break;
    e = inner;
  }
  return clang_getNullCursor();
}

// The bytes of a C string literal as clang spells it (`"a\tb\001"`: one literal, C's escapes);
// false for anything else (an empty cursor's "", a wide or UTF-16 literal `L"…"`).
auto CStringBytes(const std::string& spelled, std::string& out) -> bool {
  if (spelled.size() < 2 || spelled.front() != '"' || spelled.back() != '"') return false;
  out.clear();
  for (size_t i = 1; i + 1 < spelled.size(); i++) {
    char c = spelled[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 2 >= spelled.size()) return false;
    char e = spelled[++i];
    static const std::string simple = "abfnrtv", values = "\a\b\f\n\r\t\v";
    if (simple.find(e) != std::string::npos) {
      out += values[simple.find(e)];
    } else if (e >= '0' && e <= '7') {
      int v = e - '0';
      for (int k = 0; k < 2 && i + 2 < spelled.size() && spelled[i + 1] >= '0' && spelled[i + 1] <= '7'; k++)
        v = v * 8 + (spelled[++i] - '0');
      out += static_cast<char>(v);
    } else if (e == 'x') {
      int v = 0, digits = 0;
      while (i + 2 < spelled.size() && std::isxdigit(static_cast<unsigned char>(spelled[i + 1]))) {
        char h = spelled[++i];
        v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : std::tolower(h) - 'a' + 10);
        digits++;
      }
      if (!digits) return false;
      out += static_cast<char>(v);
    } else {
      out += e;  // \\ \" \' \?
    }
  }
  return true;
}

// The integer a pointer constant (`((T)-1)`, `(void*)0x10`) is made from: clang does not
// evaluate pointers, so this evaluates the integer operand of the cast instead.
auto PointerValue(CXCursor probe, long long& value) -> bool {
  CXCursor cast = FindCast(probe);
  if (clang_Cursor_isNull(cast)) return false;
  CXCursor operand = clang_getNullCursor();
  VisitChildren(cast, [&](CXCursor k) {
    if (clang_isExpression(clang_getCursorKind(k))) operand = k;
  });
  if (clang_Cursor_isNull(operand)) return false;
  CXTypeKind k = clang_getCanonicalType(clang_getCursorType(operand)).kind;
  if (k == CXType_Pointer) return PointerValue(cast, value);  // (T)(void*)0
  CXEvalResult ev = clang_Cursor_Evaluate(operand);
  bool ok = ev && clang_EvalResult_getKind(ev) == CXEval_Int;
  if (ok) value = clang_EvalResult_getAsLongLong(ev);
  if (ev) clang_EvalResult_dispose(ev);
  return ok;
}
}  // namespace

// A macro's constant, from its probe `static const __auto_type v = (MACRO);` (docs/bindgen.md):
// a number without a cast is untyped (`const N = 10`: it takes the type of each use, as C's
// macro does); with a cast, or a `float` (an `f` suffix rounds the value), C's type; a pointer
// (`((T)-1)`) is `-1 as T`.
auto Collector::MacroConstant(const std::string& name, CXCursor probe, CXEvalResult ev, std::vector<std::string>& deps,
                              std::string& error) -> std::string {
  CXType t = clang_getCursorType(probe);
  CXType canon = clang_getCanonicalType(t);
  CXEvalResultKind kind = ev ? clang_EvalResult_getKind(ev) : CXEval_UnExposed;
  if (canon.kind == CXType_Pointer && kind != CXEval_StrLiteral) {
    // libclang evaluates no string literal but a `char[]` variable's; its spelling is the literal,
    // concatenated, with C's escapes.
    std::string bytes;
    if (CStringBytes(Spelling(StringInit(probe)), bytes)) {
      if (bytes.find("fusion_bindgen_probe.h") != std::string::npos) {  // __FILE__ through another macro
        error = "its value depends on where it is used (`__FILE__`)";
        return "";
      }
      return "const " + Ident(name) + ": cstring = " + QuoteString(bytes);
    }
    long long value = 0;
    if (!PointerValue(probe, value)) {
      error = "a pointer that is not an integer cast to a pointer type";
      return "";
    }
    // The type as the cast writes it (`sqlite3_destructor_type`), not `__auto_type`'s canonical one.
    CXType cast_type = clang_getCursorType(FindCast(probe));
    TypeText tt = Type(clang_getCanonicalType(cast_type).kind == CXType_Pointer ? cast_type : t, deps);
    if (!tt) {
      error = tt.error;
      return "";
    }
    if (tt.text == "cstring") {
      error = "a `const char*` made from an integer: Fusion's `cstring` is a string";
      return "";
    }
    std::string v = FormatInt(false, value, 0);
    if (v.find(' ') != std::string::npos) v = "(" + v + ")";
    return "const " + Ident(name) + ": " + tt.text + " = " + v + " as " + tt.text;
  }
  // Typed: a cast, a `float`, an enum or `_Bool` value, and an unsigned value beyond i64's range
  // (an untyped constant whose use gives it no type is an i64), and `long double` (not translated).
  bool typed = !clang_Cursor_isNull(FindCast(probe)) || canon.kind == CXType_Float || canon.kind == CXType_Enum ||
               canon.kind == CXType_Bool || canon.kind == CXType_LongDouble ||
               (kind == CXEval_Int && clang_EvalResult_isUnsignedInt(ev) && clang_EvalResult_getAsUnsigned(ev) > INT64_MAX);
  if (typed || (kind != CXEval_Int && kind != CXEval_Float)) return Constant(name, t, ev, deps, error);
  if (kind == CXEval_Float) {
    double v = clang_EvalResult_getAsDouble(ev);
    if (!std::isfinite(v)) {
      error = "an infinity or NaN: Fusion has no literal for it";
      return "";
    }
    return "const " + Ident(name) + " = " + FormatFloat(v, false);
  }
  return "const " + Ident(name) + " = " +
         FormatInt(clang_EvalResult_isUnsignedInt(ev), clang_EvalResult_getAsLongLong(ev), clang_EvalResult_getAsUnsigned(ev));
}

void Collector::VarItem(CXCursor c) {
  std::string name = Spelling(c);
  Item* item = NewItem(c, Item::Kind::Const, Usr(c), name);
  if (!item) return;
  CXType t = clang_getCursorType(c);
  CXEvalResult ev = clang_isConstQualifiedType(t) ? clang_Cursor_Evaluate(c) : nullptr;
  if (!ev) {
    item->kind = Item::Kind::Untranslatable;
    item->skipped = "a C variable: `extern` blocks declare functions only";
    return;
  }
  std::string error;
  item->text = Constant(name, t, ev, item->deps, error);
  if (item->text.empty()) {
    item->kind = Item::Kind::Untranslatable;
    item->skipped = "a C variable whose value is not a constant: " + error;
  }
  clang_EvalResult_dispose(ev);
}

void Collector::MacroItem(CXCursor c) {
  if (clang_Cursor_isMacroBuiltin(c)) return;
  std::string name = Spelling(c);
  uint64_t order;
  bool named;
  Where(c, &order, &named);
  bool allowed = AnyMatch(allow_, name);
  // Reserved names (`__x`, `_X`: include guards, compiler switches) only when asked for.
  bool reserved = name.size() > 1 && name[0] == '_' && (name[1] == '_' || std::isupper(static_cast<unsigned char>(name[1])));
  if ((!named || reserved) && !allowed) return;
  // `enum { FP_NAN, … }; #define FP_NAN FP_NAN`: the declaration is the one to translate.
  if (declared_.count(name)) return;
  CXToken* tokens = nullptr;
  unsigned ntokens = 0;
  clang_tokenize(tu_, clang_getCursorExtent(c), &tokens, &ntokens);
  std::string target;
  if (ntokens == 2 && clang_getTokenKind(tokens[1]) == CXToken_Identifier) target = Str(clang_getTokenSpelling(tu_, tokens[1]));
  bool is_string = ntokens > 1;
  std::string place;  // a token whose value is where the macro is used (glib's G_STRLOC)
  static const std::set<std::string> kPlaceTokens = {"__FILE__", "__LINE__", "__COUNTER__", "__func__",
                                                     "__FUNCTION__", "__PRETTY_FUNCTION__", "__DATE__", "__TIME__"};
  for (unsigned i = 1; i < ntokens; i++) {
    std::string spelled = Str(clang_getTokenSpelling(tu_, tokens[i]));
    is_string &= clang_getTokenKind(tokens[i]) == CXToken_Literal && spelled[0] == '"';
    if (place.empty() && kPlaceTokens.count(spelled)) place = spelled;
  }
  clang_disposeTokens(tu_, tokens, ntokens);
  if (ntokens <= 1) return;  // empty: an include guard or a switch, not a value
  Item* item = NewItem(c, Item::Kind::Const, "macro:" + name, name);
  if (!item) return;
  if (clang_Cursor_isMacroFunctionLike(c)) {
    item->kind = Item::Kind::Untranslatable;
    item->skipped = "a function-like macro";
    return;
  }
  if (!place.empty()) {
    item->kind = Item::Kind::Untranslatable;
    item->skipped = "its value depends on where it is used (`" + place + "`)";
    return;
  }
  macros_.push_back({name, target, is_string, out_.items.size() - 1});
}

void Collector::EvaluateMacros(CXIndex index, const std::string& main_text, const std::vector<std::string>& args) {
  if (macros_.empty()) return;
  std::string text = main_text;
  unsigned first_line = 1;
  for (char ch : main_text) first_line += ch == '\n';
  // One line each, so that an error's line says which macro it is about.
  for (size_t i = 0; i < macros_.size(); i++) {
    std::string var = "__fusion_macro_" + std::to_string(i);
    text += macros_[i].is_string ? "static const char " + var + "[] = " + macros_[i].name + ";\n"
                                 : "static const __auto_type " + var + " = (" + macros_[i].name + ");\n";
  }
  CXUnsavedFile unsaved{"fusion_bindgen_probe.h", text.c_str(), static_cast<unsigned long>(text.size())};
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  CXTranslationUnit tu = nullptr;
  CXErrorCode err = clang_parseTranslationUnit2(index, "fusion_bindgen_probe.h", argv.data(), static_cast<int>(argv.size()),
                                                &unsaved, 1, CXTranslationUnit_SkipFunctionBodies, &tu);
  std::map<size_t, std::string> errors;  // macro → first error
  if (err == CXError_Success) {
    unsigned n = clang_getNumDiagnostics(tu);
    for (unsigned d = 0; d < n; d++) {
      CXDiagnostic diag = clang_getDiagnostic(tu, d);
      if (clang_getDiagnosticSeverity(diag) >= CXDiagnostic_Error) {
        CXFile file;
        unsigned line, col, off;
        clang_getExpansionLocation(clang_getDiagnosticLocation(diag), &file, &line, &col, &off);
        std::string fname = file ? Str(clang_getFileName(file)) : "";
        if (fname.find("fusion_bindgen_probe.h") != std::string::npos && line >= first_line) {
          size_t m = line - first_line;
          if (m < macros_.size() && !errors.count(m)) errors[m] = Str(clang_getDiagnosticSpelling(diag));
        }
      }
      clang_disposeDiagnostic(diag);
    }
  }
  std::map<std::string, CXCursor> probes;
  if (tu)
    VisitChildren(clang_getTranslationUnitCursor(tu), [&](CXCursor k) {
      std::string s = Spelling(k);
      if (clang_getCursorKind(k) == CXCursor_VarDecl && s.rfind("__fusion_macro_", 0) == 0) probes[s] = k;
    });
  for (size_t i = 0; i < macros_.size(); i++) {
    const Macro& m = macros_[i];
    Item& item = out_.items[m.item];
    // A macro that names a function (`#define cuMemAlloc cuMemAlloc_v2`, or through another
    // macro): the function under the macro's name too, bound to the function's symbol. A macro
    // that names another such macro (GMP's `#define mpz_div mpz_fdiv_q` over `#define mpz_fdiv_q
    // __gmpz_fdiv_q`) is found by the function its probe refers to.
    std::string target = functions_.count(m.target) ? m.target : "";
    auto probe = probes.find("__fusion_macro_" + std::to_string(i));
    if (probe != probes.end()) {
      std::function<void(CXCursor)> find_ref = [&](CXCursor k) {
        CXCursor ref = clang_getCursorReferenced(k);
        if (clang_getCursorKind(k) == CXCursor_DeclRefExpr && clang_getCursorKind(ref) == CXCursor_FunctionDecl) {
          if (target.empty()) target = Spelling(ref);
          return;
        }
        VisitChildren(k, find_ref);
      };
      CXType pt = clang_getCanonicalType(clang_getCursorType(probe->second));
      if (pt.kind == CXType_Pointer && clang_getCanonicalType(clang_getPointeeType(pt)).kind == CXType_FunctionProto)
        find_ref(probe->second);
    }
    auto fn = functions_.find(target);
    if (target == m.name) {  // `#define f __CUDA_API_PTSZ(f)`: f is declared already
      item.kind = Item::Kind::Untranslatable;
      item.text.clear();
      continue;
    }
    if (fn != functions_.end() && out_.items[fn->second].skipped.empty()) {
      const Signed& f = signatures_[target];
      item.kind = Item::Kind::Function;
      item.deps = out_.items[fn->second].deps;
      // The function's own promise holds under either name; --noalloc may name either.
      item.text = FunctionText(FnIdent(m.name), f.symbol.empty() ? target : f.symbol, f.safe,
                               f.noalloc || AnyMatch(noalloc_, m.name), f.params, f.ret);
      continue;
    }
    item.kind = Item::Kind::Untranslatable;
    if (fn != functions_.end()) {
      item.skipped = "names the function `" + target + "`, which is not translated";
      continue;
    }
    if (errors.count(i)) {
      item.skipped = "not a constant: " + errors[i];
      continue;
    }
    if (probe == probes.end()) {
      item.skipped = "clang could not evaluate it";
      continue;
    }
    CXEvalResult ev = clang_Cursor_Evaluate(probe->second);
    std::string error;
    std::string text = MacroConstant(m.name, probe->second, ev, item.deps, error);
    if (text.empty()) {
      item.skipped = error;
    } else {
      item.kind = Item::Kind::Const;
      item.text = text;
    }
    if (ev) clang_EvalResult_dispose(ev);
  }
  if (tu) clang_disposeTranslationUnit(tu);
}

namespace {
auto RealPath(CXFile f) -> std::string {
  std::string path = Str(clang_File_tryGetRealPathName(f));
  if (path.empty()) path = Str(clang_getFileName(f));
  std::error_code ec;
  std::string canon = std::filesystem::weakly_canonical(path, ec).string();
  return ec ? path : canon;
}

auto Directory(const std::string& path) -> std::string { return path.substr(0, path.find_last_of('/')); }

auto IsUnder(const std::string& path, const std::string& dir) -> bool {
  return path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}
}  // namespace

// The named headers: the files the command line names (found as the -I search finds them), and
// the headers they #include from their own directory or below (curl.h's easy.h), transitively,
// unless that directory is an include directory (-I, /usr/include), which holds other
// libraries' headers too. A quoted #include of a named header that is not followed is listed.
void Collector::FindNamedFiles() {
  struct Inclusion {
    CXFile from, included;
    std::string from_path, path, spelled;
    bool quoted;
  };
  std::vector<Inclusion> inclusions;
  VisitChildren(clang_getTranslationUnitCursor(tu_), [&](CXCursor c) {
    if (clang_getCursorKind(c) != CXCursor_InclusionDirective) return;
    CXFile from;
    clang_getExpansionLocation(clang_getCursorLocation(c), &from, nullptr, nullptr, nullptr);
    CXFile included = clang_getIncludedFile(c);
    if (!from || !included) return;
    CXToken* tokens = nullptr;
    unsigned n = 0;
    clang_tokenize(tu_, clang_getCursorExtent(c), &tokens, &n);
    bool quoted = n > 0 && Str(clang_getTokenSpelling(tu_, tokens[n - 1])).front() == '"';
    clang_disposeTokens(tu_, tokens, n);
    inclusions.push_back({from, included, Str(clang_getFileName(from)), RealPath(included), Spelling(c), quoted});
  });
  const std::set<std::string> system = {"/usr/include", "/usr/local/include", "/usr/include/x86_64-linux-gnu",
                                        std::string(FUSION_CLANG_RESOURCE_DIR) + "/include"};
  std::set<std::string> roots = system;
  for (const std::string& d : options_.include_dirs) {
    std::error_code ec;
    std::string canon = std::filesystem::weakly_canonical(std::filesystem::absolute(d, ec), ec).string();
    roots.insert(ec ? d : canon);
  }
  auto is_named = [&](CXFile f) {
    for (CXFile n : named_files_)
      if (clang_File_isEqual(n, f)) return true;
    return false;
  };
  // Each header on the command line, then what it includes from its own directory.
  std::vector<std::pair<CXFile, std::string>> work;  // a named file, the directory it may follow into
  for (const Inclusion& inc : inclusions)
    if (inc.from_path.find("fusion_bindgen_main.h") != std::string::npos && !is_named(inc.included)) {
      named_files_.push_back(inc.included);
      std::string dir = Directory(inc.path);
      work.emplace_back(inc.included, options_.follow && !roots.count(dir) ? dir : "");
    }
  while (!work.empty()) {
    auto [file, dir] = work.back();
    work.pop_back();
    for (const Inclusion& inc : inclusions) {
      if (!clang_File_isEqual(inc.from, file) || is_named(inc.included)) continue;
      if (!dir.empty() && IsUnder(inc.path, dir)) {
        named_files_.push_back(inc.included);
        out_.followed.push_back(inc.path.substr(dir.size() + 1) + " (included by " + Str(clang_getFileName(file)).substr(
                                    Str(clang_getFileName(file)).find_last_of('/') + 1) + ")");
        work.emplace_back(inc.included, dir);
        continue;
      }
      // Likely the same library's: a quoted #include from the header's directory or below, or
      // one in angle brackets from a subdirectory of a library's own include directory (glib.h's
      // <glib/glist.h> under -I /usr/include/glib-2.0; not stdio.h's <bits/…> under /usr/include).
      std::string from_dir = Directory(RealPath(file));
      bool own = inc.quoted ? IsUnder(inc.path, from_dir) : IsUnder(Directory(inc.path), from_dir) && !system.count(from_dir);
      if (options_.follow && own && !AnyMatch(also_from_, inc.path)) {
        std::string by = Str(clang_getFileName(file));
        std::string note = inc.spelled + " (included by " + by.substr(by.find_last_of('/') + 1) + ")";
        if (std::find(out_.not_followed.begin(), out_.not_followed.end(), note) == out_.not_followed.end())
          out_.not_followed.push_back(note);
      }
    }
  }
}

void Collector::Run() {
  for (const std::string& h : options_.headers) out_.header_names.push_back(h.substr(h.find_last_of('/') + 1));
  CXCursor root = clang_getTranslationUnitCursor(tu_);
  FindNamedFiles();
  VisitChildren(root, [&](CXCursor c) { NameTopLevel(c); });
  // Tags: their own name, unless an ordinary identifier (a function, a typedef of something
  // else) has it; then `struct_NAME`.
  std::function<void(CXCursor)> name_tags = [&](CXCursor c) {
    CXCursorKind kind = clang_getCursorKind(c);
    if (kind != CXCursor_StructDecl && kind != CXCursor_UnionDecl && kind != CXCursor_EnumDecl) return;
    std::string usr = Usr(c);
    if (!names_.count(usr) && !clang_Cursor_isAnonymous(c)) {
      std::string tag = Spelling(c);
      const char* prefix = kind == CXCursor_StructDecl ? "struct_" : kind == CXCursor_UnionDecl ? "union_" : "enum_";
      names_[usr] = ordinary_.count(tag) ? prefix + tag : Ident(tag);
    }
    VisitChildren(c, name_tags);
  };
  VisitChildren(root, name_tags);
  for (const std::string& n : ordinary_) used_.insert(Ident(n));
  for (auto& [usr, n] : names_) used_.insert(n);
  std::function<void(CXCursor)> name_members = [&](CXCursor c) {
    CXCursorKind kind = clang_getCursorKind(c);
    if (kind != CXCursor_StructDecl && kind != CXCursor_UnionDecl) return;
    CXCursor def = clang_getCursorDefinition(c);
    auto it = names_.find(Usr(c));
    if (!clang_Cursor_isNull(def) && clang_equalCursors(def, c) && it != names_.end()) {
      std::string usr = Usr(c);
      if (!c_types_.count(usr))
        c_types_[usr] = typedef_of_.count(usr)        ? typedef_of_[usr]
                        : clang_Cursor_isAnonymous(c) ? ""
                                                      : (kind == CXCursor_StructDecl ? "struct " : "union ") + Spelling(c);
      NameMembers(c, it->second);
    }
    VisitChildren(c, name_members);
  };
  VisitChildren(root, name_members);
  VisitChildren(root, [&](CXCursor c) { ItemFor(c); });
}

}  // namespace

namespace {
// A diagnostic of the headers as `file:line:col: error: …`, or "" for a note of the include stack
// (bindgen's main file includes the headers). A diagnostic at the main file's end (`expected '}'`
// after an unclosed brace: clang places it after the last `#include`) is placed after the last
// header's last token, where a C compiler reports it for that header.
auto FormatDiagnostic(CXTranslationUnit tu, CXDiagnostic diag, size_t main_size) -> std::string {
  std::string text = Str(clang_formatDiagnostic(diag, CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn));
  if (text.rfind("fusion_bindgen_main.h:", 0) != 0) return text;
  std::string message = text.substr(text.find(' ') + 1);
  if (clang_getDiagnosticSeverity(diag) == CXDiagnostic_Note) return "";
  CXFile file;
  unsigned line = 0, col = 0, offset = 0;
  clang_getExpansionLocation(clang_getDiagnosticLocation(diag), &file, &line, &col, &offset);
  CXFile last = nullptr;  // the last header the main file includes
  VisitChildren(clang_getTranslationUnitCursor(tu), [&](CXCursor c) {
    CXFile from = nullptr;
    clang_getExpansionLocation(clang_getCursorLocation(c), &from, nullptr, nullptr, nullptr);
    if (clang_getCursorKind(c) == CXCursor_InclusionDirective && clang_getIncludedFile(c) && from && clang_File_isEqual(from, file))
      last = clang_getIncludedFile(c);
  });
  if (offset + 1 < main_size || !last) return "fusion bindgen: " + message;  // about a header as named
  size_t size = 0;
  const char* contents = clang_getFileContents(tu, last, &size);
  while (contents && size > 0 && std::isspace(static_cast<unsigned char>(contents[size - 1]))) size--;
  unsigned end_line = 1, end_col = 1;
  for (size_t i = 0; contents && i < size; i++) {
    if (contents[i] == '\n') end_line++, end_col = 1;
    else end_col++;
  }
  return Str(clang_getFileName(last)) + ":" + std::to_string(end_line) + ":" + std::to_string(end_col) + ": " + message;
}
}  // namespace

auto Collect(const Options& options, Collection& out) -> bool {
  std::vector<std::string> args = {"-x", "c", "-std=gnu11", "-ferror-limit=0", "-w",
                                   "-resource-dir", FUSION_CLANG_RESOURCE_DIR};
  for (const std::string& d : options.include_dirs) args.push_back("-I" + d);
  for (const std::string& d : options.defines) args.push_back("-D" + d);
  std::string main_text;
  for (const std::string& h : options.headers) main_text += "#include \"" + h + "\"\n";

  CXIndex index = clang_createIndex(0, 0);
  CXUnsavedFile unsaved{"fusion_bindgen_main.h", main_text.c_str(), static_cast<unsigned long>(main_text.size())};
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  CXTranslationUnit tu = nullptr;
  CXErrorCode err = clang_parseTranslationUnit2(
      index, "fusion_bindgen_main.h", argv.data(), static_cast<int>(argv.size()), &unsaved, 1,
      CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_SkipFunctionBodies, &tu);
  if (err != CXError_Success) {
    std::fprintf(stderr, "fusion bindgen: error: libclang could not parse the headers (error %d)\n", static_cast<int>(err));
    clang_disposeIndex(index);
    return false;
  }
  bool ok = true;
  unsigned n = clang_getNumDiagnostics(tu);
  for (unsigned d = 0; d < n; d++) {
    CXDiagnostic diag = clang_getDiagnostic(tu, d);
    if (clang_getDiagnosticSeverity(diag) >= CXDiagnostic_Error) {
      std::fprintf(stderr, "%s\n", FormatDiagnostic(tu, diag, main_text.size()).c_str());
      // Its notes (`to match this '{'`), which say where the trouble started.
      CXDiagnosticSet children = clang_getChildDiagnostics(diag);
      for (unsigned k = 0; k < clang_getNumDiagnosticsInSet(children); k++) {
        CXDiagnostic note = clang_getDiagnosticInSet(children, k);
        std::string note_text = FormatDiagnostic(tu, note, main_text.size());
        if (!note_text.empty()) std::fprintf(stderr, "%s\n", note_text.c_str());
        clang_disposeDiagnostic(note);
      }
      ok = false;
    }
    clang_disposeDiagnostic(diag);
  }
  if (ok) {
    Collector collector(options, tu, out);
    collector.Run();
    collector.EvaluateMacros(index, main_text, args);
    std::stable_sort(out.items.begin(), out.items.end(),
                     [](const Item& a, const Item& b) { return a.order < b.order; });
  }
  clang_disposeTranslationUnit(tu);
  clang_disposeIndex(index);
  return ok;
}

}  // namespace fusion::bindgen
