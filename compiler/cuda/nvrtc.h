// CUDA C kernels: NVRTC, opened with dlopen when a program declares `extern cuda` kernels (no
// build-time CUDA dependency), and what the compiler does with its output.
#pragma once

#include <string>
#include <vector>

#include "base/diag.h"
#include "base/source.h"
#include "sema/check.h"

namespace fusion::cuda {

// One compilation by NVRTC.
struct NvrtcOutput {
  bool ok = false;
  std::string ptx;
  std::string log;                   // NVRTC's, as it wrote it
  std::vector<std::string> lowered;  // per name expression: the PTX entry, or "" when NVRTC had none
};

// NVRTC (fusion/rt_nvrtc.h, the runtime's loader, shared with gpu.compile_cuda): FUSION_NVRTC, else
// libnvrtc.so.13 from $CUDA_HOME/lib64, /usr/local/cuda/lib64 or the library search path. Get is
// null with `error` saying what was tried when it cannot be loaded.
class Nvrtc {
 public:
  static auto Get(std::string& error) -> Nvrtc*;
  // Compiles `source` (named `name` in its messages) with `options`, asking for the PTX entry of
  // each name expression. False with `error` when NVRTC itself failed (not for a compile error,
  // which is out.ok false with the log).
  auto Compile(const std::string& source, const std::string& name, const std::vector<std::string>& options,
               const std::vector<std::string>& name_exprs, NvrtcOutput& out, std::string& error) -> bool;
};

struct CudaOptions {
  std::string gpu_arch = "sm_80";         // the --gpu-arch: NVRTC compiles for compute_XX
  std::vector<std::string> include_dirs;  // -I
};

// Compiles the source of every `extern cuda` block of `module` (files are read relative to the
// declaring file and added to `sources`, so that diagnostics show them), checks each declaration
// against its PTX entry's parameters, and sets each kernel's cuda_module and cuda_entry. Errors
// and NVRTC's warnings go to `diags`. Returns the PTX of each source (index: cuda_module).
auto CompileCudaKernels(sema::CheckedModule& module, SourceManager& sources, diag::Consumer& diags,
                        const CudaOptions& options) -> std::vector<std::string>;

}  // namespace fusion::cuda
