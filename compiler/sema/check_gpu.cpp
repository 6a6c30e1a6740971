// GPU code: `@kernel` and `@device`, the kernel values and builtins, `shared var`, `launch`, the
// host's `gpu.*` API, and what device code may not do (docs/gpu.md).
#include <algorithm>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "base/gpu_api.h"
#include "sema/checker.h"

namespace fusion::sema {

namespace {
auto IsAtomic(ast::Builtin b) -> bool { return b >= ast::Builtin::AtomicAdd && b <= ast::Builtin::AtomicCas; }
auto IsShuffle(ast::Builtin b) -> bool { return b >= ast::Builtin::ShflSync && b <= ast::Builtin::ShflXorSync; }
auto IsVote(ast::Builtin b) -> bool { return b >= ast::Builtin::BallotSync && b <= ast::Builtin::AllSync; }
// sync_warp, match_*_sync and reduce_*_sync: warp operations that combine the lanes' values.
auto IsCombine(ast::Builtin b) -> bool { return b >= ast::Builtin::SyncWarp && b <= ast::Builtin::ReduceXorSync; }
// mma_* and ldmatrix_*: warp operations of the tensor cores, which every lane of a full warp joins.
auto IsMma(ast::Builtin b) -> bool { return b >= ast::Builtin::MmaM16n8k16F16 && b <= ast::Builtin::MmaM16n8k16U8; }
auto IsLdmatrix(ast::Builtin b) -> bool { return b >= ast::Builtin::LdmatrixX1 && b <= ast::Builtin::LdmatrixX4Trans; }
// Builtins that take `scope: block|device|system`.
auto TakesScope(ast::Builtin b) -> bool { return IsAtomic(b) || b == ast::Builtin::ThreadFence; }
}  // namespace

// The fragments of each mma_* builtin, in ast::Builtin order: registers of A and of B (u32 each),
// whether it accumulates in i32 (else f32), and whether it needs sm_80 (else sm_75 has it).
namespace {
struct MmaSignature {
  uint64_t a, b;
  bool integer, sm80;
};
constexpr MmaSignature kMmaSignatures[] = {
    {4, 2, false, true},  {4, 2, false, true},  {2, 1, false, false}, {2, 1, false, true}, {4, 2, false, true},
    {2, 1, false, true},  {4, 2, true, true},   {4, 2, true, true},   {2, 1, true, true},  {2, 1, true, true},
};
}  // namespace

// mma_mMnNkK_T(a: [u32; A], b: [u32; B], c: [f32; 4] or [i32; 4]) -> the type of c: one
// mma.sync.aligned of the warp; ldmatrix_xN[_trans](p: *T) -> [u32; N], p this lane's row in
// shared memory (a raw pointer: unsafe). Both are warp operations that every lane of a whole warp
// must reach (there is no mask).
auto Checker::CheckTensorCoreCall(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type* {
  using B = ast::Builtin;
  const Type* u32 = types_->u32();
  if (IsMma(b) && kMmaSignatures[static_cast<int>(b) - static_cast<int>(B::MmaM16n8k16F16)].sm80)
    out_.sm80_uses.emplace_back(e->callee->range, name);
  if (IsLdmatrix(b)) {
    int index = static_cast<int>(b) - static_cast<int>(B::LdmatrixX1);
    uint64_t n = index % 3 == 0 ? 1 : index % 3 == 1 ? 2 : 4;
    if (!BuiltinArgCount(e, name, 1, 1)) return types_->error();
    const Type* pt = CheckValue(e->args[0]);
    if (pt->IsError()) return types_->error();
    if (pt->kind != TypeKind::Pointer) {
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a pointer to this lane's 16-byte row in shared memory", ToString(pt)});
      return types_->error();
    }
    RequireUnsafe(e->range, "`" + name + "` (a load through a raw pointer)");
    return types_->Array(u32, n);
  }
  const MmaSignature& sig = kMmaSignatures[static_cast<int>(b) - static_cast<int>(B::MmaM16n8k16F16)];
  if (!BuiltinArgCount(e, name, 3, 3)) return types_->error();
  const Type* acc = types_->Array(sig.integer ? types_->i32() : types_->f32(), 4);
  const Type* want[3] = {types_->Array(u32, sig.a), types_->Array(u32, sig.b), acc};
  static const char* kWhat[3] = {"the A fragment", "the B fragment", "the accumulator C"};
  bool ok = true;
  for (size_t i = 0; i < 3; i++) {
    const Type* t = CheckValue(e->args[i], want[i]);
    if (t->IsError()) {
      ok = false;
    } else if (t != want[i]) {
      Error(diag::Kind::BuiltinArg, e->args[i]->range, {name, std::string(kWhat[i]) + " as `" + ToString(want[i]) + "`", ToString(t)});
      ok = false;
    }
  }
  return ok ? acc : types_->error();
}

// `e` checked with `want` expected: an untyped float literal (`-2.0` too) takes it; a value of
// another type keeps its own, for the caller to report.
auto Checker::CheckScalarAs(ast::Expr* e, const Type* want) -> const Type* {
  const Type* t = CheckExpr(e, want);
  if (t->kind == TypeKind::UntypedFloat || t->kind == TypeKind::UntypedInt) {
    if (Coerce(e, want)) return e->type;
    return types_->error();
  }
  return t->IsUntyped() ? Finalize(e) : t;
}

// pack_half2(lo, hi) -> u32: two f16 (or two bf16) in one register, `lo` in the low 16 bits (PTX's
// f16x2 and the halves of an mma fragment register); pack_half2(v) the same of a vec<f16, 2> or
// vec<bf16, 2> (lane 0 low) and unpack_half2<T>(u) -> vec<T, 2> the reverse; to_tf32(x: f32) ->
// u32: x rounded to tf32 (cvt.rna.tf32.f32: to nearest, ties away from zero), as the bits an
// mma_*_tf32 takes. All work in host code too.
auto Checker::CheckPackBuiltin(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type* {
  if (b == ast::Builtin::UnpackHalf2) {
    const Type* elem = nullptr;
    if (e->type_args.size() != 1) {
      Error(diag::Kind::GenericArgs, e->range, {name, "one type argument, `f16` or `bf16`: `unpack_half2<f16>(u)`"});
    } else {
      elem = ResolveType(e->type_args[0]);
      if (!elem->IsError() && !elem->IsHalf()) {
        Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "`f16` or `bf16` as its type argument"});
        elem = types_->error();
      }
    }
    if (!BuiltinArgCount(e, name, 1, 1)) return types_->error();
    const Type* t = CheckScalarAs(e->args[0], types_->u32());
    if (t->IsError() || !elem || elem->IsError()) return types_->error();
    if (t != types_->u32()) {
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a `u32`", ToString(t)});
      return types_->error();
    }
    return types_->Vector(elem, 2);
  }
  if (b == ast::Builtin::PackHalf2 && e->args.size() == 1) {
    const Type* t = CheckValue(e->args[0]);
    if (t->IsError()) return t;
    if (!t->IsVector() || t->count != 2 || !t->elem->IsHalf()) {
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a `vec<f16, 2>` or `vec<bf16, 2>` (or two halves)", ToString(t)});
      return types_->error();
    }
    return types_->u32();
  }
  if (b == ast::Builtin::ToTf32) {
    if (!BuiltinArgCount(e, name, 1, 1)) return types_->error();
    const Type* t = CheckScalarAs(e->args[0], types_->f32());
    if (t->IsError()) return types_->error();
    if (t != types_->f32()) {
      Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "an `f32`", ToString(t)});
      return types_->error();
    }
    return types_->u32();
  }
  if (!BuiltinArgCount(e, name, 2, 2)) return types_->error();
  const Type* lo = CheckScalarAs(e->args[0], types_->f16());
  const Type* hi = CheckScalarAs(e->args[1], lo->IsHalf() ? lo : types_->f16());
  if (lo->IsError() || hi->IsError()) return types_->error();
  if (!lo->IsHalf()) {
    Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "an `f16` or a `bf16`", ToString(lo)});
    return types_->error();
  }
  if (hi != lo) {
    Error(diag::Kind::BuiltinArg, e->args[1]->range, {name, "a second `" + ToString(lo) + "`", ToString(hi)});
    return types_->error();
  }
  return types_->u32();
}

