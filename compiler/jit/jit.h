// Running a module in-process with ORC LLJIT.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/codegen.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace fusion::jit {

// Compiles `module` (already optimized) and calls its C `main` with `args` (args[0] is the
// program name). Returns main's result; the program usually exits through rt_exit first.
// On a JIT failure, returns -1 with `error` set.
auto Run(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> ctx,
         codegen::OptLevel level, const std::vector<std::string>& args, std::string& error) -> int;

}  // namespace fusion::jit
