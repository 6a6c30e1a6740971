// The syntax tree of one file. Nodes are owned by their Tree; the checker annotates them
// (types, resolved names) in place, which makes the checked tree.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/source.h"
#include "lex/token.h"

namespace fusion::sema {
class Type;
}

namespace fusion::ast {

enum class NodeKind : uint8_t {
#define NODE(name, base) name,
#include "parse/ast_kinds.def"
};
auto NodeKindName(NodeKind kind) -> const char*;

struct Node {
  explicit Node(NodeKind k, SourceRange r) : kind(k), range(r) {}
  virtual ~Node() = default;
  NodeKind kind;
  // A part of it did not parse (the parser reported that): the checker says nothing about
  // what is missing, such as the initializer of `let x = )`.
  bool parse_error = false;
  SourceRange range;
  auto loc() const -> SourceLoc { return range.begin; }
};

struct Expr : Node {
  using Node::Node;
  const sema::Type* type = nullptr;  // set by the checker
};
struct Stmt : Node {
  using Node::Node;
};
struct Decl : Node {
  using Node::Node;
  std::string name;
  SourceRange name_range;  // where the name is written, for diagnostics
  uint32_t text_end = 0;   // one past the declaration's last byte, where `range` stops short
};
struct TypeExpr : Node {
  using Node::Node;
  const sema::Type* type = nullptr;  // set by the checker
};

template <typename T>
auto As(Node* n) -> T* {
  return n && n->kind == T::kKind ? static_cast<T*>(n) : nullptr;
}
template <typename T>
auto As(const Node* n) -> const T* {
  return n && n->kind == T::kKind ? static_cast<const T*>(n) : nullptr;
}

#define FUSION_NODE(Name, Base) \
  static constexpr NodeKind kKind = NodeKind::Name; \
  explicit Name(SourceRange r) : Base(NodeKind::Name, r) {}

// ---- Expressions ----
struct IntLit : Expr {
  FUSION_NODE(IntLit, Expr)
  uint64_t value = 0;
  bool is_char = false;  // 'a': a u8
};
struct FloatLit : Expr {
  FUSION_NODE(FloatLit, Expr)
  double value = 0;
};
struct BoolLit : Expr {
  FUSION_NODE(BoolLit, Expr)
  bool value = false;
};
struct NullLit : Expr {
  FUSION_NODE(NullLit, Expr)
};
struct StringLit : Expr {
  FUSION_NODE(StringLit, Expr)
  std::string value;
};
struct ArrayLit : Expr {  // [a, b, c]
  FUSION_NODE(ArrayLit, Expr)
  std::vector<Expr*> elems;
};
struct TupleLit : Expr {  // (a, b, c): only as an attribute's argument, `@kernel(threads: (16, 16, 1))`
  FUSION_NODE(TupleLit, Expr)
  std::vector<Expr*> elems;
};
struct ArrayRepeat : Expr {  // [value; count]
  FUSION_NODE(ArrayRepeat, Expr)
  Expr* value = nullptr;
  Expr* count = nullptr;
  uint64_t count_value = 0;  // set by the checker
};
// The values kernels read (checker): `thread_idx`, `block_idx`, `block_dim`, `grid_dim` (each a
// `dim3`) and `warp_size`.
enum class GpuValue : uint8_t { None, ThreadIdx, BlockIdx, BlockDim, GridDim, WarpSize };
struct Name : Expr {
  FUSION_NODE(Name, Expr)
  std::string name;
  Node* decl = nullptr;  // checker: Let, Param, For, FnDecl, ConstDecl (const or static)
  GpuValue gpu = GpuValue::None;  // checker: one of the kernel values (decl is null)
};
struct Unary : Expr {  // op is Minus, Bang, Tilde, Star (deref), Amp (address of)
  FUSION_NODE(Unary, Expr)
  lex::TokenKind op{};
  Expr* operand = nullptr;
};
struct Binary : Expr {
  FUSION_NODE(Binary, Expr)
  lex::TokenKind op{};
  SourceRange op_range;  // the operator, for diagnostics
  Expr* lhs = nullptr;
  Expr* rhs = nullptr;
};

// What a call's callee turned out to be (set by the checker).
enum class Builtin : uint8_t {
  None, Print, Eprint, Assert, Panic, Alloc, Free, Exit, LibAvailable,
  ArgCount, Arg, Env, HasEnv, MonotonicNs, UnixTime,  // the process: arguments, environment, clocks
  Own, Raw,  // own(p: *T) -> T and raw(h: T) -> *T for a handle type (`@drop(f) opaque T`)
  Format,  // format(a, b, …): what print would print, as a string
  Sqrt, Exp, Log, Sin, Cos, Tan, Tanh, Pow, Fabs, Floor, Ceil, Fmin, Fmax,
  Popc, Clz, Ctz, Ffs, Brev,  // bit counts of an integer, and its bits reversed
  VecSum, VecMin, VecMax, VecFma, VecShuffle,  // methods of SIMD vectors (sema/check_vec.cpp)
  // Kernel code (see docs/gpu.md).
  Dim3, LaneId, SyncThreads, DynamicShared, ThreadFence, ThreadFenceBlock, ThreadFenceSystem,
  AtomicAdd, AtomicSub, AtomicMin, AtomicMax, AtomicExch, AtomicAnd, AtomicOr, AtomicXor, AtomicInc, AtomicDec,
  AtomicCas,  // the last atomic (check_gpu.cpp's IsAtomic)
  ShflSync, ShflUpSync, ShflDownSync, ShflXorSync, BallotSync, AnySync, AllSync,
  // Warp operations that combine the lanes' values (rt_gpu_combine_kind, in this order).
  SyncWarp, MatchAnySync, MatchAllSync, ReduceAddSync, ReduceMinSync, ReduceMaxSync, ReduceAndSync, ReduceOrSync,
  ReduceXorSync,
  // Asynchronous copies from global to shared memory (cp.async, sm_80): the copy, commit, waits.
  CpAsync, CpAsyncCommit, CpAsyncWait, CpAsyncWaitAll,
  // Tensor cores (docs/gpu.md, "Tensor cores"; rt_gpu_mma_kind, in this order): mma.sync on the
  // per-lane fragments of a warp, and ldmatrix; then the packing helpers, which any code may call.
  MmaM16n8k16F16, MmaM16n8k16Bf16, MmaM16n8k8F16, MmaM16n8k8Bf16, MmaM16n8k8Tf32, MmaM16n8k4Tf32,
  MmaM16n8k32S8, MmaM16n8k32U8, MmaM16n8k16S8, MmaM16n8k16U8,
  LdmatrixX1, LdmatrixX2, LdmatrixX4, LdmatrixX1Trans, LdmatrixX2Trans, LdmatrixX4Trans,
  PackHalf2, UnpackHalf2, ToTf32,
  // The host's `gpu.*` API (base/gpu_api.def); these come last.
  GpuFirst,
#define GPU_API(name, kind, result, params) kind,
#include "base/gpu_api.def"
  // Tensor functions and methods (base/tensor_api.def).
  TensorFirst,
#define TENSOR_FN(name, kind, generic) kind,
#define TENSOR_METHOD(name, kind) kind,
#include "base/tensor_api.def"
  // String and file methods, `io.*` (base/string_api.def).
  StringFirst,
#define STRING_METHOD(name, kind, result, params) kind,
#define FILE_METHOD(name, kind, result, params) kind,
#define IO_FN(name, kind, result, params) kind,
#include "base/string_api.def"
};
// The scope of an atomic operation: `scope: block|device|system` (device when not given).
enum class AtomicScope : uint8_t { Block, Device, System };
struct NamedArg {  // `scope: block` in a call
  std::string name;
  SourceRange range;
  Expr* value = nullptr;
};
struct Call : Expr {
  FUSION_NODE(Call, Expr)
  Expr* callee = nullptr;
  std::vector<TypeExpr*> type_args;  // alloc<T>(n)
  std::vector<Expr*> args;
  std::vector<NamedArg> named_args;  // after the positional ones: atomic_add(p, 1, scope: block)
  Builtin builtin = Builtin::None;  // checker
  AtomicScope scope = AtomicScope::Device;  // checker: atomics and thread_fence
  struct FnDecl* fn = nullptr;      // checker: a direct call of a Fusion or extern function;
                                    // null (and no builtin): a call through a function pointer
  Expr* self = nullptr;             // checker: a method's receiver (`t` of `t.sum()`, `s` of `s.len()`)
  Expr* keep = nullptr;             // checker: `keep:` of tensor.from_ptr (a counted value)
  std::vector<int32_t> vec_lanes;   // checker: a vector shuffle's lane indices
};
struct Index : Expr {
  FUSION_NODE(Index, Expr)
  Expr* base = nullptr;
  Expr* index = nullptr;
  std::vector<Expr*> more;  // t[i, j, k]: the indices after the first (tensors only)
};
struct Field : Expr {  // base.name: struct field, field through a pointer, or Enum.Member
  FUSION_NODE(Field, Expr)
  Expr* base = nullptr;
  std::string name;
  SourceRange name_range;
  int field_index = -1;        // checker: struct field
  bool through_pointer = false;  // checker: base is a pointer to a struct
  struct EnumDecl* enum_decl = nullptr;  // checker: Enum.Member
  int64_t enum_value = 0;
};
struct Cast : Expr {
  FUSION_NODE(Cast, Expr)
  Expr* expr = nullptr;
  TypeExpr* target = nullptr;
};
struct FieldInit {
  std::string name;
  SourceRange range;
  Expr* value = nullptr;
  int field_index = -1;  // checker
};
struct StructLit : Expr {  // Name { a: 1, b: 2 }
  FUSION_NODE(StructLit, Expr)
  TypeExpr* struct_type = nullptr;
  std::vector<FieldInit> fields;
};
enum class QueryKind : uint8_t { Sizeof, Alignof, Offsetof };
struct TypeQuery : Expr {  // sizeof(T), alignof(T), offsetof(T, field)
  FUSION_NODE(TypeQuery, Expr)
  QueryKind query = QueryKind::Sizeof;
  TypeExpr* target = nullptr;
  std::string field;
  SourceRange field_range;
  uint64_t value = 0;  // checker
};

// ---- Statements ----
struct Let : Stmt {  // let name: T = init;  var name: T = init;
  FUSION_NODE(Let, Stmt)
  bool is_var = false;
  std::string name;
  SourceRange name_range;
  TypeExpr* declared_type = nullptr;
  Expr* init = nullptr;
  const sema::Type* type = nullptr;  // checker
  bool is_shared = false;       // `shared var t: [f32; 256];` in a kernel: block-shared memory
  uint64_t shared_offset = 0;   // checker: its offset in the kernel's static shared memory
};
struct ExprStmt : Stmt {
  FUSION_NODE(ExprStmt, Stmt)
  Expr* expr = nullptr;
};
struct Assign : Stmt {  // op is Eq or a compound assignment
  FUSION_NODE(Assign, Stmt)
  lex::TokenKind op{};
  Expr* target = nullptr;
  Expr* value = nullptr;
};
struct Block : Stmt {
  FUSION_NODE(Block, Stmt)
  std::vector<Stmt*> stmts;
  bool is_unsafe = false;  // unsafe { … }
};
// launch kernel<<<grid, block[, shared_bytes[, stream]]>>>(args…)
struct Launch : Stmt {
  FUSION_NODE(Launch, Stmt)
  std::string kernel;
  SourceRange kernel_range;
  Expr* grid = nullptr;
  Expr* block = nullptr;
  Expr* shared_bytes = nullptr;  // may be null: 0
  Expr* stream = nullptr;        // may be null: the default stream
  std::vector<Expr*> args;
  struct FnDecl* kernel_fn = nullptr;  // checker
  Node* kernel_var = nullptr;          // checker: a variable holding a gpu_kernel (gpu.compile_cuda)
};
struct If : Stmt {
  FUSION_NODE(If, Stmt)
  Expr* cond = nullptr;
  Block* then_block = nullptr;
  Stmt* else_stmt = nullptr;  // Block or If
};
struct While : Stmt {
  FUSION_NODE(While, Stmt)
  Expr* cond = nullptr;
  Block* body = nullptr;
};
struct For : Stmt {  // for name in start..end body;  for name in x.lines() body (start: the call, end: null)
  FUSION_NODE(For, Stmt)
  std::string name;
  SourceRange name_range;
  Expr* start = nullptr;
  Expr* end = nullptr;
  bool is_lines = false;  // for line in x.lines()
  Block* body = nullptr;
  const sema::Type* type = nullptr;  // checker: the loop variable's type
};
struct Break : Stmt {
  FUSION_NODE(Break, Stmt)
};
struct Continue : Stmt {
  FUSION_NODE(Continue, Stmt)
};
struct Return : Stmt {
  FUSION_NODE(Return, Stmt)
  Expr* value = nullptr;
};

// ---- Declarations ----
struct Attribute {
  std::string name;
  SourceRange range;
  std::vector<std::pair<std::string, Expr*>> args;  // @name(key: value, …)
};
struct Param : Decl {
  FUSION_NODE(Param, Decl)
  TypeExpr* declared_type = nullptr;
  const sema::Type* type = nullptr;  // checker
};
struct FnDecl : Decl {
  FUSION_NODE(FnDecl, Decl)
  std::vector<Param*> params;
  TypeExpr* ret = nullptr;  // null: void
  Block* body = nullptr;    // null for an extern function
  bool is_unsafe = false;
  std::vector<Attribute> attrs;
  // A C function declared in `extern "LIB" { … }` (or `extern { … }`: has_library is false, the
  // symbol is looked up in the running process).
  bool is_extern = false;
  bool has_library = false;
  std::string library;
  SourceRange library_range;
  bool is_safe = false;      // `safe fn`: callable outside `unsafe`
  // A CUDA C kernel, `extern cuda "file.cu" { fn k(…); }` or `extern cuda (SOURCE) { … }`: also
  // is_extern, and is_kernel once checked. Compiled by NVRTC (compiler/cuda/) after checking.
  bool is_cuda = false;
  std::string cuda_path;        // the file, as written: relative to the declaring file's directory
  Expr* cuda_source = nullptr;  // or a constant `cstring` expression with the source text
  SourceRange cuda_range;       // the path or the expression
  std::string cuda_name;        // checker: the name expression (@cuda_name("scale<float>")), or the name
  std::string cuda_text;        // checker: the source text of an expression source
  int cuda_module = -1;         // NVRTC: which compiled source (CheckedModule::cuda_modules)
  std::string cuda_entry;       // NVRTC: the PTX entry (the lowered name)
  bool is_variadic = false;  // `fn printf(fmt: cstring, ...)`
  const sema::Type* ret_type = nullptr;  // checker
  const sema::Type* fn_type = nullptr;   // checker: its type as a function pointer
  std::string symbol;                    // checker: an extern's C symbol (@symbol or the name)
  bool used_as_value = false;            // checker: a Fusion function used as a C function pointer
  bool track_caller = false;             // checker: @track_caller (its panics report its caller)
  bool is_fuse = false;                  // checker: @fuse (tensor operations fused: compiler/fuse/)
  // Low-latency host code (checker; docs/performance.md). @inline/@noinline, @hot/@cold: LLVM's
  // alwaysinline/noinline, hot/cold. @noalloc: the checker proves that it and what it calls never
  // allocate (sema/check_noalloc.cpp); on an extern function, a promise that the C function does not.
  enum class Inline : uint8_t { Default, Always, Never };
  Inline inline_hint = Inline::Default;
  bool is_hot = false;
  bool is_cold = false;
  bool is_noalloc = false;
  SourceRange noalloc_range;             // the attribute, for notes
  std::string target_features;           // @target_features("avx2,fma"): LLVM's "+avx2,+fma"
  SourceRange target_features_range;     // the attribute's argument, for unknown features
  // GPU code (checker). A @kernel runs on a device, started by `launch`; a @device function is
  // callable from kernels (and from host code, unless it reads the thread's indices).
  bool is_kernel = false;
  bool is_device = false;
  uint32_t max_threads = 0;     // @kernel(max_threads: N): launch bound, 0 for none
  uint32_t min_blocks = 0;      // @kernel(min_blocks: M)
  uint32_t threads[3] = {0, 0, 0};  // @kernel(threads: (x, y, z)): the block it must run with; 0s for any
  uint32_t max_registers = 0;   // @kernel(max_registers: N): registers a thread, 0 for the compiler's choice
  bool uses_thread = false;     // reads indices, shared memory or warp state, itself or in a callee
  bool host_called = false;     // a @device function host code calls, itself or through others (checker)
  bool cooperative = false;     // uses sync_threads or a warp operation, itself or in a callee
  uint32_t barrier_calls = 0;   // its own sync_threads() calls (lower_split.cpp: all statements?)
  bool warp_ops = false;        // its own shuffles and votes
  uint64_t static_shared = 0;   // a kernel's `shared var` bytes
  bool uses_dynamic_shared = false;
  std::vector<FnDecl*> device_callees;  // @device functions it calls
  // `@on_load(f) extern "LIB" { … }`: the Fusion function `f` runs once, before the first call into
  // the block goes through. Each function of the block carries the name; the first reports errors.
  std::string on_load;
  SourceRange on_load_range;
  bool reports_on_load = false;
  const FnDecl* on_load_fn = nullptr;  // checker
};
struct FieldDecl {
  std::string name;
  SourceRange range;
  TypeExpr* declared_type = nullptr;
};
struct StructDecl : Decl {  // struct or union
  FUSION_NODE(StructDecl, Decl)
  bool is_union = false;
  std::vector<FieldDecl> fields;
  std::vector<Attribute> attrs;
  const sema::Type* type = nullptr;  // checker
};
struct EnumMember {
  std::string name;
  SourceRange range;
  Expr* value = nullptr;  // may be null: previous + 1
  int64_t resolved = 0;   // checker
};
struct EnumDecl : Decl {
  FUSION_NODE(EnumDecl, Decl)
  TypeExpr* backing = nullptr;  // null: i32
  std::vector<EnumMember> members;
  const sema::Type* type = nullptr;  // checker
};
struct OpaqueDecl : Decl {  // [@drop(free_fn)] opaque Name
  FUSION_NODE(OpaqueDecl, Decl)
  std::vector<Attribute> attrs;
  const sema::Type* type = nullptr;
  struct FnDecl* drop_fn = nullptr;  // checker: @drop's function (the type is then a counted handle)
};
struct TypeAliasDecl : Decl {
  FUSION_NODE(TypeAliasDecl, Decl)
  TypeExpr* aliased = nullptr;
};
struct ConstDecl : Decl {  // const NAME: T = v;  static NAME: T = v;
  FUSION_NODE(ConstDecl, Decl)
  bool is_static = false;
  TypeExpr* declared_type = nullptr;
  Expr* init = nullptr;
  const sema::Type* type = nullptr;  // checker
};
struct ImportDecl : Decl {
  FUSION_NODE(ImportDecl, Decl)
  std::string path;
  uint32_t resolved_file = 0;  // set by the loader
};

// ---- Types as written ----
struct NamedType : TypeExpr {
  FUSION_NODE(NamedType, TypeExpr)
  std::string name;
  std::vector<TypeExpr*> args;  // tensor<f32>, vec<f32, 8>
  Expr* lanes = nullptr;        // vec<f32, 8>: the 8
};
struct PointerType : TypeExpr {
  FUSION_NODE(PointerType, TypeExpr)
  TypeExpr* pointee = nullptr;
};
struct ArrayType : TypeExpr {
  FUSION_NODE(ArrayType, TypeExpr)
  TypeExpr* elem = nullptr;
  Expr* size = nullptr;
};
struct FnPointerType : TypeExpr {  // fn(T, U) -> R: a C function pointer
  FUSION_NODE(FnPointerType, TypeExpr)
  std::vector<TypeExpr*> params;
  TypeExpr* ret = nullptr;  // null: void
};
#undef FUSION_NODE

// One parsed file: its declarations and (script mode) its top-level statements in order.
struct Tree {
  uint32_t file = 0;
  std::vector<Decl*> decls;
  std::vector<Stmt*> stmts;
  std::vector<std::unique_ptr<Node>> nodes;  // owns every node above
  // Offsets of the `>>`, `>=` and `>>=` tokens whose first `>` closes type arguments
  // (`alloc<vec<f32, 8>>(n)`): the formatter writes them as two tokens.
  std::vector<uint32_t> split_closers;

  template <typename T>
  auto Make(SourceRange r) -> T* {
    auto node = std::make_unique<T>(r);
    T* raw = node.get();
    nodes.push_back(std::move(node));
    return raw;
  }
};

// Prints the tree as indented text (`fusion emit --ast`). `annotate`, when given, adds text to
// each node's line (`fusion emit --checked` adds the checker's types).
using Annotator = std::string (*)(const Node* node);
auto Dump(const Tree& tree, Annotator annotate = nullptr) -> std::string;

}  // namespace fusion::ast