auto Checker::InDevice() const -> bool { return fn_ && (fn_->is_kernel || fn_->is_device); }

auto Checker::DeviceWhat() const -> std::string { return fn_ && fn_->is_kernel ? "kernel" : "device function"; }

// A launch bound's value: a positive integer constant of at most `max`, or 0 after an error
// (LaunchBound, naming `key` and `limit`, which says what the bound is).
auto Checker::LaunchBoundValue(ast::Expr* value, const std::string& key, uint32_t min, uint32_t max,
                               const std::string& limit) -> uint32_t {
  const Type* t = CheckExpr(value, types_->u32());
  if (t->kind == TypeKind::UntypedInt) Coerce(value, types_->u32()), t = value->type;
  else if (t->IsUntyped()) t = Finalize(value);
  if (t->IsError()) return 0;
  std::optional<ConstValue> v = t->IsInt() ? Eval(value) : std::nullopt;
  int64_t n = v ? v->AsSigned() : 0;
  if (!v || n < min || n > max) {
    Error(diag::Kind::LaunchBound, value->range, {key, limit});
    return 0;
  }
  return static_cast<uint32_t>(n);
}

// @kernel(threads: (x, y, z)): one to three sizes (the rest 1), each within a block's limits
// (1024, 1024, 64) and 1024 threads in all; a plain integer is (n, 1, 1).
void Checker::CheckKernelThreads(ast::FnDecl* fn, ast::Expr* value) {
  std::vector<ast::Expr*> sizes;
  if (auto* tuple = As<ast::TupleLit>(value)) sizes = tuple->elems;
  else sizes.push_back(value);
  if (sizes.size() > 3) {
    Error(diag::Kind::AttributeArgs, value->range, {"kernel", "`threads:` one to three sizes: `threads: (x, y, z)`"});
    for (ast::Expr* e : sizes) CheckValue(e);
    return;
  }
  static const uint32_t kMax[3] = {1024, 1024, 64};
  static const char* kLimit[3] = {" of at most 1024", " of at most 1024", " of at most 64 (the z size)"};
  uint32_t dims[3] = {1, 1, 1};
  bool ok = true;
  for (size_t d = 0; d < sizes.size(); d++) {
    dims[d] = LaunchBoundValue(sizes[d], "threads", 1, kMax[d], kLimit[d]);
    ok = ok && dims[d] != 0;
  }
  if (!ok) return;
  uint64_t total = uint64_t{dims[0]} * dims[1] * dims[2];
  if (total > RtLimits::kMaxBlockThreads) {
    Error(diag::Kind::KernelThreadsTooMany, value->range, {std::to_string(total), "the limit of 1024"});
    return;
  }
  for (int d = 0; d < 3; d++) fn->threads[d] = dims[d];
}

