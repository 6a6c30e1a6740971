// The lowerer's shared state, used by lower_*.cpp.
#pragma once

#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <map>
#include <tuple>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lower/lower.h"
#include "sema/c_abi.h"
#include "sema/types.h"

namespace fusion::lower {

using ast::As;
using lex::TokenKind;
using sema::Type;
using sema::TypeKind;

// A C function type lowered for x86-64 SysV (lower_ffi.cpp): the LLVM function type and
// attributes, and how each argument travels.
struct CSignature {
  llvm::FunctionType* type = nullptr;
  llvm::AttributeList attrs;
  const Type* ret_type = nullptr;
  sema::CPassing ret;
  bool sret = false;  // the result goes through a hidden first pointer
  std::vector<const Type*> param_types;    // as declared (variadic extras: as given)
  std::vector<const Type*> lowered_types;  // as passed (variadic extras promoted)
  std::vector<sema::CPassing> params;      // after register counting
  size_t nfixed = 0;
  bool variadic = false;
};

// Field numbers of rt_gpu_thread (runtime/include/fusion/rt_gpu.h), for ThreadTy().
enum ThreadField { kThreadIdx, kBlockIdx, kBlockDim, kGridDim, kShared, kLinear };

class Lowerer {
 public:
  Lowerer(const sema::CheckedModule& m, const SourceManager& sources, llvm::LLVMContext& ctx,
          const LowerOptions& options, bool device = false);
  auto Run() -> std::unique_ptr<llvm::Module>;
  auto RunDevice() -> std::unique_ptr<llvm::Module>;
  void SetDeviceArch(int sm) { device_sm_ = sm; }
  auto Verify() -> std::unique_ptr<llvm::Module>;

  // ---- types and declarations (lower_decl.cpp) ----
  // The LLVM type of a value in memory (bool is i8) and in a register (bool is i1).
  auto MemTy(const Type* t) -> llvm::Type*;
  auto ValTy(const Type* t) -> llvm::Type*;
  void DeclareRuntime();
  auto Runtime(const char* name) -> llvm::Function*;
  void DeclareFunction(ast::FnDecl* fn);
  void AddLatencyAttributes(const ast::FnDecl* fn, llvm::Function* f);
  void DefineFunction(ast::FnDecl* fn);
  void BindParams(const ast::FnDecl* fn, const std::vector<llvm::Value*>& args);
  void DefineStatic(ast::ConstDecl* c);
  void DefineEntry();
  auto ConstToLLVM(const sema::ConstValue& v, const Type* t) -> llvm::Constant*;
  // A constant {file, line, col} for runtime error messages.
  auto LocOf(SourceRange r) -> llvm::Constant*;
  // Where a panic at `r` says it happened: `r`, or in a @track_caller function its caller's place.
  auto PanicLoc(SourceRange r) -> llvm::Value*;
  auto StringConst(const std::string& s) -> llvm::Constant*;

  // ---- statements (lower_stmt.cpp) ----
  void LowerBlock(const ast::Block* b);
  void LowerStmt(const ast::Stmt* s);
  void LowerLet(const ast::Let* let);
  void LowerAssign(const ast::Assign* a);
  void LowerIf(const ast::If* s);
  void LowerLoopBody(const ast::Block* body, llvm::BasicBlock* body_bb, llvm::BasicBlock* next_bb,
                     llvm::BasicBlock* end_bb);
  void LowerWhile(const ast::While* s);
  void LowerFor(const ast::For* s);
  void LowerReturn(const ast::Return* r);
  // Stores the value of `e` into `dest`, building aggregates in place.
  void StoreInto(const ast::Expr* e, llvm::Value* dest);
  // After a terminator: continue in a fresh (unreachable) block.
  void StartDeadBlock();
  auto EntryAlloca(llvm::Type* ty, const std::string& name) -> llvm::AllocaInst*;
  auto EntryAllocaOf(const Type* t, const std::string& name) -> llvm::AllocaInst*;

