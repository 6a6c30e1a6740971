// Builtins: print/eprint, assert, panic, alloc, free, exit, math; failure paths.
#include <llvm/IR/Intrinsics.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

auto Lowerer::SourceText(SourceRange r) const -> std::string {
  std::string_view text = sources_.file(r.begin.file).text();
  if (r.end <= r.begin.offset || r.end > text.size()) return "";
  return std::string(text.substr(r.begin.offset, r.end - r.begin.offset));
}

// A panic in kernel code on the host first tells the runtime which thread of the block panics
// (rt_gpu_panic_thread with the linear index), so that the report names it: in a block loop the
// thread is only in registers. On the cold path only, so the loop is not touched.
void Lowerer::NotePanicThread(llvm::Function* f) {
  if (device_ || !thread_ || !f->getName().starts_with("rt_panic")) return;
  llvm::Value* linear = b_.CreateLoad(b_.getInt32Ty(), b_.CreateStructGEP(ThreadTy(), thread_, kLinear));
  b_.CreateCall(Runtime("rt_gpu_panic_thread"), {linear});
}

void Lowerer::CallNoReturn(llvm::Function* f, llvm::ArrayRef<llvm::Value*> args) {
  llvm::DebugLoc saved = b_.getCurrentDebugLocation();
  if (!args.empty()) SetDebugLocOfRtLoc(args.back());  // where the failure says it is
  NotePanicThread(f);
  b_.CreateCall(f, args);
  b_.SetCurrentDebugLocation(saved);
  b_.CreateUnreachable();
  StartDeadBlock();
}

void Lowerer::FailIf(llvm::Value* fail, llvm::Function* f, llvm::ArrayRef<llvm::Value*> args) {
  auto* fail_bb = llvm::BasicBlock::Create(ctx_, "fail", fn_);
  auto* ok_bb = llvm::BasicBlock::Create(ctx_, "ok", fn_);
  b_.CreateCondBr(fail, fail_bb, ok_bb);
  b_.SetInsertPoint(fail_bb);
  llvm::DebugLoc saved = b_.getCurrentDebugLocation();
  SetDebugLocOfRtLoc(args.back());  // where the failure says it is
  NotePanicThread(f);
  b_.CreateCall(f, args);
  b_.CreateUnreachable();
  b_.SetCurrentDebugLocation(saved);
  b_.SetInsertPoint(ok_bb);
}

void Lowerer::LowerPrint(const ast::Call* e, int stream) {
  LowerFormatArgs(e, stream);
  b_.CreateCall(Runtime("rt_print_end"), {b_.getInt32(stream)});
}

// A panic's or an assert's message as a C string (a `string`'s bytes: the program ends with it).
auto Lowerer::MessageText(const ast::Expr* e) -> llvm::Value* {
  llvm::Value* v = LowerExpr(e);
  if (e->type->IsString()) return b_.CreateCall(Runtime("rt_str_cstr"), {v, PanicLoc(e->range)});
  return v;
}

