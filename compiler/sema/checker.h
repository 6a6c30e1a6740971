// The checker's shared state, used by check_*.cpp and consteval.cpp.
#pragma once

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "parse/parse.h"
#include "sema/check.h"

namespace fusion::sema {

// The deepest the checker recurses: through nested expressions, blocks and types (which the
// parser keeps within parse::kMaxNesting) and through declarations that need others first.
inline constexpr int kMaxCheckDepth = 4 * parse::kMaxNesting;

// The device limits the checker knows (runtime/include/fusion/rt_gpu.h has the same, for launches).
struct RtLimits {
  static constexpr int64_t kMaxBlockThreads = 1024;
  static constexpr uint64_t kMaxShared = 48 * 1024;
};

using ast::As;
using lex::TokenKind;

// A tensor's shape where the compiler knows it (check_shape.cpp).
using TensorShape = std::vector<int64_t>;

// The edit distance of two names, for "did you mean" hints (check_gpu.cpp).
auto Distance(std::string_view a, std::string_view b) -> size_t;

class Checker {
 public:
  Checker(std::vector<ast::Tree*> trees, diag::Consumer& diags);
  auto Run(const GenerateHook& generate = nullptr) -> CheckedModule;
  // Checks a tree of generated declarations after the program's (see GenerateHook).
  void CheckGenerated(ast::Tree* tree);

  // ---- declarations (check_decl.cpp) ----
  void CollectGlobals();
  void DeclareGlobal(ast::Decl* decl, SourceRange name_range);
  void CheckTypeDecl(ast::Decl* decl);
  auto NominalType(ast::Decl* decl) -> const Type*;
  auto ResolveType(ast::TypeExpr* t) -> const Type*;
  // Makes sure a type used by value has its size; reports recursive types.
  auto EnsureLayout(const Type* t, SourceRange where) -> bool;
  auto IsBuiltinDim3(const ast::Decl* decl) const -> bool;
  auto IdenticalRedeclaration(const ast::Node* first, const ast::Decl* again) const -> bool;
  void CheckOnLoad(ast::FnDecl* fn);
  void CheckFnSignature(ast::FnDecl* fn);
  void CheckLayoutAttribute(const Type* t, const ast::Attribute& a, bool laid_out);
  auto AlignAttribute(const ast::StructDecl* s) -> uint64_t;
  // C passes no arrays by value: reports an array `t` at `where`; true when `t` is fine.
  auto CheckCValue(const Type* t, SourceRange where) -> bool;
  void CheckConstDecl(ast::ConstDecl* c);
  void CheckFnBody(ast::FnDecl* fn);
  auto CheckLatencyAttribute(ast::FnDecl* fn, const ast::Attribute& a) -> bool;
  // @noalloc (check_noalloc.cpp): after every body is checked.
  void CheckNoalloc();
  void CheckScript();

  // ---- statements (check_stmt.cpp) ----
  void CheckBlock(ast::Block* block);
  void CheckStmt(ast::Stmt* stmt);
  void CheckLet(ast::Let* let);
  void CheckAssign(ast::Assign* assign);
  void CheckCondition(ast::Expr* cond);