// @kernel, @kernel(max_threads: N, min_blocks: M, threads: (x, y, z), max_registers: R), @device.
void Checker::CheckGpuAttribute(ast::FnDecl* fn, const ast::Attribute& a) {
  if (fn->is_extern) {
    Error(diag::Kind::AttributeNotHere, a.range, {a.name, "Fusion functions"});
    return;
  }
  if (a.name == "device") {
    if (!a.args.empty()) Error(diag::Kind::AttributeArgs, a.range, {a.name, "no arguments"});
    fn->is_device = true;
  } else {
    fn->is_kernel = true;
    ast::Expr* threads_value = nullptr;
    for (const auto& [key, value] : a.args) {
      if (key == "max_threads") {
        fn->max_threads = LaunchBoundValue(value, key, 1, RtLimits::kMaxBlockThreads, " of at most 1024");
      } else if (key == "min_blocks") {
        fn->min_blocks = LaunchBoundValue(value, key, 1, UINT32_MAX, "");
      } else if (key == "threads") {
        CheckKernelThreads(fn, value);
        threads_value = value;
      } else if (key == "max_registers") {
        // PTX .maxnreg: ptxas raises fewer than 24 to 24 and ignores more than 255.
        fn->max_registers = LaunchBoundValue(value, key, 24, 255, " from 24 to 255");
      } else {
        Error(diag::Kind::AttributeArgs, value->range,
              {a.name, "`max_threads: N`, `min_blocks: M`, `threads: (x, y, z)` and `max_registers: R`"});
      }
    }
    // The required block must be within the kernel's own bound too (both may come from
    // different @kernel attributes: then the place is this one's).
    uint64_t required = uint64_t{fn->threads[0]} * fn->threads[1] * fn->threads[2];
    if (required && fn->max_threads && required > fn->max_threads)
      Error(diag::Kind::KernelThreadsTooMany, threads_value ? threads_value->range : a.range,
            {std::to_string(required), "its `max_threads: " + std::to_string(fn->max_threads) + "`"});
  }
  if (fn->is_kernel && fn->is_device) Error(diag::Kind::KernelAttrConflict, a.range);
}

// A CUDA C kernel of an `extern cuda` block: a kernel whose body NVRTC compiles from its source
// (compiler/cuda/), which is a file (read there) or a constant `cstring` (evaluated here).
void Checker::CheckCudaKernel(ast::FnDecl* fn) {
  fn->is_kernel = true;
  if (fn->cuda_name.empty()) fn->cuda_name = fn->name;
  if (fn->is_variadic) Error(diag::Kind::KernelParam, fn->name_range, {"...", "a C variadic list"});
  out_.cuda_kernels.push_back(fn);
  if (!fn->cuda_source) return;
  bool first = !fn->cuda_source->type;  // the block's functions share the expression
  const Type* t = first ? CheckValue(fn->cuda_source, types_->cstring()) : fn->cuda_source->type;
  if (t->IsError()) return;
  if (t != types_->cstring()) {
    if (first) Error(diag::Kind::CudaSourceNotString, fn->cuda_source->range, {ToString(t)});
    return;
  }
  std::optional<ConstValue> v = Eval(fn->cuda_source);
  if (!v || v->kind != ConstValue::Kind::String) {
    if (first && !eval_met_broken_const_) Error(diag::Kind::CudaSourceNotConst, fn->cuda_source->range);
    return;
  }
  fn->cuda_text = v->string_value;
}

// A kernel returns nothing and takes what a launch can copy: scalars, pointers, structs.
void Checker::CheckKernelSignature(ast::FnDecl* fn) {
  if (fn->ret_type && fn->ret_type->kind != TypeKind::Void && !fn->ret_type->IsError())
    Error(diag::Kind::KernelReturn, fn->ret ? fn->ret->range : fn->name_range, {fn->name, ToString(fn->ret_type)});
  for (ast::Param* p : fn->params) {
    if (!p->type || p->type->IsError()) continue;
    if (p->type->kind == TypeKind::Array || p->type->kind == TypeKind::CString || p->type->kind == TypeKind::Handle)
      Error(diag::Kind::KernelParam, p->range, {p->name, ToString(p->type)});
  }
}

auto Checker::GpuValueOf(const std::string& name) const -> ast::GpuValue {
  using V = ast::GpuValue;
  if (name == "thread_idx") return V::ThreadIdx;
  if (name == "block_idx") return V::BlockIdx;
  if (name == "block_dim") return V::BlockDim;
  if (name == "grid_dim") return V::GridDim;
  if (name == "warp_size") return V::WarpSize;
  return V::None;
}

void Checker::UsesThread(const std::string& what) {
  if (!fn_) return;
  fn_->uses_thread = true;
  thread_reason_.emplace(fn_, what);
}

auto Checker::CheckGpuName(ast::Name* e, ast::GpuValue v) -> const Type* {
  if (!InDevice()) {
    Error(diag::Kind::DeviceOnly, e->range, {e->name});
    return types_->error();
  }
  e->gpu = v;
  if (v == ast::GpuValue::WarpSize) return types_->u32();
  UsesThread(e->name);
  return types_->dim3();
}

