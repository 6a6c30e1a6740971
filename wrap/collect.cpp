// libclang → Api: parses the spec's headers and `cxx` block as one C++ translation unit, finds the
// classes, enums, functions and methods the spec names, and translates each signature (types.cpp)
// or records why it cannot be.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "wrap/clang_util.h"

namespace fusion::wrap {
namespace {

auto IsOperator(const std::string& name) -> bool {
  return name.rfind("operator", 0) == 0 && name.size() > 8 && !std::isalnum(static_cast<unsigned char>(name[8])) && name[8] != '_';
}

// Whether a parameter has a default argument (an expression among its children).
auto HasDefault(CXCursor param) -> bool {
  bool found = false;
  VisitChildren(param, [&](CXCursor k) {
    if (clang_isExpression(clang_getCursorKind(k))) found = true;
  });
  return found;
}

class Collector {
 public:
  Collector(const Spec& spec, Api& api) : spec_(spec), api_(api) {
    ctx_.spec = &spec;
    ctx_.api = &api;
  }
  void FindTypes(CXCursor parent);
  void FindFunctions(CXCursor parent);
  void Finish();

 private:
  void ExposeClass(CXCursor c);
  void Members(CXCursor cls_decl, const Class& cls, CXCursor from, std::set<std::string>& hidden, bool inherited);
  void AddFn(CXCursor c, Fn fn, const std::string& base_name);
  auto Skip(CXCursor c, const std::string& qualified, const std::string& signature) -> bool;
  void Skipped(CXCursor c, const std::string& qualified, const std::string& reason) {
    api_.skipped.push_back({qualified, Where(c), reason});
  }
  auto RenameOf(const std::string& qualified, const std::string& signature) -> std::string {
    for (const Rename& r : spec_.renames)
      if (r.pattern.Matches(qualified) || r.pattern.Matches(signature)) return r.name;
    return "";
  }

