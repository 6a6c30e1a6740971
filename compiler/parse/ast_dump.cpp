// Prints a syntax tree as indented text, one node per line (`fusion emit --ast`).
#include <sstream>

#include "parse/ast.h"

namespace fusion::ast {

auto NodeKindName(NodeKind kind) -> const char* {
  static const char* kNames[] = {
#define NODE(name, base) #name,
#include "parse/ast_kinds.def"
  };
  return kNames[static_cast<int>(kind)];
}

namespace {

class Dumper {
 public:
  explicit Dumper(Annotator annotate) : annotate_(annotate) {}
  auto str() -> std::string { return out_.str(); }

  void Line(int depth, const std::string& text) {
    out_ << std::string(depth * 2, ' ') << text << (current_ && annotate_ ? annotate_(current_) : "") << "\n";
    current_ = nullptr;
  }

  void Node(const ast::Node* n, int d) {
    if (!n) return Line(d, "<error>");
    current_ = n;
    std::string head = NodeKindName(n->kind);
    switch (n->kind) {
      case NodeKind::IntLit: return Line(d, head + " " + std::to_string(As<IntLit>(n)->value));
      case NodeKind::FloatLit: {
        std::ostringstream v;
        v << As<FloatLit>(n)->value;
        return Line(d, head + " " + v.str());
      }
      case NodeKind::BoolLit: return Line(d, head + (As<BoolLit>(n)->value ? " true" : " false"));
      case NodeKind::StringLit: return Line(d, head + " \"" + As<StringLit>(n)->value + "\"");
      case NodeKind::Name: return Line(d, head + " " + As<Name>(n)->name);
      case NodeKind::NamedType:
        Line(d, head + " " + As<NamedType>(n)->name);
        for (const TypeExpr* a : As<NamedType>(n)->args) Node(a, d + 1);
        if (As<NamedType>(n)->lanes) Node(As<NamedType>(n)->lanes, d + 1);
        return;
      case NodeKind::Unary: {
        auto* u = As<Unary>(n);
        Line(d, head + " " + lex::Spelling(u->op));
        return Node(u->operand, d + 1);
      }
      case NodeKind::Binary: {
        auto* b = As<Binary>(n);
        Line(d, head + " " + lex::Spelling(b->op));
        Node(b->lhs, d + 1);
        return Node(b->rhs, d + 1);
      }
      case NodeKind::Call: {
        auto* c = As<Call>(n);
        Line(d, head);
        Node(c->callee, d + 1);
        for (auto* t : c->type_args) Node(t, d + 1);
        for (auto* a : c->args) Node(a, d + 1);
        for (auto& a : c->named_args) {
          Line(d + 1, a.name + ":");
          Node(a.value, d + 2);
        }
        return;
      }
      case NodeKind::Index:
        Line(d, head);
        Node(As<Index>(n)->base, d + 1);
        Node(As<Index>(n)->index, d + 1);
        for (const Expr* more : As<Index>(n)->more) Node(more, d + 1);
        return;
      case NodeKind::Field:
        Line(d, head + " ." + As<Field>(n)->name);
        return Node(As<Field>(n)->base, d + 1);
      case NodeKind::Cast:
        Line(d, head);
        Node(As<Cast>(n)->expr, d + 1);
        return Node(As<Cast>(n)->target, d + 1);
      case NodeKind::ArrayLit:
        Line(d, head);
        for (auto* e : As<ArrayLit>(n)->elems) Node(e, d + 1);
        return;
      case NodeKind::TupleLit:
        Line(d, head);
        for (auto* e : As<TupleLit>(n)->elems) Node(e, d + 1);
        return;
      case NodeKind::ArrayRepeat:
        Line(d, head);
        Node(As<ArrayRepeat>(n)->value, d + 1);
        return Node(As<ArrayRepeat>(n)->count, d + 1);
      case NodeKind::StructLit: {
        auto* s = As<StructLit>(n);
        Line(d, head);
        Node(s->struct_type, d + 1);
        for (auto& f : s->fields) {
          Line(d + 1, f.name + ":");
          Node(f.value, d + 2);
        }
        return;
      }
      case NodeKind::TypeQuery: {
        auto* q = As<TypeQuery>(n);
        static const char* kQ[] = {"sizeof", "alignof", "offsetof"};
        Line(d, head + " " + kQ[static_cast<int>(q->query)] + (q->field.empty() ? "" : " ." + q->field));
        return Node(q->target, d + 1);
      }
      case NodeKind::Let: {
        auto* l = As<Let>(n);
        Line(d, head + (l->is_shared ? " shared" : "") + (l->is_var ? " var " : " let ") + l->name);
        if (l->declared_type) Node(l->declared_type, d + 1);
        if (l->init) Node(l->init, d + 1);
        return;
      }
      case NodeKind::ExprStmt:
        Line(d, head);
        return Node(As<ExprStmt>(n)->expr, d + 1);
      case NodeKind::Assign:
        Line(d, head + " " + lex::Spelling(As<Assign>(n)->op));
        Node(As<Assign>(n)->target, d + 1);
        return Node(As<Assign>(n)->value, d + 1);
      case NodeKind::Block: {
        auto* b = As<Block>(n);
        Line(d, head + (b->is_unsafe ? " unsafe" : ""));
        for (auto* s : b->stmts) Node(s, d + 1);
        return;
      }
      case NodeKind::Launch: {
        auto* l = As<Launch>(n);
        Line(d, head + " " + l->kernel);
        for (Expr* e : {l->grid, l->block, l->shared_bytes, l->stream})
          if (e) Node(e, d + 1);
        Line(d + 1, "args");
        for (auto* a : l->args) Node(a, d + 2);
        return;
      }
      case NodeKind::If:
        Line(d, head);
        Node(As<If>(n)->cond, d + 1);
        Node(As<If>(n)->then_block, d + 1);
        if (As<If>(n)->else_stmt) Node(As<If>(n)->else_stmt, d + 1);
        return;
      case NodeKind::While:
        Line(d, head);
        Node(As<While>(n)->cond, d + 1);
        return Node(As<While>(n)->body, d + 1);
      case NodeKind::For:
        Line(d, head + " " + As<For>(n)->name);
        Node(As<For>(n)->start, d + 1);
        if (!As<For>(n)->is_lines) Node(As<For>(n)->end, d + 1);
        return Node(As<For>(n)->body, d + 1);
      case NodeKind::Return:
        Line(d, head);
        if (As<Return>(n)->value) Node(As<Return>(n)->value, d + 1);
        return;
      case NodeKind::FnDecl: {
        auto* f = As<FnDecl>(n);
        std::string extern_part;
        if (f->is_extern) {
          extern_part = f->has_library ? " extern \"" + f->library + "\"" : " extern";
          if (f->is_safe) extern_part += " safe";
          if (f->is_variadic) extern_part += " variadic";
        }
        Line(d, head + (f->is_unsafe ? " unsafe " : " ") + f->name + extern_part);
        for (auto* p : f->params) Node(p, d + 1);
        if (f->ret) Node(f->ret, d + 1);
        if (f->body) Node(f->body, d + 1);
        return;
      }
      case NodeKind::Param:
        Line(d, head + " " + As<Param>(n)->name);
        return Node(As<Param>(n)->declared_type, d + 1);
      case NodeKind::StructDecl: {
        auto* s = As<StructDecl>(n);
        Line(d, std::string(s->is_union ? "UnionDecl " : "StructDecl ") + s->name);
        for (auto& f : s->fields) {
          Line(d + 1, f.name + ":");
          Node(f.declared_type, d + 2);
        }
        return;
      }
      case NodeKind::EnumDecl: {
        auto* e = As<EnumDecl>(n);
        Line(d, head + " " + e->name);
        for (auto& m : e->members) {
          Line(d + 1, m.name);
          if (m.value) Node(m.value, d + 2);
        }
        return;
      }
      case NodeKind::OpaqueDecl: return Line(d, head + " " + As<OpaqueDecl>(n)->name);
      case NodeKind::TypeAliasDecl:
        Line(d, head + " " + As<TypeAliasDecl>(n)->name);
        return Node(As<TypeAliasDecl>(n)->aliased, d + 1);
      case NodeKind::ConstDecl: {
        auto* c = As<ConstDecl>(n);
        Line(d, std::string(c->is_static ? "StaticDecl " : "ConstDecl ") + c->name);
        if (c->declared_type) Node(c->declared_type, d + 1);
        if (c->init) Node(c->init, d + 1);
        return;
      }
      case NodeKind::ImportDecl: return Line(d, head + " \"" + As<ImportDecl>(n)->path + "\"");
      case NodeKind::PointerType:
        Line(d, head);
        return Node(As<PointerType>(n)->pointee, d + 1);
      case NodeKind::ArrayType:
        Line(d, head);
        Node(As<ArrayType>(n)->elem, d + 1);
        return Node(As<ArrayType>(n)->size, d + 1);
      case NodeKind::FnPointerType: {
        auto* f = As<FnPointerType>(n);
        Line(d, head);
        for (auto* p : f->params) Node(p, d + 1);
        if (f->ret) {
          Line(d + 1, "->");
          Node(f->ret, d + 2);
        }
        return;
      }
      default:
        return Line(d, head);
    }
  }

 private:
  Annotator annotate_;
  const ast::Node* current_ = nullptr;  // the node whose line is being written
  std::ostringstream out_;
};

}  // namespace

auto Dump(const Tree& tree, Annotator annotate) -> std::string {
  Dumper d(annotate);
  for (auto* decl : tree.decls) d.Node(decl, 0);
  for (auto* stmt : tree.stmts) d.Node(stmt, 0);
  return d.str();
}

}  // namespace fusion::ast