  // ---- expressions (lower_expr.cpp) ----
  auto LowerExpr(const ast::Expr* e) -> llvm::Value*;
  auto LowerAddr(const ast::Expr* e) -> llvm::Value*;
  auto LowerUnary(const ast::Unary* e) -> llvm::Value*;
  auto LowerBinary(const ast::Binary* e) -> llvm::Value*;
  auto LowerArith(TokenKind op, llvm::Value* l, llvm::Value* r, const Type* t, SourceRange where) -> llvm::Value*;
  auto LowerCompare(TokenKind op, llvm::Value* l, llvm::Value* r, const Type* t) -> llvm::Value*;
  auto LowerLogical(const ast::Binary* e) -> llvm::Value*;
  // `ptr + n` (or `ptr - n` when `negate`) for a pointer of type `ptr_type`, in elements.
  auto PointerOffset(llvm::Value* ptr, const Type* ptr_type, llvm::Value* n, const Type* n_type, bool negate)
      -> llvm::Value*;
  auto LowerCast(const ast::Cast* e) -> llvm::Value*;
  auto LowerCall(const ast::Call* e) -> llvm::Value*;
  // Calls a Fusion function; an aggregate result goes to `result` (its sret slot).
  auto EmitCall(const ast::Call* e, llvm::Value* result) -> llvm::Value*;
  auto LowerIndexAddr(const ast::Index* e) -> llvm::Value*;
  auto LowerFieldAddr(const ast::Field* e) -> llvm::Value*;
  // The address of field `index` of the struct or union `st` at `base`.
  auto FieldAddress(const Type* st, llvm::Value* base, size_t index) -> llvm::Value*;
  auto LowerAggregate(const ast::Expr* e) -> llvm::Value*;
  auto AccessAlign(const Type* t) const -> uint64_t;  // a load or store of a `t`
  auto Load(llvm::Value* ptr, const Type* t) -> llvm::Value*;
  void Store(llvm::Value* v, llvm::Value* ptr, const Type* t);
  // Converts an integer of type `from` to `to` (sign- or zero-extending by `from`).
  auto IntCast(llvm::Value* v, const Type* from, llvm::Type* to) -> llvm::Value*;

  // ---- f16 and bf16 (lower_half.cpp): each result rounded once, as the GPU rounds ----
  // Each takes a scalar or a vector of them (types are the element types then).
  // A float of type `from` as the float type `to`.
  auto FloatCast(llvm::Value* v, const Type* from, const Type* to) -> llvm::Value*;
  // An integer (`is_signed`, of `bits` bits) as the 16-bit float type `to`.
  auto IntToHalf(llvm::Value* v, bool is_signed, int bits, const Type* to) -> llvm::Value*;
  // An f32 rounded to bf16 (on the host in integer operations).
  auto RoundToBF16(llvm::Value* f) -> llvm::Value*;
  // An f64 rounded to f32 to odd (an inexact result gets its last bit set), so that rounding it
  // once more to 16 bits is a single rounding of the f64.
  auto RoundToOddF32(llvm::Value* d) -> llvm::Value*;
  // bf16 arithmetic, comparison and negation on the host: computed in f32 (exact for these)
  // and rounded here, not by LLVM (see lower_half.cpp).
  auto HostBF16Arith(TokenKind op, llvm::Value* l, llvm::Value* r, SourceRange where) -> llvm::Value*;
  auto HostBF16Neg(llvm::Value* v) -> llvm::Value*;
  // a * b + c of f16 or bf16 values of type `elem`, rounded once.
  auto HalfFma(llvm::Value* a, llvm::Value* b, llvm::Value* c, const Type* elem) -> llvm::Value*;
  // `v` of the 16-bit float type `t` widened to f32 (exact), for what is computed in f32.
  auto HalfToF32(llvm::Value* v) -> llvm::Value*;
  // `p[i]`, `*p`, `p.field` through a pointer: what checked kernels check.
  static auto IsPointerAccess(const ast::Expr* e) -> bool {
    if (auto* i = As<ast::Index>(e)) return i->base->type->kind != TypeKind::Array && !i->base->type->IsVector();
    if (auto* u = As<ast::Unary>(e)) return u->op == TokenKind::Star;
    if (auto* f = As<ast::Field>(e)) return f->through_pointer;
    return false;
  }
  // Whether a checked place is (part of) a `shared var`: `--check-kernels` checks its accesses too,
  // against the destinations of cp_async copies not yet waited for.
  static auto IsSharedPlace(const ast::Expr* e) -> bool {
    if (auto* n = As<ast::Name>(e)) {
      auto* let = As<ast::Let>(n->decl);
      return let && let->is_shared;
    }
    if (auto* i = As<ast::Index>(e)) return i->base->type->kind == TypeKind::Array && IsSharedPlace(i->base);
    if (auto* f = As<ast::Field>(e)) return !f->through_pointer && !f->enum_decl && IsSharedPlace(f->base);
    return false;
  }
  // Values that live in memory and pass between Fusion functions by pointer. Vectors wider than
  // 16 bytes too: a function with `@target_features("avx2")` would take a vec<f32, 8> in ymm0
  // where a caller without AVX passes two xmm registers.
  auto IsAggregate(const Type* t) const -> bool {
    return t->kind == TypeKind::Array || t->kind == TypeKind::Struct || (t->IsVector() && t->size > 16);
  }