// Kernel builtins (device code only) and dim3(x, y, z) (anywhere).
auto Checker::CheckGpuBuiltinCall(ast::Call* e, ast::Builtin b, const std::string& name, const Type* expected)
    -> const Type* {
  using B = ast::Builtin;
  e->builtin = b;
  e->callee->type = types_->void_type();
  auto count = [&](size_t lo, size_t hi) { return BuiltinArgCount(e, name, lo, hi); };
  auto arg_as = [&](size_t i, const Type* t) {
    const Type* at = CheckExpr(e->args[i], t);
    if (at->IsError()) return false;
    return Coerce(e->args[i], t);
  };
  if (b != B::DynamicShared && b != B::UnpackHalf2 && !e->type_args.empty())
    Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
  // `scope: block|device|system` (atomics and thread_fence); no other named arguments.
  for (ast::NamedArg& a : e->named_args) {
    if (a.name != "scope" || !TakesScope(b)) {
      Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name + "`"});
      continue;
    }
    auto* s = As<ast::Name>(a.value);
    std::string scope = s ? s->name : "";
    if (scope == "block") e->scope = ast::AtomicScope::Block;
    else if (scope == "device") e->scope = ast::AtomicScope::Device;
    else if (scope == "system") e->scope = ast::AtomicScope::System;
    else Error(diag::Kind::AtomicScope, a.value->range);
    if (s) s->type = types_->void_type();
  }
  if (b == B::Dim3) {
    // dim3(x), dim3(x, y), dim3(x, y, z): missing sizes are 1, as in CUDA. Any integer type (an
    // untyped literal is a u32); a value that is negative or beyond u32 panics, as launch sizes do.
    if (!count(1, 3)) return types_->error();
    for (ast::Expr* a : e->args) {
      const Type* t = CheckExpr(a, types_->u32());
      if (t->IsUntyped()) Coerce(a, types_->u32());
      else if (!t->IsError() && !t->IsInt())
        Error(diag::Kind::BuiltinArg, a->range, {name, "an integer size", ToString(t)});
    }
    return types_->dim3();
  }
  if (b == B::PackHalf2 || b == B::UnpackHalf2 || b == B::ToTf32) return CheckPackBuiltin(e, b, name);
  if (!InDevice()) {
    Error(diag::Kind::DeviceOnly, e->callee->range, {name});
    CheckArgsAlone(e);
    return types_->error();
  }
  UsesThread(name + "()");
  bool warp_op = IsShuffle(b) || IsVote(b) || IsCombine(b) || IsMma(b) || IsLdmatrix(b);
  if (b == B::SyncThreads || warp_op) fn_->cooperative = true;
  if (b == B::SyncThreads) fn_->barrier_calls++;
  if (warp_op) fn_->warp_ops = true;
  if (IsMma(b) || IsLdmatrix(b)) return CheckTensorCoreCall(e, b, name);
  switch (b) {
    case B::LaneId:
      count(0, 0);
      return types_->u32();
    case B::SyncThreads:
    case B::ThreadFence:
    case B::ThreadFenceBlock:
    case B::ThreadFenceSystem:
      count(0, 0);
      return types_->void_type();
    case B::SyncWarp:
      // sync_warp(mask): the lanes of `mask` wait for each other (CUDA's __syncwarp).
      if (count(1, 1)) arg_as(0, types_->u32());
      return types_->void_type();
    case B::MatchAnySync:
    case B::MatchAllSync: {
      // match_any_sync(mask, v) -> u32: the lanes of `mask` whose v has the same bits as this
      // lane's; match_all_sync(mask, v) -> u32: `mask` when every lane's v has the same bits, else 0.
      if (!count(2, 2)) return types_->error();
      arg_as(0, types_->u32());
      const Type* vt = CheckValue(e->args[1], expected && expected->IsNumeric() ? expected : nullptr);
      if (vt->IsError()) return vt;
      if (!vt->IsNumeric() || vt->bits < 32) {
        Error(diag::Kind::AtomicType, e->args[1]->range, {name, ToString(vt), "it compares 32- and 64-bit integers and floats"});
        return types_->error();
      }
      return types_->u32();
    }
    case B::ReduceAddSync:
    case B::ReduceMinSync:
    case B::ReduceMaxSync:
    case B::ReduceAndSync:
    case B::ReduceOrSync:
    case B::ReduceXorSync: {
      // reduce_OP_sync(mask, v) -> the value's type: v combined over the lanes of `mask` (PTX
      // redux.sync); an untyped literal is a u32 unless the context wants an i32.
      if (!count(2, 2)) return types_->error();
      arg_as(0, types_->u32());
      bool want = expected && expected->IsInt() && expected->bits == 32;
      const Type* vt = CheckExpr(e->args[1], want ? expected : types_->u32());
      if (vt->kind == TypeKind::UntypedInt) Coerce(e->args[1], types_->u32()), vt = e->args[1]->type;
      else if (vt->IsUntyped()) vt = Finalize(e->args[1]);
      if (vt->IsError()) return vt;
      if (!vt->IsInt() || vt->bits != 32) {
        Error(diag::Kind::AtomicType, e->args[1]->range, {name, ToString(vt), "it works on `i32` and `u32`"});
        return types_->error();
      }
      return vt;
    }
    case B::CpAsync:
    case B::CpAsyncCommit:
    case B::CpAsyncWait:
    case B::CpAsyncWaitAll:
      out_.sm80_uses.emplace_back(e->callee->range, name);
      return CheckCpAsync(e, b, name);
    case B::DynamicShared: {
      if (e->type_args.size() != 1) {
        Error(diag::Kind::GenericArgs, e->range, {name, "one type argument: `dynamic_shared<T>()`"});
        CheckArgsAlone(e);
        return types_->error();
      }
      const Type* elem = ResolveType(e->type_args[0]);
      count(0, 0);
      if (elem->IsError()) return types_->error();
      if (elem->kind == TypeKind::Void || elem->kind == TypeKind::Opaque) {
        Error(diag::Kind::SizeofType, e->type_args[0]->range, {ToString(elem)});
        return types_->error();
      }
      EnsureLayout(elem, e->type_args[0]->range);
      if (!fn_->is_kernel) {
        Error(diag::Kind::SharedOutsideKernel, e->callee->range, {"dynamic_shared"});
        return types_->error();
      }
      fn_->uses_dynamic_shared = true;
      return types_->Pointer(elem);
    }
    case B::BallotSync:
    case B::AnySync:
    case B::AllSync: {
      if (!count(2, 2)) return types_->error();
      arg_as(0, types_->u32());
      arg_as(1, types_->bool_type());
      return b == B::BallotSync ? types_->u32() : types_->bool_type();
    }
    default:
      break;
  }
  if (IsShuffle(b)) {
    // shfl_sync(mask, value, lane_or_delta[, width]) -> the value's type
    if (!count(3, 4)) return types_->error();
    arg_as(0, types_->u32());
    const Type* vt = CheckValue(e->args[1], expected && expected->IsNumeric() ? expected : nullptr);
    arg_as(2, types_->u32());
    if (e->args.size() == 4 && arg_as(3, types_->u32())) {
      // A constant width is checked here; a computed one by the CPU executor (a hazard report).
      std::optional<ConstValue> w = Eval(e->args[3]);
      int64_t v = w ? w->AsSigned() : 1;
      if (w && (v < 1 || v > 32 || (v & (v - 1)) != 0))
        Error(diag::Kind::BuiltinArg, e->args[3]->range, {name, "a width that is a power of two from 1 to 32", std::to_string(v)});
    }
    if (vt->IsError()) return vt;
    if (!vt->IsNumeric() || vt->bits < 32) {
      Error(diag::Kind::AtomicType, e->args[1]->range, {name, ToString(vt), "shuffles move 32- and 64-bit integers and floats"});
      return types_->error();
    }
    return vt;
  }
  // Atomics: atomic_OP(p: *T, value: T[, scope: …]) -> T (the old value);
  // atomic_cas(p: *T, compare: T, value: T) -> T.
  size_t n = b == B::AtomicCas ? 3 : 2;
  if (!count(n, n)) return types_->error();
  const Type* pt = CheckValue(e->args[0]);
  if (pt->IsError()) {
    for (size_t i = 1; i < n; i++) CheckValue(e->args[i]);
    return pt;
  }
  if (pt->kind != TypeKind::Pointer) {
    Error(diag::Kind::BuiltinArg, e->args[0]->range, {name, "a pointer", ToString(pt)});
    for (size_t i = 1; i < n; i++) CheckValue(e->args[i]);
    return types_->error();
  }
  RequireUnsafe(e->range, "an atomic operation through a raw pointer");
  const Type* t = pt->elem;
  bool ok = true;
  for (size_t i = 1; i < n; i++) ok = arg_as(i, t) && ok;
  const char* why = nullptr;
  bool is_int = t->IsInt() && t->bits >= 32, is_float = t->IsFloat() && t->bits >= 32;
  bool is_half = t->IsHalf() || (t->IsVector() && t->count == 2 && t->elem->IsHalf());
  switch (b) {
    case B::AtomicAdd:
      if (!is_int && !is_float && !is_half)
        why = "it works on 32- and 64-bit integers and floats, `f16`, `bf16`, `vec<f16, 2>` and `vec<bf16, 2>`";
      break;
    case B::AtomicExch:
      if (!is_int && !is_float) why = "it works on 32- and 64-bit integers and floats";
      break;
    case B::AtomicSub:
    case B::AtomicMin:
    case B::AtomicMax:
    case B::AtomicAnd:
    case B::AtomicOr:
    case B::AtomicXor:
    case B::AtomicCas:
      if (!is_int) why = "it works on 32- and 64-bit integers";
      break;
    case B::AtomicInc:
    case B::AtomicDec:
      // PTX has atom.inc/atom.dec for .u32 only, as CUDA has atomicInc/atomicDec for unsigned.
      if (t != types_->u32()) why = "it works on `u32`";
      break;
    default:
      break;
  }
  if (why) {
    Error(diag::Kind::AtomicType, e->args[0]->range, {name, ToString(pt), why});
    return types_->error();
  }
  return ok ? t : types_->error();
}