  const Spec& spec_;
  Api& api_;
  TypeContext ctx_;
  std::vector<std::pair<CXCursor, size_t>> class_cursors_;  // definition → index in api_.classes
  std::set<std::string> class_usrs_;
  std::set<std::string> seen_;                              // USRs of functions considered
  std::vector<std::string> bases_;                          // base names of api_.fns, for overloads
};

auto Collector::Skip(CXCursor c, const std::string& qualified, const std::string& signature) -> bool {
  for (const Pattern& p : spec_.skips)
    if (p.Matches(qualified) || p.Matches(signature)) {
      Skipped(c, signature, "skipped by the spec (line " + std::to_string(p.pos.line) + ")");
      return true;
    }
  return false;
}

// Pass 1: the exposed classes and the enums the spec names, so that every signature can use them.
void Collector::FindTypes(CXCursor parent) {
  VisitChildren(parent, [&](CXCursor c) {
    CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_Namespace || k == CXCursor_LinkageSpec) return FindTypes(c);
    if ((k == CXCursor_ClassDecl || k == CXCursor_StructDecl) && clang_isCursorDefinition(c)) {
      std::string q = QualifiedName(c);
      bool named = false;
      for (const Pattern& p : spec_.classes) named = p.Matches(q) || named;
      if (named) ExposeClass(c);
      return FindTypes(c);  // nested classes and enums
    }
    if (k == CXCursor_ClassTemplate) {
      std::string q = QualifiedName(c);
      for (const Pattern& p : spec_.classes)
        if (p.Matches(q)) return Skipped(c, q, "a class template: expose an instantiation through a helper in the `cxx` block");
    }
    if (k == CXCursor_EnumDecl && clang_isCursorDefinition(c)) {
      std::string q = QualifiedName(c);
      for (const Pattern& p : spec_.enums)
        if (p.Matches(q)) {
          std::string why;
          Translate(clang_getCursorType(c), false, ctx_, why);
          if (!why.empty()) Skipped(c, q, why);
          return;
        }
    }
  });
}

void Collector::ExposeClass(CXCursor c) {
  if (!class_usrs_.insert(Usr(c)).second) return;
  Class cls;
  cls.cxx = QualifiedName(c);
  cls.fusion = ClassPath(c);
  std::string renamed = RenameOf(cls.cxx, cls.cxx);
  if (!renamed.empty()) cls.fusion = renamed;
  cls.fusion = FusionIdent(cls.fusion);
  cls.where = Where(c);
  api_.classes.push_back(cls);
  class_cursors_.push_back({c, api_.classes.size() - 1});
}

// Pass 2: functions in namespaces, then each exposed class's constructors, methods and free.
void Collector::FindFunctions(CXCursor parent) {
  if (parent.kind == CXCursor_TranslationUnit)
    for (auto& [cursor, index] : class_cursors_) ctx_.classes[Usr(cursor)] = &api_.classes[index];
  VisitChildren(parent, [&](CXCursor c) {
    CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_Namespace || k == CXCursor_LinkageSpec) return FindFunctions(c);
    if (k != CXCursor_FunctionDecl && k != CXCursor_FunctionTemplate) return;
    std::string q = QualifiedName(c);
    std::string sig = QualifiedName(clang_getCursorSemanticParent(c)) + "::" + Str(clang_getCursorDisplayName(c));
    if (clang_getCursorKind(clang_getCursorSemanticParent(c)) == CXCursor_TranslationUnit) sig = Str(clang_getCursorDisplayName(c));
    bool named = false;
    for (const Pattern& p : spec_.functions) named = p.Matches(q) || p.Matches(sig) || named;
    if (!named || !seen_.insert(Usr(c)).second || Skip(c, q, sig)) return;
    if (k == CXCursor_FunctionTemplate) return Skipped(c, sig, "a function template: call an instantiation from a helper in the `cxx` block");
    std::string name = RenameOf(q, sig);
    if (name.empty() && IsOperator(Spelling(c))) return Skipped(c, sig, "an operator: give it a name with `rename`");
    Fn fn;
    fn.kind = Fn::Kind::Function;
    fn.qualified = sig;
    fn.cxx_callee = q;
    AddFn(c, fn, FusionIdent(name.empty() ? Spelling(c) : name));
  });
  if (parent.kind != CXCursor_TranslationUnit) return;
  for (auto& [cursor, index] : class_cursors_) {
    const Class& cls = api_.classes[index];
    std::set<std::string> hidden;
    Members(cursor, cls, cursor, hidden, false);
    Fn free;
    free.kind = Fn::Kind::Free;
    free.qualified = cls.cxx + "::~" + Spelling(cursor);
    free.cls = cls.cxx;
    free.cls_fusion = cls.fusion;
    free.path = cls.fusion + "_free";
    free.where = cls.where;
    api_.fns.push_back(free);
    bases_.push_back(free.path);
  }
}

