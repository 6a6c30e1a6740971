// Lowering's entry point: module set-up, the order of declarations, verification.
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

Lowerer::Lowerer(const sema::CheckedModule& m, const SourceManager& sources, llvm::LLVMContext& ctx,
                 const LowerOptions& options, bool device)
    : m_(m), options_(options), sources_(sources), ctx_(ctx), b_(ctx), device_(device) {
  std::string name = m.trees.empty() ? "fusion" : sources.file(m.trees.front()->file).path();
  mod_ = std::make_unique<llvm::Module>(name, ctx);
  if (device) {
    mod_->setTargetTriple("nvptx64-nvidia-cuda");
    mod_->setDataLayout("e-i64:64-i128:128-v16:16-v32:32-n16:32:64");
  } else {
    mod_->setTargetTriple("x86_64-pc-linux-gnu");
    mod_->setDataLayout("e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128");
  }
  auto* ptr = llvm::PointerType::get(ctx, 0);
  loc_ty_ = llvm::StructType::create(ctx, {ptr, b_.getInt32Ty(), b_.getInt32Ty()}, "rt_src_loc");
}

auto Lower(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx,
           const LowerOptions& options) -> std::unique_ptr<llvm::Module> {
  return Lowerer(module, sources, ctx, options).Run();
}

auto LowerDevice(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx, int sm)
    -> std::unique_ptr<llvm::Module> {
  if (!module.has_kernels) return nullptr;
  static const LowerOptions kNone;
  Lowerer lowerer(module, sources, ctx, kNone, /*device=*/true);
  lowerer.SetDeviceArch(sm);
  return lowerer.RunDevice();
}

auto ProcessSymbols(const sema::CheckedModule& module) -> std::vector<std::string> {
  std::vector<std::string> symbols;
  for (const ast::FnDecl* fn : module.fns)
    if (fn->is_extern && !fn->has_library && !fn->is_cuda) symbols.push_back(fn->symbol);
  return symbols;
}

auto Lowerer::Run() -> std::unique_ptr<llvm::Module> {
  BeginDebugInfo();
  DeclareRuntime();
  for (ast::ConstDecl* c : m_.statics) DefineStatic(c);
  for (ast::FnDecl* fn : m_.fns)
    if (!fn->is_extern) DeclareFunction(fn);
  for (ast::FnDecl* fn : m_.fns)
    if (fn->used_as_value) DefineCEntry(fn);
  for (ast::FnDecl* fn : m_.fns) {
    if (fn->is_cuda) DefineCudaKernel(fn);
    else if (fn->is_kernel) DefineKernelEntries(fn);
  }
  for (ast::FnDecl* fn : m_.fns)
    if (!fn->is_extern) DefineFunction(fn);
  DefineEntry();
  // Every defined function: a load or store through a null pointer must reach the hardware, which
  // faults, and the crash handler reports it (core/fault.c): without null_pointer_is_valid LLVM
  // treats the access as unreachable and the program goes on with a made-up value at -O1 and
  // above. Unwind tables, as clang gives them on x86-64: backtraces (the runtime's, gdb's, perf's)
  // walk the stack through Fusion frames with them.
  for (llvm::Function& f : *mod_) {
    if (f.isDeclaration()) continue;
    f.addFnAttr(llvm::Attribute::NullPointerIsValid);
    f.setUWTableKind(llvm::UWTableKind::Async);
  }
  FinishDebugInfo();
  return Verify();
}

// Device code: the kernels and @device functions, and what they need of the runtime.
auto Lowerer::RunDevice() -> std::unique_ptr<llvm::Module> {
  DefineDeviceRuntime();
  // CUDA C kernels (is_cuda) have their own PTX, from NVRTC.
  for (ast::FnDecl* fn : m_.fns)
    if ((fn->is_kernel || fn->is_device) && !fn->is_cuda) DeclareFunction(fn);
  for (ast::FnDecl* fn : m_.fns)
    if ((fn->is_kernel || fn->is_device) && !fn->is_cuda) DefineFunction(fn);
  for (ast::FnDecl* fn : m_.fns)
    if (fn->is_kernel && !fn->is_cuda) DefineKernelEntry(fn);
  return Verify();
}

auto Lowerer::Verify() -> std::unique_ptr<llvm::Module> {
  std::string errors;
  llvm::raw_string_ostream os(errors);
  FUSION_CHECK(!llvm::verifyModule(*mod_, &os)) << "invalid LLVM IR:\n" << os.str();
  return std::move(mod_);
}

}  // namespace fusion::lower