  // ---- expressions (check_expr.cpp) ----
  // Checks `e`; `expected` (may be null) is the type the context wants, which untyped
  // literals take. The result may still be untyped: see Coerce and Finalize.
  auto CheckExpr(ast::Expr* e, const Type* expected = nullptr) -> const Type*;
  auto CheckName(ast::Name* e) -> const Type*;
  auto CheckUnary(ast::Unary* e, const Type* expected) -> const Type*;
  auto CheckBinary(ast::Binary* e, const Type* expected) -> const Type*;
  auto CheckCall(ast::Call* e, const Type* expected) -> const Type*;
  // The arguments of a call of a function (or function pointer) with these parameter types; a
  // variadic callee takes scalar extras. `name` names the callee in diagnostics.
  auto CheckDirectCall(ast::Call* e, ast::FnDecl* fn, size_t checked) -> const Type*;
  auto CheckHandleMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type*;
  void CheckCallArgs(ast::Call* e, const std::vector<const Type*>& params, bool variadic, const std::string& name,
                     const ast::FnDecl* decl, size_t checked = 0);
  auto CheckIndex(ast::Index* e) -> const Type*;
  auto CheckField(ast::Field* e) -> const Type*;
  auto CheckCast(ast::Cast* e) -> const Type*;
  auto CheckArrayLit(ast::Expr* e, const Type* expected) -> const Type*;
  auto CheckStructLit(ast::StructLit* e) -> const Type*;
  auto CheckTypeQuery(ast::TypeQuery* e, const Type* expected) -> const Type*;
  // Gives an untyped expression the type `target`, or checks that its type is `target`.
  // Reports a mismatch (and returns false) otherwise.
  auto Coerce(ast::Expr* e, const Type* target) -> bool;
  // Gives an untyped expression its default type (i64, f64); reports `null` alone.
  auto Finalize(ast::Expr* e) -> const Type*;
  // Checks `e` and finalizes it.
  auto CheckValue(ast::Expr* e, const Type* expected = nullptr) -> const Type*;
  void SetUntypedType(ast::Expr* e, const Type* t);
  // Reports an integer constant expression that is not a value of `t`.
  void CheckIntRange(ast::Expr* e, const Type* t);
  // Whether arithmetic or bitwise operator `op` (`+ - * / %`, `& | ^`) takes operands of type `t`:
  // the one rule for scalars, compound assignments and tensor elements.
  static auto ArithmeticAccepts(TokenKind op, const Type* t) -> bool;
  // Checks every argument of `e` (positional and named) on its own, after an error that stops the
  // call's own checks (an unknown function, a wrong argument count).
  void CheckArgsAlone(ast::Call* e);
  // For an assignment target: the binding that makes it immutable, or null.
  auto ImmutableRoot(const ast::Expr* e) const -> const ast::Node*;
  auto ScriptLocal(const std::string& name) const -> const ast::Let*;
  // Reports `what` unless inside `unsafe`; true when it reported (a note may follow).
  auto RequireUnsafe(SourceRange where, const std::string& what) -> bool;

  // ---- builtins (check_builtin.cpp) ----
  auto BuiltinOf(const std::string& name) const -> ast::Builtin;
  auto CheckBuiltinCall(ast::Call* e, ast::Builtin b, const std::string& name, const Type* expected) -> const Type*;
  // Whether builtin `name` got lo … hi positional arguments; otherwise reports it, checks every
  // argument (positional and named) on its own and returns false.
  auto BuiltinArgCount(ast::Call* e, const std::string& name, size_t lo, size_t hi) -> bool;

