// Lowering: the checked module to an LLVM module for the host (x86-64 Linux).
#pragma once

#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "base/source.h"
#include "fuse/fuse.h"
#include "sema/check.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace fusion::lower {

// What DWARF the host module carries (lower/lower_debug.cpp). The device module never has any.
enum class DebugInfo {
  None,
  LineTables,  // functions, inlining and file:line:col: backtraces, gdb `break FILE:LINE`
  Full,        // `-g`: also locals and parameters with their types (gdb `print`)
};

struct LowerOptions {
  DebugInfo debug = DebugInfo::None;
  bool optimized = false;  // marks the debug info as describing optimized code
  // Directories searched for extern libraries before the system's (`-L`): the program's `main`
  // registers them, so a built executable finds the same libraries as `fusion run`.
  std::vector<std::string> library_dirs;
  // The Fusion library's own directory (<bin>/../lib/fusion: the shims of the shipped C++
  // bindings), searched after them and named as such in the loader's messages; empty: none.
  std::string fusion_library_dir;
  // The program's device code as PTX (empty: none), embedded for a CUDA device to load.
  std::string ptx;
  // NVRTC's PTX for each CUDA C source (index: ast::FnDecl::cuda_module).
  std::vector<std::string> cuda_ptx;
  // Cubins of the program's PTX (`--gpu-arch sm_80,sm_90`): the SM number (80) and the ELF image.
  std::vector<std::pair<int, std::string>> cubins;
  // `--check-kernels`: loads and stores through pointers in kernel code are checked against
  // gpu.alloc's blocks on the CPU device.
  bool check_kernels = false;
  // The fusion pass's plan of the program's tensor operations (null: the program has none).
  const fuse::Plan* tensors = nullptr;
};

// Builds every function and static, plus a C `main(argc, argv)` that starts the runtime, runs
// the program (its top-level statements or `fn main`) and exits with its code.
// `module` must have no errors. The result passes llvm::verifyModule (checked here).
auto Lower(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx,
           const LowerOptions& options = {}) -> std::unique_ptr<llvm::Module>;

// The device module: every @kernel (as a PTX entry named as in Fusion) and @device function, for
// nvptx64-nvidia-cuda. Null when the program has no kernels. Code generation (codegen/nvptx.cpp)
// links libdevice and writes PTX. `sm` is the architecture (80 for sm_80): operations that an
// older one lacks (redux.sync) are lowered another way there.
auto LowerDevice(const sema::CheckedModule& module, const SourceManager& sources, llvm::LLVMContext& ctx,
                 int sm = 80) -> std::unique_ptr<llvm::Module>;

// The symbols that `extern { … }` blocks (no library) look up in the running program. A built
// executable exports them, so that the runtime's own functions (`import "ffi"`) are found too.
auto ProcessSymbols(const sema::CheckedModule& module) -> std::vector<std::string>;

}  // namespace fusion::lower