// cp_async(dst: *T, src: *T, bytes): `bytes` (4, 8 or 16) from global `src` to shared `dst`,
// asynchronously; cp_async_commit(): the thread's copies since its last commit become a group;
// cp_async_wait(n): waits until at most `n` of the thread's groups are pending (the older ones are
// done); cp_async_wait_all(): commits, then waits for every group. `bytes` and `n` are constants,
// as PTX's cp.async and cp.async.wait_group take them.
auto Checker::CheckCpAsync(ast::Call* e, ast::Builtin b, const std::string& name) -> const Type* {
  using B = ast::Builtin;
  // A constant integer argument within [lo, hi] (and, for bytes, a power of two from 4).
  auto constant = [&](ast::Expr* a, const char* what, int64_t lo, int64_t hi, bool pow2) {
    const Type* t = CheckExpr(a, types_->i32());
    if (t->kind == TypeKind::UntypedInt) Coerce(a, types_->i32()), t = a->type;
    else if (t->IsUntyped()) t = Finalize(a);
    if (t->IsError()) return;
    if (!t->IsInt()) {
      Error(diag::Kind::BuiltinArg, a->range, {name, "an integer constant", ToString(t)});
      return;
    }
    std::optional<ConstValue> v = Eval(a);
    if (!v) {
      if (!eval_met_broken_const_) Error(diag::Kind::CpAsyncConst, a->range, {name, what, "; this value is not a constant"});
      return;
    }
    int64_t n = v->AsSigned();
    if (n < lo || n > hi || (pow2 && (n & (n - 1)) != 0))
      Error(diag::Kind::CpAsyncConst, a->range, {name, what, "; found " + std::to_string(n)});
  };
  switch (b) {
    case B::CpAsyncCommit:
    case B::CpAsyncWaitAll:
      BuiltinArgCount(e, name, 0, 0);
      return types_->void_type();
    case B::CpAsyncWait:
      if (BuiltinArgCount(e, name, 1, 1)) constant(e->args[0], "the number of groups left pending, 0 to 255", 0, 255, false);
      return types_->void_type();
    default:
      break;
  }
  if (!BuiltinArgCount(e, name, 3, 3)) return types_->void_type();
  const Type* dt = CheckValue(e->args[0]);
  const Type* st = CheckValue(e->args[1], dt->kind == TypeKind::Pointer ? dt : nullptr);
  constant(e->args[2], "the bytes to copy as 4, 8 or 16", 4, 16, true);
  RequireUnsafe(e->range, "an asynchronous copy through raw pointers");
  bool ok = true;
  for (size_t i = 0; i < 2; i++) {
    const Type* t = i == 0 ? dt : st;
    if (t->IsError()) ok = false;
    else if (t->kind != TypeKind::Pointer || t->elem->kind == TypeKind::Void || t->elem->kind == TypeKind::Opaque) {
      Error(diag::Kind::BuiltinArg, e->args[i]->range,
            {name, i == 0 ? "a pointer to shared memory (`*T`)" : "a pointer to global memory (`*T`)", ToString(t)});
      ok = false;
    }
  }
  if (ok && dt != st) Error(diag::Kind::CpAsyncTypes, e->args[1]->range, {ToString(dt), ToString(st)});
  return types_->void_type();
}