  // ---- tensors (check_tensor.cpp) ----
  static constexpr size_t RtTensorMaxInputs = 16;  // rt_tensor.h: RT_TENSOR_MAX_INPUTS
  auto IsTensorElem(const Type* t) const -> bool;
  auto ResolveTensorType(ast::NamedType* n) -> const Type*;
  // SIMD vectors (check_vec.cpp).
  auto ResolveVecType(ast::NamedType* n) -> const Type*;
  auto VecOperand(ast::Expr* e, const Type* vt) -> bool;
  auto CheckVecBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type*;
  auto CheckVecUnary(ast::Unary* e, const Type* t) -> const Type*;
  auto CheckVecCast(ast::Cast* e, const Type* to) -> const Type*;
  auto CheckVecMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type*;
  auto CheckVecMath(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type*;
  auto TensorHostOnly(ast::Expr* e, const std::string& what) -> bool;
  auto TensorOperand(ast::Expr* e, const Type* elem, const std::string& op, const Type* other) -> bool;
  auto CheckTensorBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type*;
  auto CheckTensorUnary(ast::Unary* e, const Type* t) -> const Type*;
  auto CheckTensorMath(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type*;
  auto CheckTensorDims(ast::Call* e, size_t first, const std::string& name) -> bool;
  auto CheckTensorCall(ast::Call* e, ast::Field* callee) -> const Type*;
  auto CheckTensorMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type*;
  auto CheckMatmulOperands(ast::Call* e, ast::Expr* a, ast::Expr* b, const std::string& name) -> const Type*;
  auto CheckTensorMap(ast::Call* e, const std::string& name) -> const Type*;
  auto CheckTensorIndex(ast::Index* e, const Type* bt) -> const Type*;
  // Strings and files (sema/check_string.cpp).
  static auto CountedNoun(const Type* t) -> std::string;  // "tensor", "`string`", "`file`"
  void CheckDropAttribute(ast::OpaqueDecl* o, const Type* t);
  void CountedInDevice(SourceRange where, const Type* t, const std::string& what, const std::string& fn);
  auto CountedHostOnly(ast::Expr* e, const Type* t = nullptr) -> bool;  // t: e's type, if not set yet
  auto CheckStringApiArgs(ast::Call* e, const std::string& name, const char* result, const char* params) -> const Type*;
  auto CheckIoCall(ast::Call* e, ast::Field* callee) -> const Type*;
  auto CheckStringMethod(ast::Call* e, ast::Field* callee, const Type* self) -> const Type*;
  // `s.length` on a string or file: a note with the method meant (`.len()`), when there is one.
  void NoteStringField(const ast::Field* e, const Type* self);
  auto CheckReceiver(ast::Expr* base, const std::string& call, const char* needs = nullptr) -> const Type*;
  auto CheckLinesCall(ast::Expr* e) -> bool;
  void CheckForBody(ast::For* s);
  auto CheckStringBinary(ast::Binary* e, const Type* lt, const Type* rt) -> const Type*;
  auto CheckStringIndex(ast::Index* e) -> const Type*;
  void CheckTensorAssign(ast::Assign* a, const Type* tt);
  // Shapes known at compile time (check_shape.cpp): after a tensor expression is checked.
  void CheckStaticShape(ast::Expr* e);
  auto StaticShape(const ast::Expr* e) const -> const TensorShape*;
  auto OperandShape(const ast::Expr* e, bool& known) const -> TensorShape;
  auto ConstInt(const ast::Expr* e, int64_t& out) -> bool;
  auto BroadcastShapes(const std::vector<const ast::Expr*>& operands, const std::string& op, SourceRange where,
                       TensorShape& out) -> bool;
  auto StaticAxis(const ast::Expr* axis, const TensorShape& s, const std::string& op, int64_t& out) -> bool;
  auto CallShape(ast::Call* c, TensorShape& shape) -> bool;
  std::unordered_map<const ast::Expr*, TensorShape> static_shapes_;

  // ---- GPU code (check_gpu.cpp) ----
  auto InDevice() const -> bool;  // checking a @kernel or @device function
  auto DeviceWhat() const -> std::string;
  void CheckGpuAttribute(ast::FnDecl* fn, const ast::Attribute& a);
  auto LaunchBoundValue(ast::Expr* value, const std::string& key, uint32_t min, uint32_t max, const std::string& limit)
      -> uint32_t;
  void CheckKernelThreads(ast::FnDecl* fn, ast::Expr* value);
  void CheckKernelSignature(ast::FnDecl* fn);
  auto GpuValueOf(const std::string& name) const -> ast::GpuValue;
  auto CheckGpuName(ast::Name* e, ast::GpuValue v) -> const Type*;
  auto CheckGpuBuiltinCall(ast::Call* e, ast::Builtin b, const std::string& name, const Type* expected) -> const Type*;
  auto CheckTensorCoreCall(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type*;
  auto CheckPackBuiltin(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type*;
  auto CheckScalarAs(ast::Expr* e, const Type* want) -> const Type*;
  auto CheckGpuApiCall(ast::Call* e, ast::Field* callee) -> const Type*;
  auto CheckCpAsync(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type*;
  void CheckCudaKernel(ast::FnDecl* fn);
  void CheckGpuCall(ast::Call* e, ast::FnDecl* callee);
  void CheckLaunch(ast::Launch* l);
  void CheckSharedVar(ast::Let* let);
  // The function being checked needs a GPU thread (`what` says why, for diagnostics).
  void UsesThread(const std::string& what);
  void FinishGpu();

  // ---- constants (consteval.cpp) ----
  // Evaluates a checked expression at compile time; nullopt when it is not constant.
  auto Eval(const ast::Expr* e) -> std::optional<ConstValue>;
  void NoteInferredType(const ast::Expr* target, const Type* wanted);
  void WarnReturnedCstr(const ast::Expr* value);
  auto EvalUntypedBinary(const ast::Binary* b, const ConstValue& l, const ConstValue& r) -> std::optional<ConstValue>;
  // An untyped integer constant of this value, or an error at `where` when it is beyond 64 bits.
  auto UntypedInt(__int128 value, const ast::Expr* where) -> std::optional<ConstValue>;
  auto EvalInt(ast::Expr* e, const Type* type, SourceRange where, int64_t& out) -> bool;
  auto ConstOf(ast::ConstDecl* c) -> const ConstValue*;

  // ---- scopes ----
  auto Lookup(const std::string& name) const -> ast::Node*;
  void PushScope() { scopes_.emplace_back(); }
  void PopScope() { scopes_.pop_back(); }
  void Declare(const std::string& name, ast::Node* decl) { scopes_.back()[name] = decl; }
  auto DeclName(const ast::Node* n) const -> std::string;
  auto DeclRange(const ast::Node* n) const -> SourceRange;

  // ---- recursion ----
  // Counts one level of recursion; false (after one diagnostic for the program) when it goes
  // deeper than kMaxCheckDepth, which only a long chain of declarations needing others can do.
  auto Enter(SourceRange where) -> bool;
  void Leave() { depth_--; }

  void Error(diag::Kind kind, SourceRange r, std::vector<std::string> args = {}) {
    diags_.Report(kind, r, std::move(args));
  }
  void Note(diag::Kind kind, SourceRange r, std::vector<std::string> args = {}) {
    diags_.Report(kind, r, std::move(args));
  }

  std::vector<ast::Tree*> trees_;
  diag::Consumer& diags_;
  CheckedModule out_;
  TypeContext* types_ = nullptr;
  std::unordered_map<std::string, ast::Decl*> globals_;
  // Definitions of the program's file that imported files repeat, in order: where they do.
  std::vector<std::pair<const ast::Decl*, std::vector<SourceRange>>> import_clashes_;
  std::unordered_map<const ast::Decl*, const Type*> nominal_;  // struct/enum/opaque/alias → type
  std::unordered_map<const ast::Decl*, int> resolving_;  // 1 while in progress, 2 when done
  std::vector<std::unordered_map<std::string, ast::Node*>> scopes_;
  ast::FnDecl* fn_ = nullptr;     // the function being checked; null in script statements
  int loop_depth_ = 0;
  int unsafe_depth_ = 0;
  int depth_ = 0;  // recursion depth, see Enter
  bool too_deep_ = false;
  std::unordered_set<const ast::Node*> div_zero_reported_;
  std::unordered_set<const ast::Node*> overflow_reported_;  // untyped constants beyond 64 bits
  bool eval_met_broken_const_ = false;  // Eval met a const without a value (its error is reported)
  // GPU code: host calls of @device functions (checked once every body is), and why a function
  // needs a GPU thread.
  std::vector<std::pair<ast::Call*, ast::FnDecl*>> host_device_calls_;
  std::unordered_map<const ast::FnDecl*, std::string> thread_reason_;
  // > 0 where a constant is required (const/static initializers, array sizes, enum values):
  // there a division by zero is a compile error; elsewhere it panics at run time.
  int const_required_ = 0;
};

// Counts one level of the checker's recursion for the scope; `ok` is false when it is too deep.
class DepthGuard {
 public:
  DepthGuard(Checker& c, SourceRange where) : c_(c), ok(c.Enter(where)) {}
  ~DepthGuard() {
    if (ok) c_.Leave();
  }

 private:
  Checker& c_;

 public:
  const bool ok;
};

}  // namespace fusion::sema