  // ---- C calls (lower_ffi.cpp) ----
  auto PromoteVariadic(const Type* t) -> const Type*;
  auto PartType(const Type* t, const sema::Eightbyte& part) -> llvm::Type*;
  auto CSignatureOf(const Type* ret, const std::vector<const Type*>& params, size_t nfixed, bool variadic)
      -> CSignature;
  // The address of an argument's value: the place itself, or a temporary holding it.
  auto AddressOf(const ast::Expr* e) -> llvm::Value*;
  // `traced`: an extern's call, logged under FUSION_FFI_TRACE (null for calls through pointers).
  auto EmitCCall(llvm::Value* callee, const CSignature& sig, const ast::Call* e, llvm::Value* result,
                 const ast::FnDecl* traced = nullptr) -> llvm::Value*;
  // FUSION_FFI_TRACE: the module's flag (set by `main`), and the call's 64-bit trace values.
  auto FfiTraceFlag() -> llvm::GlobalVariable*;
  void EmitFfiTrace(llvm::Value* on, const char* fn, llvm::Value* site, llvm::ArrayRef<llvm::Value*> values);
  auto FfiTraceBits(llvm::Value* v, const Type* t, char& kind) -> llvm::Value*;
  auto FfiTraceKind(const Type* t) const -> char;
  auto EmitExternOrIndirectCall(const ast::Call* e, llvm::Value* result) -> llvm::Value*;
  // The eightbytes of an aggregate passed Direct, to and from its memory.
  auto PartAddress(llvm::Value* base, int k, const Type* t, llvm::Align& align) -> llvm::Value*;
  auto LoadPartValues(const sema::CPassing& p, const Type* t, llvm::Value* src) -> std::vector<llvm::Value*>;
  void StoreParts(llvm::Value* value, const sema::CPassing& p, const Type* t, llvm::Value* dest);
  auto LoadParts(const sema::CPassing& p, const Type* t, llvm::Value* src, llvm::Type* ir_ty) -> llvm::Value*;
  auto ExternSlot(const ast::FnDecl* fn) -> llvm::GlobalVariable*;
  auto ExternAddress(const ast::FnDecl* fn, SourceRange where) -> llvm::Value*;
  auto FunctionValue(const ast::FnDecl* fn, SourceRange where) -> llvm::Value*;
  void DefineCEntry(ast::FnDecl* fn);

