// The JIT: ORC LLJIT with the runtime's symbols registered from rt_functions.def and the
// process's own symbols (libc, libm) visible to programs.
#include "jit/jit.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/Support/TargetSelect.h>

#include "fusion/rt_core.h"

namespace fusion::jit {

auto Run(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> ctx,
         codegen::OptLevel level, const std::vector<std::string>& args, std::string& error) -> int {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = llvm::toString(jtmb.takeError());
    return -1;
  }
  jtmb->setCodeGenOptLevel(level == codegen::OptLevel::O0 ? llvm::CodeGenOptLevel::None
                                                           : llvm::CodeGenOptLevel::Default);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit) {
    error = llvm::toString(jit.takeError());
    return -1;
  }
  llvm::orc::LLJIT& j = **jit;
  // The runtime, linked into this executable.
  llvm::orc::SymbolMap runtime;
  auto& es = j.getExecutionSession();
  auto add = [&](const char* name, void* addr) {
    runtime[es.intern(name)] = {llvm::orc::ExecutorAddr::fromPtr(addr), llvm::JITSymbolFlags::Exported};
  };
#define RT_FN(name, ...) add(#name, reinterpret_cast<void*>(&name));
#define RT_FN_NORETURN(name, ...) RT_FN(name)
#include "fusion/rt_functions.def"
  if (auto err = j.getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(runtime)))) {
    error = llvm::toString(std::move(err));
    return -1;
  }
  // Everything else (libc, libm) from the process.
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(j.getDataLayout().getGlobalPrefix());
  if (!gen) {
    error = llvm::toString(gen.takeError());
    return -1;
  }
  j.getMainJITDylib().addGenerator(std::move(*gen));
  module->setDataLayout(j.getDataLayout());
  if (auto err = j.addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx)))) {
    error = llvm::toString(std::move(err));
    return -1;
  }
  auto main_sym = j.lookup("main");
  if (!main_sym) {
    error = llvm::toString(main_sym.takeError());
    return -1;
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto* main_fn = main_sym->toPtr<int (*)(int, char**)>();
  return main_fn(static_cast<int>(args.size()), argv.data());
}

}  // namespace fusion::jit