// The public constructors and methods of `from` (the class itself, or a public base of it, whose
// methods are not hidden by one of the same name in a class nearer `cls_decl`).
void Collector::Members(CXCursor cls_decl, const Class& cls, CXCursor from, std::set<std::string>& hidden, bool inherited) {
  std::set<std::string> declared_here;
  bool abstract = clang_CXXRecord_isAbstract(cls_decl);
  std::vector<CXCursor> bases;
  VisitChildren(from, [&](CXCursor c) {
    CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_CXXBaseSpecifier) {
      if (clang_getCXXAccessSpecifier(c) == CX_CXXPublic) bases.push_back(clang_getCursorDefinition(clang_getTypeDeclaration(clang_getCursorType(c))));
      return;
    }
    if (k == CXCursor_FieldDecl && !inherited && clang_getCXXAccessSpecifier(c) == CX_CXXPublic)
      return Skipped(c, cls.cxx + "::" + Spelling(c), "a public field: read or write it through a helper in the `cxx` block");
    bool is_ctor = k == CXCursor_Constructor;
    bool is_template = k == CXCursor_FunctionTemplate;
    if (k != CXCursor_CXXMethod && k != CXCursor_ConversionFunction && !is_ctor && !is_template) return;
    if (clang_getCXXAccessSpecifier(c) != CX_CXXPublic) return;
    std::string name = Spelling(c);
    if (inherited && (is_ctor || hidden.count(name))) return;
    if (is_template && clang_getTemplateCursorKind(c) == CXCursor_Constructor) is_ctor = true;
    declared_here.insert(name);
    std::string q = cls.cxx + "::" + name;
    std::string sig = cls.cxx + "::" + Str(clang_getCursorDisplayName(c));
    if (!is_ctor) {
      bool named = false;
      for (const Pattern& p : spec_.methods) named = p.Matches(q) || p.Matches(sig) || named;
      if (!named) return;
    }
    if (!seen_.insert(cls.cxx + "|" + Usr(c)).second || Skip(c, q, sig)) return;
    if (is_template) return Skipped(c, sig, "a member template: call an instantiation from a helper in the `cxx` block");
    if (clang_CXXMethod_isDeleted(c)) return Skipped(c, sig, "deleted (`= delete`)");
    if (is_ctor && abstract) return Skipped(c, sig, "a constructor of an abstract class");
    if (is_ctor && clang_CXXConstructor_isMoveConstructor(c)) return Skipped(c, sig, "a move constructor (its parameter is an rvalue reference)");
    std::string renamed = RenameOf(q, sig);
    if (!is_ctor && renamed.empty() && (IsOperator(name) || k == CXCursor_ConversionFunction))
      return Skipped(c, sig, "an operator: give it a name with `rename`");
    Fn fn;
    fn.kind = is_ctor ? Fn::Kind::Constructor : clang_CXXMethod_isStatic(c) ? Fn::Kind::StaticMethod : Fn::Kind::Method;
    fn.qualified = sig;
    fn.cxx_callee = fn.kind == Fn::Kind::StaticMethod ? q : name;
    fn.cls = cls.cxx;
    fn.cls_fusion = cls.fusion;
    AddFn(c, fn, cls.fusion + "_" + (is_ctor ? "new" : renamed.empty() ? name : renamed));
  });
  hidden.insert(declared_here.begin(), declared_here.end());
  for (CXCursor base : bases)
    if (!clang_Cursor_isNull(base)) Members(cls_decl, cls, base, hidden, true);
}

void Collector::AddFn(CXCursor c, Fn fn, const std::string& base_name) {
  fn.where = Where(c);
  if (clang_Cursor_isVariadic(c)) return Skipped(c, fn.qualified, "variadic (`...`)");
  int n = clang_Cursor_getNumArguments(c);
  std::string left_out;
  for (int i = 0; i < n; i++) {
    CXCursor arg = clang_Cursor_getArgument(c, i);
    Param p;
    p.name = Spelling(arg);
    if (p.name.empty()) p.name = "arg" + std::to_string(i);
    p.name = FusionIdent(p.name);
    std::string why;
    p.conv = Translate(clang_getCursorType(arg), false, ctx_, why);
    if (!why.empty() || !left_out.empty()) {
      if (!HasDefault(arg)) return Skipped(c, fn.qualified, "parameter `" + Spelling(arg) + "`: " + why);
      left_out += (left_out.empty() ? "" : ", ") + ("`" + Spelling(arg) + "`") + (why.empty() ? "" : " (" + why + ")");
      continue;
    }
    fn.params.push_back(p);
  }
  if (!left_out.empty()) fn.notes.push_back("defaulted parameters left out (C++ passes their defaults): " + left_out);
  std::string plain = fn.qualified.substr(0, fn.qualified.find('('));
  for (const Pattern& p : spec_.unsafes) fn.is_unsafe = p.Matches(plain) || p.Matches(fn.qualified) || fn.is_unsafe;
  if (fn.kind != Fn::Kind::Constructor) {
    std::string why;
    fn.result = Translate(clang_getCursorResultType(c), true, ctx_, why);
    if (!why.empty()) return Skipped(c, fn.qualified, "result: " + why);
  } else {
    fn.result.kind = Conv::Kind::Handle;
    fn.result.c_type = fn.cls + "*";
    fn.result.fusion = "*" + fn.cls_fusion;
  }
  api_.fns.push_back(fn);
  bases_.push_back(base_name);
}