  // ---- GPU code (lower_gpu.cpp; the device's runtime in lower_device.cpp) ----
  auto ThreadTy() -> llvm::StructType*;
  // Whether calls of `fn` pass the GPU thread (host functions that read it).
  auto TakesThread(const ast::FnDecl* fn) const -> bool;
  void DefineKernelEntries(ast::FnDecl* k);
  auto PtxConst() -> llvm::Constant*;
  auto CubinsConst() -> llvm::Constant*;
  void LowerLaunch(const ast::Launch* l);
  void DefineKernelEntry(ast::FnDecl* k);
  void EmitThreadLoop(llvm::Value* t, const std::function<void(llvm::Value* linear)>& body,
                      llvm::Value* x_end = nullptr);
  // Barrier splitting (lower_split.cpp).
  auto PlanSplit(const ast::FnDecl* k, std::vector<const ast::Node*>& per_thread) -> bool;
  void DefineSplitBlock(ast::FnDecl* k, const std::vector<llvm::Value*>& args, llvm::Value* t,
                        const std::vector<const ast::Node*>& per_thread);
  void LowerRegions(const std::vector<ast::Stmt*>& stmts);
  void LowerSplitStmt(const ast::Stmt* s);
  void LowerUniformFor(const ast::For* f);
  void BindPerThread(llvm::Value* linear);
  auto SplitRematAddr(const ast::Let* let) -> llvm::Value*;
  void SplitThreadLoop(const std::function<void()>& body, llvm::Value* x_end = nullptr);
  auto IsUniformExpr(const ast::Expr* e) const -> bool;
  auto UniformCond(const std::function<llvm::Value*()>& cond, SourceRange where, const char* what) -> llvm::Value*;
  void EmitWarpLoop(const std::function<void()>& body);
  void EmitLaneLoop(const std::function<void(llvm::Value* linear)>& body);
  void LowerWarpOpStmt(const ast::Stmt* s, const ast::Call* op);
  void WarpShuffleResults(ast::Builtin kind, llvm::AllocaInst* values, llvm::AllocaInst* results, llvm::Value* arg,
                          llvm::Value* width, llvm::AllocaInst* args, llvm::AllocaInst* widths);
  void WarpFailIf(llvm::Value* fail, int kind, llvm::Value* value, llvm::Value* loc);
  auto GpuValueAddr(const ast::Name* e) -> llvm::Value*;
  auto SharedVarAddr(const ast::Let* let) -> llvm::Value*;
  // `via_pointer`: the place is reached through a pointer (a `shared var` of its own is aligned).
  void CheckAccess(llvm::Value* addr, const Type* t, bool store, SourceRange where, bool via_pointer = true);
  void CheckInBounds(llvm::Value* addr, const Type* t, bool store, SourceRange where);
  // A vector load (kind 0) or store (1), or a scalar load (3) or store (4) through a pointer, in a
  // kernel's CPU body, or an atomic (2) in one or a half atomic in host code, at an address a GPU
  // would fault on: rt_gpu_misaligned.
  void CheckAligned(llvm::Value* addr, const Type* t, int kind, SourceRange where);
  auto LowerGpuBuiltin(const ast::Call* e) -> llvm::Value*;
  auto LowerCpAsync(const ast::Call* e) -> llvm::Value*;
  auto LowerShuffle(const ast::Call* e) -> llvm::Value*;
  auto LowerCombine(const ast::Call* e) -> llvm::Value*;
  auto ReduceByShuffles(const ast::Call* e, llvm::Value* mask, llvm::Value* v) -> llvm::Value*;
  // The rt_gpu_combine_kind of sync_warp, match_*_sync or reduce_*_sync `e`.
  static auto CombineKind(const ast::Call* e) -> int;
  auto LowerAtomic(const ast::Call* e) -> llvm::Value*;
  // Tensor cores (lower_mma.cpp).
  auto LowerTensorCore(const ast::Call* e) -> llvm::Value*;
  void TensorCoreOperands(const ast::Call* e, llvm::Value* record);
  auto TensorCoreResult(const ast::Call* e, llvm::Value* record) -> llvm::Value*;
  auto LowerToTf32(llvm::Value* f) -> llvm::Value*;
  auto LowerDeviceMma(const ast::Call* e) -> llvm::Value*;
  auto LowerDeviceLdmatrix(const ast::Call* e) -> llvm::Value*;
  auto HalfAtomicAdd(llvm::Value* p, llvm::Value* v, const Type* t, ast::AtomicScope scope, bool shared) -> llvm::Value*;
  auto AtomicCasLoop(llvm::AtomicRMWInst::BinOp op, llvm::Value* p, llvm::Value* v, const Type* t, bool cta)
      -> llvm::Value*;
  auto CasLoop(llvm::Value* p, llvm::Type* it, ast::AtomicScope scope, const std::function<llvm::Value*(llvm::Value*)>& next)
      -> llvm::Value*;
  auto LowerGpuApi(const ast::Call* e) -> llvm::Value*;
  void DefineCudaKernel(ast::FnDecl* k);
  auto ArgShape(const ast::Expr* e) -> std::string;
  void DefineKernelDescriptor(const ast::FnDecl* k, llvm::Constant* cpu, llvm::Constant* ptx, llvm::Constant* block,
                              llvm::Constant* entry);
  void DefineDeviceRuntime();
  void LowerDevicePrint(const ast::Call* e);
  void DevicePrintScalar(llvm::Value* v, const Type* t, std::string& format, std::vector<llvm::Value*>& args);
  // vprintf(format, {args…}) on the device.
  void DeviceVprintf(const std::string& format, llvm::ArrayRef<llvm::Value*> args);