auto Lowerer::LowerBuiltin(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  if (e->builtin > B::GpuFirst) return LowerGpuApi(e);
  if (e->builtin >= B::Dim3) return LowerGpuBuiltin(e);
  if (e->builtin >= B::VecSum && e->builtin <= B::VecShuffle) return LowerVecMethod(e);
  switch (e->builtin) {
    case B::Print:
      if (device_) LowerDevicePrint(e);
      else LowerPrint(e, 1);
      return nullptr;
    case B::LibAvailable:
      return b_.CreateCall(Runtime("rt_lib_available"), {LowerExpr(e->args[0])});
    case B::ArgCount:
      return b_.CreateCall(Runtime("rt_arg_count"), {});
    case B::Arg: {
      llvm::Value* i = IntCast(LowerExpr(e->args[0]), e->args[0]->type, b_.getInt64Ty());
      return b_.CreateCall(Runtime("rt_arg"), {i, LocOf(e->range)});
    }
    case B::Env:
    case B::HasEnv: {
      llvm::Value* name = LowerExpr(e->args[0]);
      llvm::Value* r = b_.CreateCall(Runtime(e->builtin == B::Env ? "rt_env" : "rt_has_env"), {name});
      ReleaseIfOwned(e->args[0], name);
      return r;
    }
    case B::Own: {
      // A handle (core/ref.c) that calls the type's @drop function on the pointer at its end.
      const ast::FnDecl* drop = e->type->opaque_decl->drop_fn;
      llvm::Value* p = LowerExpr(e->args[0]);
      return b_.CreateCall(Runtime("rt_handle_own"), {p, FunctionValue(drop, e->range)});
    }
    case B::Raw: {
      const ast::Expr* h = e->args[0];
      llvm::Value* v = LowerExpr(h);
      llvm::Value* p = b_.CreateCall(Runtime("rt_handle_raw"), {v});
      if (OwnsRef(h)) KeepUntilBlockEnd(v, "raw.keep");  // the pointer lives as long as its handle
      return p;
    }
    case B::Format:
      b_.CreateCall(Runtime("rt_format_begin"), {PanicLoc(e->range)});
      LowerFormatArgs(e, 0);
      return b_.CreateCall(Runtime("rt_format_end"), {});
    case B::MonotonicNs:
      return b_.CreateCall(Runtime("rt_monotonic_ns"), {});
    case B::UnixTime:
      return b_.CreateCall(Runtime("rt_unix_time"), {});
    case B::Eprint:
      LowerPrint(e, 2);
      return nullptr;
    case B::Assert: {
      llvm::Value* cond = LowerExpr(e->args[0]);
      auto* fail_bb = llvm::BasicBlock::Create(ctx_, "assert.fail", fn_);
      auto* ok_bb = llvm::BasicBlock::Create(ctx_, "assert.ok", fn_);
      b_.CreateCondBr(cond, ok_bb, fail_bb);
      b_.SetInsertPoint(fail_bb);
      NotePanicThread(Runtime("rt_panic"));
      if (e->args.size() == 2)
        b_.CreateCall(Runtime("rt_panic"), {MessageText(e->args[1]), PanicLoc(e->range)});
      else
        b_.CreateCall(Runtime("rt_panic_assert"), {StringConst(SourceText(e->args[0]->range)), PanicLoc(e->range)});
      b_.CreateUnreachable();
      b_.SetInsertPoint(ok_bb);
      return nullptr;
    }
    case B::Panic:
      CallNoReturn(Runtime("rt_panic"), {MessageText(e->args[0]), PanicLoc(e->range)});
      return nullptr;
    case B::Exit:
      CallNoReturn(Runtime("rt_exit"), {LowerExpr(e->args[0])});
      return nullptr;
    case B::Alloc: {
      const Type* elem = e->type->elem;
      llvm::Value* n = IntCast(LowerExpr(e->args[0]), e->args[0]->type, b_.getInt64Ty());
      return b_.CreateCall(Runtime("rt_alloc"), {n, b_.getInt64(elem->size), b_.getInt64(std::max<uint64_t>(elem->align, 1)), LocOf(e->range)});
    }
    case B::Free:
      b_.CreateCall(Runtime("rt_free"), {LowerExpr(e->args[0])});
      return nullptr;
    case B::Popc:
    case B::Clz:
    case B::Ctz:
    case B::Ffs:
      return LowerBitCount(e);
    case B::Brev:  // PTX brev.b32/brev.b64 on the device
      return b_.CreateIntrinsic(llvm::Intrinsic::bitreverse, {ValTy(e->type)}, {LowerExpr(e->args[0])});
    default:
      return LowerMath(e);
  }
}

// popc, clz, ctz (the width for 0) and ffs (1 + the lowest set bit's index, 0 for 0), as i32.
auto Lowerer::LowerBitCount(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  llvm::Value* x = LowerExpr(e->args[0]);
  llvm::Type* ty = x->getType();
  llvm::Value* r = nullptr;
  switch (e->builtin) {
    case B::Popc: r = b_.CreateIntrinsic(llvm::Intrinsic::ctpop, {ty}, {x}); break;
    case B::Clz: r = b_.CreateIntrinsic(llvm::Intrinsic::ctlz, {ty}, {x, b_.getFalse()}); break;
    case B::Ctz: r = b_.CreateIntrinsic(llvm::Intrinsic::cttz, {ty}, {x, b_.getFalse()}); break;
    default: {
      llvm::Value* tz = b_.CreateIntrinsic(llvm::Intrinsic::cttz, {ty}, {x, b_.getFalse()});
      llvm::Value* zero = b_.CreateICmpEQ(x, llvm::ConstantInt::get(ty, 0));
      r = b_.CreateSelect(zero, llvm::ConstantInt::get(ty, 0), b_.CreateAdd(tz, llvm::ConstantInt::get(ty, 1)));
    }
  }
  return b_.CreateZExtOrTrunc(r, b_.getInt32Ty());
}

