// Lowering: the checked module to an LLVM module for the host (x86-64 Linux).
#pragma once

#include <memory>

#include "base/source.h"
#include "sema/check.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace fusion::lower {

// Builds every function and static, plus a C `main(argc, argv)` that starts the runtime, runs
// the program (its top-level statements or `fn main`) and exits with its code.
// `module` must have no errors. The result passes llvm::verifyModule (checked here).
auto Lower(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx)
    -> std::unique_ptr<llvm::Module>;

}  // namespace fusion::lower