  // ---- counted references: tensors, strings, files (lower_ref.cpp) ----
  auto OwnsRef(const ast::Expr* e) const -> bool;  // lowering `e` gives a new reference
  void ReleaseIfOwned(const ast::Expr* e, llvm::Value* v);
  auto OwnedRef(const ast::Expr* e) -> llvm::Value*;  // a reference the caller keeps
  void PushRefScope();
  void ReleaseSlots(const std::vector<llvm::Value*>& slots);
  void PopRefScope();  // releases the block's counted variables unless the block has ended
  void ReleaseRefScopes(size_t down_to);
  auto RefSlot(const std::string& name) -> llvm::Value*;
  void LowerRefLet(const ast::Let* let);
  void StoreRef(llvm::Value* slot, llvm::Value* v);
  void KeepUntilBlockEnd(llvm::Value* owned, const char* name);
  void LowerRefAssign(const ast::Assign* a);

  // ---- strings and files (lower_string.cpp) ----
  auto StringObject(const std::string& text) -> llvm::Constant*;  // a literal's static rt_str
  auto LowerStringCall(const ast::Call* e) -> llvm::Value*;
  auto LowerStringBinary(const ast::Binary* e) -> llvm::Value*;
  auto LowerStringIndex(const ast::Index* e) -> llvm::Value*;
  auto StringLen(llvm::Value* s) -> llvm::Value*;
  void LowerStringAppend(const ast::Assign* a);
  void LowerLinesFor(const ast::For* s);
  void LowerFormatArgs(const ast::Call* e, int stream);  // print/eprint/format's values
  auto MessageText(const ast::Expr* e) -> llvm::Value*;   // panic/assert's message, a cstring

  // ---- tensors (lower_tensor.cpp) ----
  void LowerFlushes(const ast::Stmt* s);
  void LowerTensorAssign(const ast::Assign* a);
  auto ScalarBits(llvm::Value* v, const Type* t) -> llvm::Value*;
  auto FromBits(llvm::Value* bits, const Type* t) -> llvm::Value*;
  auto I64Array(const std::vector<llvm::Value*>& values) -> llvm::Value*;
  auto I64Args(const std::vector<const ast::Expr*>& exprs) -> std::pair<llvm::Value*, int>;
  auto TensorIndices(const ast::Index* e, llvm::Value* t) -> std::pair<llvm::Value*, int>;
  auto LowerTensorIndex(const ast::Index* e) -> llvm::Value*;
  auto GroupDesc(const fuse::Group& g) -> llvm::Constant*;
  auto LowerRun(const fuse::Run& run) -> llvm::Value*;
  auto LowerTensorCall(const ast::Call* e) -> llvm::Value*;
  void DefineTensorInit();

