// Lowering's entry point: module set-up, the order of declarations, verification.
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

Lowerer::Lowerer(const sema::CheckedModule& m, const SourceManager& sources, llvm::LLVMContext& ctx,
                 const LowerOptions& options)
    : m_(m), options_(options), sources_(sources), ctx_(ctx), b_(ctx) {
  std::string name = m.trees.empty() ? "fusion" : sources.file(m.trees.front()->file).path();
  mod_ = std::make_unique<llvm::Module>(name, ctx);
  mod_->setTargetTriple("x86_64-pc-linux-gnu");
  mod_->setDataLayout("e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128");
  auto* ptr = llvm::PointerType::get(ctx, 0);
  loc_ty_ = llvm::StructType::create(ctx, {ptr, b_.getInt32Ty(), b_.getInt32Ty()}, "rt_src_loc");
}

auto Lower(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx,
           const LowerOptions& options) -> std::unique_ptr<llvm::Module> {
  return Lowerer(module, sources, ctx, options).Run();
}

auto ProcessSymbols(const sema::CheckedModule& module) -> std::vector<std::string> {
  std::vector<std::string> symbols;
  for (const ast::FnDecl* fn : module.fns)
    if (fn->is_extern && !fn->has_library) symbols.push_back(fn->symbol);
  return symbols;
}

auto Lowerer::Run() -> std::unique_ptr<llvm::Module> {
  DeclareRuntime();
  for (ast::ConstDecl* c : m_.statics) DefineStatic(c);
  for (ast::FnDecl* fn : m_.fns)
    if (!fn->is_extern) DeclareFunction(fn);
  for (ast::FnDecl* fn : m_.fns)
    if (fn->used_as_value) DefineCEntry(fn);
  for (ast::FnDecl* fn : m_.fns)
    if (!fn->is_extern) DefineFunction(fn);
  DefineEntry();
  std::string errors;
  llvm::raw_string_ostream os(errors);
  FUSION_CHECK(!llvm::verifyModule(*mod_, &os)) << "invalid LLVM IR:\n" << os.str();
  return std::move(mod_);
}

}  // namespace fusion::lower