// Overloads: a name declared once keeps it; each of several gets `_` and its parameters' tags
// (`Counter_add_i64`, `Counter_add_str`; none for an overload without parameters). Two that still
// collide keep the first, and the other is listed.
void Collector::Finish() {
  std::map<std::string, int> count;
  for (const std::string& b : bases_) count[b]++;
  std::set<std::string> taken;
  std::map<std::string, std::string> by;
  std::vector<Fn> kept;
  for (size_t i = 0; i < api_.fns.size(); i++) {
    Fn& fn = api_.fns[i];
    std::string path = bases_[i];
    if (count[path] > 1)
      for (const Param& p : fn.params) path += "_" + p.conv.tag;
    if (!taken.insert(path).second) {
      api_.skipped.push_back({fn.qualified, fn.where, "its name `" + path + "` is already `" + by[path] + "`'s (rename or skip one)"});
      continue;
    }
    by[path] = fn.qualified;
    fn.path = path;
    kept.push_back(fn);
  }
  api_.fns = kept;
}

}  // namespace

auto Collect(const Spec& spec, Api& out) -> bool {
  std::string& text = out.preamble;
  text = "// Generated by `fusion wrap " + spec.file + "`: do not edit.\n";
  for (const std::string& h : spec.headers) text += "#include \"" + h + "\"\n";
  if (!spec.cxx.empty()) text += "#line " + std::to_string(spec.cxx_line) + " \"" + spec.file + "\"\n" + spec.cxx;
  std::vector<std::string> args = {"-x", "c++", "-std=" + spec.std_version, "-resource-dir", FUSION_CLANG_RESOURCE_DIR,
                                   "-I" + spec.dir};
  for (const std::string& d : spec.include_dirs) args.push_back("-I" + d);
  for (const std::string& f : spec.flags) args.push_back(f);
  std::string main_name = spec.output_dir + "/" + spec.name + "_shim.cpp";
  CXIndex index = clang_createIndex(0, 0);
  CXUnsavedFile unsaved{main_name.c_str(), text.c_str(), static_cast<unsigned long>(text.size())};
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  CXTranslationUnit tu = nullptr;
  CXErrorCode err = clang_parseTranslationUnit2(index, main_name.c_str(), argv.data(), static_cast<int>(argv.size()), &unsaved, 1,
                                                CXTranslationUnit_SkipFunctionBodies, &tu);
  if (err != CXError_Success) {
    std::fprintf(stderr, "fusion wrap: error: libclang could not parse the headers (error %d)\n", static_cast<int>(err));
    clang_disposeIndex(index);
    return false;
  }
  bool ok = true;
  for (unsigned d = 0; d < clang_getNumDiagnostics(tu); d++) {
    CXDiagnostic diag = clang_getDiagnostic(tu, d);
    if (clang_getDiagnosticSeverity(diag) >= CXDiagnostic_Error) {
      std::fprintf(stderr, "%s\n", Str(clang_formatDiagnostic(diag, CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn)).c_str());
      ok = false;
    }
    clang_disposeDiagnostic(diag);
  }
  if (ok) {
    Collector collector(spec, out);
    collector.FindTypes(clang_getTranslationUnitCursor(tu));
    collector.FindFunctions(clang_getTranslationUnitCursor(tu));
    collector.Finish();
    // Patterns that match nothing (typos, most likely), in the spec's order.
    std::vector<std::pair<Pos, std::string>> errors;
    auto unused = [&](const Pattern& p, const char* what) {
      if (!p.used) errors.push_back({p.pos, "`" + p.text + "` matches no " + what});
    };
    for (const Pattern& p : spec.classes) unused(p, "class");
    for (const Pattern& p : spec.functions) unused(p, "function");
    for (const Pattern& p : spec.methods) unused(p, "method of an exposed class");
    for (const Pattern& p : spec.enums) unused(p, "enum");
    for (const Pattern& p : spec.skips) unused(p, "declaration");
    for (const Pattern& p : spec.unsafes) unused(p, "exposed function");
    for (const Rename& r : spec.renames) unused(r.pattern, "declaration");
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
      return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.col < b.first.col;
    });
    for (const auto& [pos, message] : errors)
      std::fprintf(stderr, "%s:%d:%d: error: %s\n", spec.path.c_str(), pos.line, pos.col, message.c_str());
    ok = errors.empty();
  }
  clang_disposeTranslationUnit(tu);
  clang_disposeIndex(index);
  return ok;
}

}  // namespace fusion::wrap
