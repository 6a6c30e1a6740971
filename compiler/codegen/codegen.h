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

// A target machine for x86-64 Linux and the CPU `cpu`: "" is generic x86-64 (built executables
// run on any x86-64 machine), "native" this machine's CPU and its features (the JIT's), anything
// else an LLVM CPU name (`x86-64-v3`, `znver4`; IsCpuName). Null with `error` set on failure.
auto CreateHostTargetMachine(OptLevel level, const std::string& cpu, std::string& error)
    -> std::unique_ptr<llvm::TargetMachine>;

// Whether `--cpu NAME` names a CPU LLVM knows for x86-64 ("native" included).
auto IsCpuName(const std::string& name) -> bool;

// Whether `name` (without `+`/`-`) is one of LLVM's x86 features, for `@target_features`.
auto IsTargetFeature(const std::string& name) -> bool;

// Puts the target machine's features in front of each function's own "target-features"
// (`@target_features`), which would otherwise replace them: a function keeps the CPU's features
// (and the JIT's exclusions) and adds its own.
void MergeTargetFeatures(llvm::Module& module, const llvm::TargetMachine& tm);

// Runs LLVM's standard pipeline for `level` over `module`.
void Optimize(llvm::Module& module, llvm::TargetMachine& tm, OptLevel level);

// Writes assembly or an object file; false with `error` set on failure.
auto EmitFile(llvm::Module& module, llvm::TargetMachine& tm, FileKind kind, const std::string& path,
              std::string& error) -> bool;

// Device code (codegen/nvptx.cpp): links libdevice into `module` when it calls `__nv_*` math,
// optimizes for `arch` (sm_XX) and writes PTX. The PTX ISA version is the lowest that `arch`
// needs (LLVM's choice: 7.0 for sm_80, 7.8 for sm_90), so that older drivers load it too.
auto CompileDevice(llvm::Module& module, const std::string& arch, OptLevel level, std::string& ptx,
                   std::string& error) -> bool;

// Whether `arch` is a GPU architecture Fusion compiles kernels for (sm_75 … sm_90a: what CUDA 13's
// ptxas and driver support).
auto IsGpuArch(const std::string& arch) -> bool;

// Assembles `ptx` for `arch` with the CUDA toolkit's ptxas ($CUDA_HOME/bin, /usr/local/cuda/bin,
// then PATH) into a cubin (an ELF image), for `--gpu-arch sm_80,sm_90` fat executables. False
// with `error` when there is no ptxas (`missing` set) or it fails.
auto AssembleCubin(const std::string& ptx, const std::string& arch, std::string& cubin, bool& missing,
                   std::string& error) -> bool;

// Where CompileDevice looks for CUDA's libdevice, in order ($CUDA_HOME's, then /usr/local/cuda's);
// the run cache lists them as files the compilation depends on.
auto LibdeviceCandidates() -> std::vector<std::string>;
// Whether `arch` is an older architecture (sm_50 … sm_72) that CUDA 13 no longer supports, and
// whose warp operations would need the pre-Volta, non-`.sync` forms.
auto IsRetiredGpuArch(const std::string& arch) -> bool;

// Links `object` with the static runtime (`runtime_lib`, libfusion_rt.a) into `output` using `cc`.
// `exported`: symbols the program looks up in itself at run time (`extern { … }`), which the
// executable exports (pulled from the runtime archive when they are defined there).
auto LinkExecutable(const std::string& object, const std::string& runtime_lib, const std::string& output,
                    const std::vector<std::string>& exported, std::string& error) -> bool;

}  // namespace fusion::codegen
