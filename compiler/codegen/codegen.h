// Code generation: optimizing a module and turning it into assembly, an object, or an executable.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace fusion::codegen {

enum class OptLevel { O0, O1, O2, O3 };
enum class FileKind { Assembly, Object };

// A target machine for x86-64 Linux. `native` tunes for this CPU (JIT); otherwise generic
// x86-64 (built executables run on any x86-64 machine). Null with `error` set on failure.
auto CreateHostTargetMachine(OptLevel level, bool native, std::string& error) -> std::unique_ptr<llvm::TargetMachine>;

// Runs LLVM's standard pipeline for `level` over `module`.
void Optimize(llvm::Module& module, llvm::TargetMachine& tm, OptLevel level);

// Writes assembly or an object file; false with `error` set on failure.
auto EmitFile(llvm::Module& module, llvm::TargetMachine& tm, FileKind kind, const std::string& path,
              std::string& error) -> bool;

// Links `object` with the static runtime (`runtime_lib`, libfusion_rt.a) into `output` using `cc`.
// `exported`: symbols the program looks up in itself at run time (`extern { … }`), which the
// executable exports (pulled from the runtime archive when they are defined there).
auto LinkExecutable(const std::string& object, const std::string& runtime_lib, const std::string& output,
                    const std::vector<std::string>& exported, std::string& error) -> bool;

}  // namespace fusion::codegen