// Edit distance, for "did you mean" (small strings only).
auto Distance(std::string_view a, std::string_view b) -> size_t {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// `gpu.NAME(…)`: the host's side of the GPU, one entry of base/gpu_api.def, whose letters say
// what each parameter takes and what the call gives.
auto Checker::CheckGpuApiCall(ast::Call* e, ast::Field* callee) -> const Type* {
  using B = ast::Builtin;
  std::string name = "gpu." + callee->name;
  int index = GpuApiIndex(callee->name);
  callee->type = types_->void_type();
  callee->base->type = types_->void_type();
  if (index < 0) {
    std::string hint = "; the functions of `gpu` are listed in docs/gpu.md";
    if (callee->name == "launch") hint = "; a kernel is launched with `launch k<<<grid, block>>>(…)`";
    size_t best = callee->name == "launch" ? 0 : 3;
    for (const GpuApiFn& f : kGpuApi) {
      size_t d = Distance(callee->name, f.name);
      if (d < best) best = d, hint = std::string("; did you mean `gpu.") + f.name + "`?";
    }
    Error(diag::Kind::NoGpuFunction, callee->name_range, {callee->name, hint});
    CheckArgsAlone(e);
    return types_->error();
  }
  const GpuApiFn& fn = kGpuApi[index];
  e->builtin = static_cast<B>(static_cast<int>(B::GpuFirst) + 1 + index);
  for (ast::NamedArg& a : e->named_args) Error(diag::Kind::UnexpectedNamedArg, a.range, {a.name, "`" + name + "`"});
  bool generic = fn.result[0] == 'T';
  if (!generic && !e->type_args.empty())
    Error(diag::Kind::GenericArgs, e->type_args[0]->range, {name, "no type arguments"});
  if (InDevice()) {
    Error(diag::Kind::HostOnlyInDevice, e->range, {"`" + name + "`", DeviceWhat(), fn_->name});
    CheckArgsAlone(e);
    return types_->error();
  }
  // The element type: the type argument, or the first pointer's.
  const Type* elem = nullptr;
  bool ok = true;
  if (generic) {
    if (e->type_args.size() != 1) {
      Error(diag::Kind::GenericArgs, e->range, {name, "one type argument: `" + name + "<T>(…)`"});
      CheckArgsAlone(e);
      return types_->error();
    }
    elem = ResolveType(e->type_args[0]);
    if (elem->IsError()) ok = false;
    else if (elem->kind == TypeKind::Void || elem->kind == TypeKind::Opaque || elem->kind == TypeKind::Handle ||
             elem->IsCounted()) {
      Error(diag::Kind::SizeofType, e->type_args[0]->range, {ToString(elem)});
      ok = false;
    } else {
      EnsureLayout(elem, e->type_args[0]->range);
    }
  }
  size_t want = std::string_view(fn.params).size();
  if (!BuiltinArgCount(e, name, want, want)) return types_->error();
  const Type* first_ptr = nullptr;
  for (size_t i = 0; i < want; i++) {
    ast::Expr* a = e->args[i];
    auto expect = [&](bool good, const Type* t, const char* what) {
      if (!good && !t->IsError()) Error(diag::Kind::BuiltinArg, a->range, {name, what, ToString(t)});
      if (!good || t->IsError()) ok = false;
    };
    switch (fn.params[i]) {
      case 'P': {
        const Type* t = CheckValue(a);
        expect(t->kind == TypeKind::Pointer && t->elem->kind != TypeKind::Void && t->elem->kind != TypeKind::Opaque, t,
               "a pointer to sized elements");
        if (ok && !first_ptr) first_ptr = t, elem = t->elem;
        break;
      }
      case 'Q': {
        const Type* t = CheckExpr(a, first_ptr);
        if (t->kind == TypeKind::Null) t = Finalize(a);
        if (!first_ptr) {
          Finalize(a);
        } else if (!t->IsError()) {
          Coerce(a, first_ptr);
        }
        break;
      }
      case 'X': {
        const Type* t = CheckValue(a);
        expect(t->kind == TypeKind::Pointer, t, fn.name[0] == 'f' && std::string_view(fn.name) == "free_host"
                                                    ? "a pointer from `gpu.alloc_host`"
                                                    : "a pointer from `gpu.alloc`");
        break;
      }
      case 'N': {
        const Type* t = CheckValue(a);  // any integer type: a count
        expect(t->IsInt(), t, "an integer count");
        break;
      }
      case 'V': {
        if (!elem) {
          CheckValue(a);
          break;
        }
        bool sized = (elem->IsNumeric() || elem->kind == TypeKind::Bool) &&
                     (elem->size == 1 || elem->size == 2 || elem->size == 4 || elem->size == 8);
        if (!sized) {
          Error(diag::Kind::GpuFillType, e->args[0]->range, {name, ToString(elem)});
          CheckValue(a);
          ok = false;
          break;
        }
        CheckExpr(a, elem);
        Coerce(a, elem);
        break;
      }
      case 'I': {
        CheckExpr(a, types_->i32());
        Coerce(a, types_->i32());
        break;
      }
      case 'C': {
        const Type* t = CheckValue(a, types_->cstring());
        expect(t == types_->cstring(), t, "a `cstring`");
        break;
      }
      case 'S':
      case 'E': {
        const Type* want_t = fn.params[i] == 'S' ? types_->gpu_stream() : types_->gpu_event();
        const Type* t = CheckValue(a, want_t);
        expect(t == want_t, t, fn.params[i] == 'S' ? "a `gpu_stream` (from `gpu.stream_create`)"
                                                   : "a `gpu_event` (from `gpu.event_create`)");
        break;
      }
      default:
        FUSION_UNREACHABLE("gpu_api.def parameter letter");
    }
  }
  switch (fn.result[0]) {
    case 'v': return types_->void_type();
    case 'b': return types_->bool_type();
    case 'c': return types_->cstring();
    case 'i': return types_->i32();
    case 'u': return types_->u64();
    case 'f': return types_->f32();
    case 'p': return types_->Pointer(types_->void_type());
    case 's': return types_->gpu_stream();
    case 'e': return types_->gpu_event();
    case 'k': return types_->gpu_kernel();
    case 'T': return ok ? types_->Pointer(elem) : types_->error();
    default: FUSION_UNREACHABLE("gpu_api.def result letter");
  }
}

// In CheckCall: the rules for a direct call of `callee` from the function being checked.
void Checker::CheckGpuCall(ast::Call* e, ast::FnDecl* callee) {
  if (callee->is_kernel) {
    Error(diag::Kind::KernelCalled, e->callee->range, {callee->name});
    return;
  }
  if (!InDevice()) {
    if (callee->is_device) {
      host_device_calls_.emplace_back(e, callee);
      callee->host_called = true;
    }
    return;
  }
  if (callee->is_extern) {
    Error(diag::Kind::ExternCallInDevice, e->callee->range, {callee->name, DeviceWhat(), fn_->name});
    return;
  }
  if (!callee->is_device) {
    Error(diag::Kind::HostCallInDevice, e->callee->range, {callee->name, DeviceWhat(), fn_->name});
    Note(diag::Kind::NoteDeclaredHere, callee->name_range, {callee->name});
    return;
  }
  fn_->device_callees.push_back(callee);
}

// launch k<<<grid, block[, shared_bytes[, stream]]>>>(args…)
void Checker::CheckLaunch(ast::Launch* l) {
  if (InDevice()) Error(diag::Kind::LaunchInDevice, l->range);
  // An integer literal becomes a u32; other untyped values (1.5) get their own type, to be reported once.
  auto settle = [&](ast::Expr* e, const Type* t) {
    if (t->kind == TypeKind::UntypedInt) return Coerce(e, types_->u32()), e->type;
    return t->IsUntyped() ? Finalize(e) : t;
  };
  auto dim = [&](ast::Expr* e, const char* what) {
    if (!e) return;
    const Type* t = settle(e, CheckExpr(e, types_->u32()));
    if (!t->IsError() && !t->IsInt() && t != types_->dim3()) Error(diag::Kind::LaunchDim, e->range, {what, ToString(t)});
  };
  dim(l->grid, "grid");
  dim(l->block, "block");
  if (l->shared_bytes) {
    const Type* t = settle(l->shared_bytes, CheckExpr(l->shared_bytes, types_->u32()));
    if (!t->IsError() && !t->IsInt())
      Error(diag::Kind::BuiltinArg, l->shared_bytes->range, {"launch", "an integer number of shared bytes", ToString(t)});
  }
  if (l->stream) {
    // A gpu_stream, or null for the default stream.
    const Type* t = CheckExpr(l->stream, types_->gpu_stream());
    if (t->kind == TypeKind::Null) Coerce(l->stream, types_->Pointer(types_->void_type())), t = types_->null_type();
    else if (t->IsUntyped()) t = Finalize(l->stream);
    if (!t->IsError() && t != types_->gpu_stream() && t->kind != TypeKind::Null)
      Error(diag::Kind::BuiltinArg, l->stream->range,
            {"launch", "a `gpu_stream` (from `gpu.stream_create`) or `null` for the default stream", ToString(t)});
  }
  ast::Node* d = Lookup(l->kernel);
  auto* k = As<ast::FnDecl>(d);
  // A kernel compiled at run time (gpu.compile_cuda): its arguments are checked against the
  // PTX's parameters when it is launched.
  const Type* var_type = nullptr;
  if (auto* let = As<ast::Let>(d)) var_type = let->type;
  else if (auto* p = As<ast::Param>(d)) var_type = p->type;
  else if (auto* c = As<ast::ConstDecl>(d); c && c->is_static) var_type = c->type;
  if (var_type && var_type == types_->gpu_kernel()) {
    l->kernel_var = d;
    for (ast::Expr* a : l->args) {
      const Type* t = CheckExpr(a);
      if (t->kind == TypeKind::Null) Coerce(a, types_->Pointer(types_->void_type())), t = a->type;
      else if (t->IsUntyped()) t = Finalize(a);  // a literal: the runtime fits it to the parameter
      if (!t->IsError() && (t->kind == TypeKind::Handle || t->kind == TypeKind::Array || t->kind == TypeKind::Void ||
                            t->kind == TypeKind::Opaque))
        Error(diag::Kind::LaunchArgType, a->range, {ToString(t)});
    }
    return;
  }
  if (!k || !k->is_kernel) {
    if (!d) Error(diag::Kind::UndeclaredName, l->kernel_range, {l->kernel});
    else Error(diag::Kind::LaunchNotKernel, l->kernel_range, {l->kernel});
    for (ast::Expr* a : l->args) CheckValue(a);
    return;
  }
  l->kernel_fn = k;
  size_t n = k->params.size(), given = l->args.size();
  if (given != n) {
    Error(diag::Kind::ArgCount, l->range,
          {k->name, std::to_string(n), n == 1 ? "" : "s", std::to_string(given), given == 1 ? "was" : "were"});
    Note(diag::Kind::NoteDeclaredHere, k->name_range, {k->name});
    for (ast::Expr* a : l->args) CheckValue(a);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const Type* pt = k->params[i]->type ? k->params[i]->type : types_->error();
    CheckExpr(l->args[i], pt);
    Coerce(l->args[i], pt);
  }
}

// `shared var t: [f32; 256];`: storage in the block's shared memory, laid out per kernel.
void Checker::CheckSharedVar(ast::Let* let) {
  if (!fn_ || !fn_->is_kernel) {
    Error(diag::Kind::SharedOutsideKernel, let->range, {"shared var"});
    return;
  }
  if (let->init) Error(diag::Kind::SharedInit, let->init->range);
  if (!let->declared_type) {
    Error(diag::Kind::SharedNeedsType, let->name_range, {let->name});
    return;
  }
  const Type* t = let->type;
  if (!t || t->IsError()) return;
  UsesThread("shared var " + let->name);
  uint64_t align = t->align ? t->align : 1;
  // An array of 16 bytes or more starts 16-byte aligned, so that cp_async can fill it 16 bytes at
  // a time and its rows can be ldmatrix rows (lowering aligns the device's .shared array alike).
  if (t->kind == TypeKind::Array && t->size >= 16) align = std::max<uint64_t>(align, 16);
  let->shared_offset = (fn_->static_shared + align - 1) / align * align;
  fn_->static_shared = let->shared_offset + t->size;
}

// After every body: what needs a GPU thread, and which kernels are cooperative, through calls.
void Checker::FinishGpu() {
  bool changed = true;
  while (changed) {
    changed = false;
    for (ast::FnDecl* fn : out_.fns) {
      for (ast::FnDecl* callee : fn->device_callees) {
        if (callee->uses_thread && !fn->uses_thread) {
          fn->uses_thread = true;
          thread_reason_.emplace(fn, thread_reason_.count(callee) ? thread_reason_[callee] : callee->name);
          changed = true;
        }
        if (callee->cooperative && !fn->cooperative) fn->cooperative = changed = true;
      }
    }
  }
  // What host code reaches, through the @device functions it calls, cannot take a GPU thread
  // (lowering's NeedsThread): it has none to pass.
  for (changed = true; changed;) {
    changed = false;
    for (ast::FnDecl* fn : out_.fns) {
      if (!fn->is_device || !fn->host_called) continue;
      for (ast::FnDecl* callee : fn->device_callees)
        if (!callee->host_called) callee->host_called = changed = true;
    }
  }
  for (auto& [call, callee] : host_device_calls_) {
    if (!callee->uses_thread) continue;
    Error(diag::Kind::DeviceNeedsThread, call->callee->range, {callee->name, thread_reason_[callee]});
  }
  for (ast::FnDecl* fn : out_.fns) {
    if (fn->is_kernel && fn->static_shared > RtLimits::kMaxShared)
      Error(diag::Kind::SharedTooLarge, fn->name_range, {fn->name, std::to_string(fn->static_shared)});
    if (fn->is_kernel && !fn->is_cuda) out_.has_kernels = true;
  }
}

}  // namespace fusion::sema