  // ---- debug info (lower_debug.cpp); every function is a no-op without debug info ----
  void BeginDebugInfo();
  void FinishDebugInfo();
  auto DebugFile(uint32_t file) -> llvm::DIFile*;
  // Gives `f` a subprogram named `name` (a Fusion name) at `where`; an artificial one (generated
  // code: C entries, `main`, kernel entries) is hidden from backtraces. Sets the builder's
  // location to the function's start, so that every instruction of `f` has one.
  void BeginDebugFunction(llvm::Function* f, const std::string& name, SourceRange where, bool artificial,
                          const ast::FnDecl* fn = nullptr);
  // The builder's location becomes `r` in the current function (fn_), when it has a subprogram.
  void SetDebugLoc(SourceRange r);
  // The location a runtime failure call reports: the one its `rt_src_loc` argument names.
  void SetDebugLocOfRtLoc(llvm::Value* loc);
  void ClearDebugLoc() { b_.SetCurrentDebugLocation(llvm::DebugLoc()); }
  auto DebugType(const Type* t) -> llvm::DIType*;
  // `-g`: describes a local (arg_no 0) or parameter (1-based) stored at `storage`.
  void DeclareLocal(llvm::Value* storage, const std::string& name, const Type* t, SourceRange where,
                    unsigned arg_no = 0);
  // Sets the builder's location for one expression, and restores the enclosing one after it.
  struct DebugLocScope {
    DebugLocScope(Lowerer& l, SourceRange r) : l_(l), saved_(l.b_.getCurrentDebugLocation()) { l.SetDebugLoc(r); }
    ~DebugLocScope() { l_.b_.SetCurrentDebugLocation(saved_); }
    Lowerer& l_;
    llvm::DebugLoc saved_;
  };

  // ---- builtins (lower_builtin.cpp) ----
  auto LowerBuiltin(const ast::Call* e) -> llvm::Value*;
  // SIMD vectors (lower_vec.cpp).
  auto VecSplat(llvm::Value* v, const Type* from, const Type* vt) -> llvm::Value*;
  auto LowerVecCast(const ast::Cast* e) -> llvm::Value*;
  auto VecMinMax(bool is_min, llvm::Value* a, llvm::Value* b, const Type* elem) -> llvm::Value*;
  auto LowerVecMethod(const ast::Call* e) -> llvm::Value*;
  void FormatScalar(llvm::Value* v, const Type* t, llvm::Value* s);
  void LowerPrint(const ast::Call* e, int stream);
  auto LowerMath(const ast::Call* e) -> llvm::Value*;
  // The math builtin on f32 or f64 arguments of `type`.
  auto EmitMath(ast::Builtin builtin, const Type* type, std::vector<llvm::Value*> args) -> llvm::Value*;
  auto LowerBitCount(const ast::Call* e) -> llvm::Value*;
  // Calls a noreturn runtime function and continues in a dead block.
  void CallNoReturn(llvm::Function* f, llvm::ArrayRef<llvm::Value*> args);
  void NotePanicThread(llvm::Function* f);
  // Emits `if (fail) { call f(args) }` with the call in a cold block.
  void FailIf(llvm::Value* fail, llvm::Function* f, llvm::ArrayRef<llvm::Value*> args);
  auto SourceText(SourceRange r) const -> std::string;