auto Lowerer::LowerMath(const ast::Call* e) -> llvm::Value* {
  std::vector<llvm::Value*> args;
  for (const ast::Expr* a : e->args) args.push_back(LowerExpr(a));
  if (e->type->IsVector())
    for (size_t i = 0; i < args.size(); i++) args[i] = VecSplat(args[i], e->args[i]->type, e->type);
  if (!e->type->IsHalf()) return EmitMath(e->builtin, e->type, args);
  // f16 and bf16: computed in f32 and rounded once (exact for sqrt, fabs, floor, ceil, fmin and
  // fmax; the others are as close as f32's libm or libdevice function is).
  for (llvm::Value*& a : args) a = HalfToF32(a);
  return FloatCast(EmitMath(e->builtin, m_.types->f32(), args), m_.types->f32(), e->type);
}

auto Lowerer::EmitMath(ast::Builtin builtin, const Type* type, std::vector<llvm::Value*> args) -> llvm::Value* {
  using B = ast::Builtin;
  llvm::Type* ty = ValTy(type);
  llvm::Intrinsic::ID id = llvm::Intrinsic::not_intrinsic;
  switch (builtin) {
    case B::Sqrt: id = llvm::Intrinsic::sqrt; break;
    case B::Exp: id = llvm::Intrinsic::exp; break;
    case B::Log: id = llvm::Intrinsic::log; break;
    case B::Sin: id = llvm::Intrinsic::sin; break;
    case B::Cos: id = llvm::Intrinsic::cos; break;
    case B::Pow: id = llvm::Intrinsic::pow; break;
    case B::Fabs: id = llvm::Intrinsic::fabs; break;
    case B::Floor: id = llvm::Intrinsic::floor; break;
    case B::Ceil: id = llvm::Intrinsic::ceil; break;
    case B::Fmin: id = llvm::Intrinsic::minnum; break;
    case B::Fmax: id = llvm::Intrinsic::maxnum; break;
    default: break;
  }
  bool f32 = type->bits == 32;
  // On the device, what NVPTX has no instruction for comes from libdevice (__nv_expf, __nv_pow,
  // …; codegen links it in); sqrt, fabs, floor, ceil, fmin and fmax stay intrinsics.
  const char* libdevice = nullptr;
  switch (builtin) {
    case B::Exp: libdevice = "exp"; break;
    case B::Log: libdevice = "log"; break;
    case B::Sin: libdevice = "sin"; break;
    case B::Cos: libdevice = "cos"; break;
    case B::Tan: libdevice = "tan"; break;
    case B::Tanh: libdevice = "tanh"; break;
    case B::Pow: libdevice = "pow"; break;
    default: break;
  }
  if (device_ && libdevice) {
    std::string name = std::string("__nv_") + libdevice + (f32 ? "f" : "");
    std::vector<llvm::Type*> ps(args.size(), ty);
    return b_.CreateCall(mod_->getOrInsertFunction(name, llvm::FunctionType::get(ty, ps, false)), args);
  }
  if (id != llvm::Intrinsic::not_intrinsic) return b_.CreateIntrinsic(id, {ty}, args);
  // tan and tanh come from libm.
  const char* name = builtin == B::Tan ? (f32 ? "tanf" : "tan") : (f32 ? "tanhf" : "tanh");
  llvm::FunctionCallee f = mod_->getOrInsertFunction(name, llvm::FunctionType::get(ty, {ty}, false));
  return b_.CreateCall(f, args);
}

}  // namespace fusion::lower