  const sema::CheckedModule& m_;
  const LowerOptions& options_;
  const SourceManager& sources_;
  llvm::LLVMContext& ctx_;
  std::unique_ptr<llvm::Module> mod_;
  llvm::IRBuilder<> b_;
  llvm::StructType* loc_ty_ = nullptr;
  std::unordered_map<std::string, llvm::Function*> runtime_;
  std::unordered_map<const ast::FnDecl*, llvm::Function*> fns_;
  std::unordered_map<const ast::FnDecl*, llvm::Function*> c_entries_;  // Fusion functions as C pointers
  // Extern slots by (has a library, library, symbol).
  std::map<std::tuple<bool, std::string, std::string>, llvm::GlobalVariable*> slots_;
  std::unordered_map<const ast::ConstDecl*, llvm::Constant*> statics_;  // a static's or const's storage
  // The device module's consts in PTX constant memory (`.const`): their bytes, at most 64 KiB.
  static constexpr unsigned kConstAddrSpace = 4;
  static constexpr uint64_t kDeviceConstBytes = 64 * 1024;
  uint64_t device_const_bytes_ = 0;
  std::unordered_map<const ast::Node*, llvm::Value*> locals_;  // Let, Param, For → alloca
  llvm::Value* caller_loc_ = nullptr;  // the hidden location parameter of a @track_caller function
  std::unordered_map<const Type*, llvm::StructType*> structs_;
  std::map<std::pair<uint32_t, uint32_t>, llvm::Constant*> locs_;
  std::unordered_map<uint32_t, llvm::Constant*> file_names_;
  std::unordered_map<std::string, llvm::Constant*> strings_;
  struct Loop {
    llvm::BasicBlock* break_bb;
    llvm::BasicBlock* continue_bb;
    size_t ref_depth = 0;  // ref_scopes_ outside the loop (break and continue release the rest)
  };
  std::vector<Loop> loops_;
  llvm::Function* fn_ = nullptr;  // the function being built
  std::vector<std::vector<llvm::Value*>> ref_scopes_;  // per open block: its counted variables' slots
  std::map<std::string, llvm::Constant*> string_objects_;  // StringObject's, by text
  // Debug info (host module only; null without it).
  std::unique_ptr<llvm::DIBuilder> di_;
  llvm::DICompileUnit* di_cu_ = nullptr;
  std::unordered_map<uint32_t, llvm::DIFile*> di_files_;
  std::unordered_map<const Type*, llvm::DIType*> di_types_;
  std::unordered_map<const llvm::Value*, SourceLoc> loc_places_;  // LocOf's constants → their place
  const Type* ret_type_ = nullptr;
  // GPU code.
  bool device_ = false;                    // building the nvptx64 module
  int device_sm_ = 80;                     // the device module's architecture (sm_80: 80)
  llvm::GlobalVariable* ffi_trace_ = nullptr;  // FfiTraceFlag
  llvm::StructType* thread_ty_ = nullptr;  // rt_gpu_thread
  llvm::Value* thread_ = nullptr;          // host: the current function's rt_gpu_thread*
  // host: the i1 that says whether this thread's code tests the alignment of its accesses for the
  // checked modes (CheckAligned): a hidden parameter after the thread, true from NAME.cpu (one
  // thread: fibers, and --device check's second run) and false from NAME.block and split code,
  // so that the test folds away there. `--check-kernels` tests everywhere regardless.
  llvm::Value* align_checks_ = nullptr;
  llvm::Value* shared_base_ = nullptr;     // host: the block's shared memory, in a kernel
  const ast::FnDecl* kernel_ = nullptr;    // the kernel being built
  std::unordered_map<const ast::FnDecl*, llvm::GlobalVariable*> kernels_;  // rt_gpu_kernel descriptors
  llvm::GlobalVariable* ptx_ = nullptr;
  llvm::GlobalVariable* cubins_ = nullptr;
  std::vector<llvm::GlobalVariable*> cuda_ptx_;  // per CUDA C source
  // A split kernel's block function (lower_split.cpp).
  llvm::BasicBlock* split_next_ = nullptr;  // inside a thread loop: where `return` goes
  llvm::Value* split_threads_ = nullptr;    // the block's thread count
  std::unordered_map<const ast::Node*, llvm::Value*> split_arrays_;  // Let, For, a for's end → array
  std::unordered_map<const ast::Node*, llvm::Value*> split_ends_;    // a for's end → this thread's
  // A block-uniform variable (a Let): its value between thread loops (`cur`), the copy a thread
  // works on in a thread loop (`own`), and what the threads that ran to the end left (`out`).
  struct SplitUniform {
    llvm::Value* cur = nullptr;
    llvm::Value* own = nullptr;
    llvm::Value* out = nullptr;
  };
  std::unordered_map<const ast::Node*, SplitUniform> split_uniform_;
  std::vector<const ast::Node*> split_uniform_order_;            // its keys, in the kernel's order
  std::unordered_set<const ast::Node*> split_uniform_params_;  // parameters whose address is not taken
  // Lets recomputed from their initializer at each use (pure functions of thread_idx and fixed values).
  std::unordered_set<const ast::Node*> split_remat_;
  // Warp mode (EmitWarpLoop): the current warp's first linear index and lane count, else null.
  llvm::Value* split_warp_base_ = nullptr;
  llvm::Value* split_warp_lanes_ = nullptr;
  // In the lane loop that runs a statement with a warp operation: this lane's result of it.
  std::unordered_map<const ast::Call*, llvm::Value*> split_warp_results_;
};

}  // namespace fusion::lower
