// Device code generation: libdevice, the NVPTX target machine, PTX text.
#include <llvm/IR/Module.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Program.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <cstdlib>
#include <filesystem>

#include "codegen/codegen.h"

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

namespace fusion::codegen {

auto LibdeviceCandidates() -> std::vector<std::string> {
  std::vector<std::string> roots;
  if (const char* home = std::getenv("CUDA_HOME"); home && *home) roots.push_back(home);
  roots.push_back("/usr/local/cuda");
  std::vector<std::string> paths;
  for (const std::string& root : roots) paths.push_back(root + "/nvvm/libdevice/libdevice.10.bc");
  return paths;
}

namespace {
constexpr const char* kTriple = "nvptx64-nvidia-cuda";

// The first of LibdeviceCandidates() that exists; "" when none does.
auto LibdevicePath(std::string& tried) -> std::string {
  for (const std::string& path : LibdeviceCandidates()) {
    tried += (tried.empty() ? "" : ", ") + path;
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

auto LinkLibdevice(llvm::Module& module, std::string& error) -> bool {
  bool needed = false;
  for (llvm::Function& f : module)
    if (f.isDeclaration() && f.getName().starts_with("__nv_")) needed = true;
  if (!needed) return true;
  std::string tried;
  std::string path = LibdevicePath(tried);
  if (path.empty()) {
    error = "device code uses math that comes from CUDA's libdevice, which is not installed (tried " + tried +
            "); install the CUDA toolkit or set CUDA_HOME";
    return false;
  }
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> lib = llvm::parseIRFile(path, diag, module.getContext());
  if (!lib) {
    error = "cannot read libdevice `" + path + "`: " + diag.getMessage().str();
    return false;
  }
  lib->setTargetTriple(module.getTargetTriple());
  lib->setDataLayout(module.getDataLayout());
  if (llvm::Linker::linkModules(module, std::move(lib), llvm::Linker::LinkOnlyNeeded)) {
    error = "cannot link libdevice `" + path + "`";
    return false;
  }
  // Only the kernels are entry points; everything else may be inlined and dropped.
  for (llvm::Function& f : module)
    if (!f.isDeclaration() && f.getCallingConv() != llvm::CallingConv::PTX_Kernel)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  return true;
}
}  // namespace

auto IsGpuArch(const std::string& arch) -> bool {
  static const char* kArchs[] = {"sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a"};
  for (const char* a : kArchs)
    if (arch == a) return true;
  return false;
}

auto AssembleCubin(const std::string& ptx, const std::string& arch, std::string& cubin, bool& missing,
                   std::string& error) -> bool {
  missing = false;
  std::string ptxas;
  const char* home = std::getenv("CUDA_HOME");
  for (std::string dir : {std::string(home && *home ? home : ""), std::string("/usr/local/cuda")}) {
    if (dir.empty()) continue;
    std::string path = dir + "/bin/ptxas";
    if (llvm::sys::fs::can_execute(path)) {
      ptxas = path;
      break;
    }
  }
  if (ptxas.empty()) {
    if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas")) ptxas = *found;
  }
  if (ptxas.empty()) {
    missing = true;
    error = "no ptxas (the CUDA toolkit's) in $CUDA_HOME/bin, /usr/local/cuda/bin or PATH";
    return false;
  }
  llvm::SmallString<128> in, out, err;
  if (llvm::sys::fs::createTemporaryFile("fusion", "ptx", in) || llvm::sys::fs::createTemporaryFile("fusion", "cubin", out) ||
      llvm::sys::fs::createTemporaryFile("fusion", "log", err)) {
    error = "cannot create temporary files for ptxas";
    return false;
  }
  bool ok = false;
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    if (!ec) os << ptx;
  }
  std::string arch_flag = "-arch=" + arch;
  std::vector<llvm::StringRef> args = {ptxas, arch_flag, "-o", out.str(), in.str()};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(err), llvm::StringRef(err)};
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects);
  if (rc == 0) {
    if (auto buf = llvm::MemoryBuffer::getFile(out, /*IsText=*/false)) {
      cubin = (*buf)->getBuffer().str();
      ok = true;
    } else {
      error = "cannot read ptxas's cubin";
    }
  } else {
    std::string log;
    if (auto buf = llvm::MemoryBuffer::getFile(err)) log = (*buf)->getBuffer().str();
    while (!log.empty() && log.back() == '\n') log.pop_back();
    error = "ptxas -arch=" + arch + " failed" + (log.empty() ? "" : ":\n" + log);
  }
  for (const auto& f : {in, out, err}) llvm::sys::fs::remove(f);
  return ok;
}

auto IsRetiredGpuArch(const std::string& arch) -> bool {
  static const char* kArchs[] = {"sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70", "sm_72"};
  for (const char* a : kArchs)
    if (arch == a) return true;
  return false;
}

auto CompileDevice(llvm::Module& module, const std::string& arch, OptLevel level, std::string& ptx,
                   std::string& error) -> bool {
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  LLVMInitializeNVPTXAsmPrinter();
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (!target) return false;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(kTriple, arch, "", options, std::nullopt, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm) {
    error = "cannot create a target machine for " + std::string(kTriple) + " " + arch;
    return false;
  }
  module.setDataLayout(tm->createDataLayout());
  // libdevice reads __nvvm_reflect("__CUDA_FTZ"): no flush-to-zero, as on the CPU.
  module.addModuleFlag(llvm::Module::Override, "nvvm-reflect-ftz", uint32_t{0});
  if (!LinkLibdevice(module, error)) return false;
  // Device code is always optimized: -O0 PTX would keep every local in local memory.
  Optimize(module, *tm, level == OptLevel::O0 ? OptLevel::O1 : level);
  llvm::SmallString<0> text;
  llvm::raw_svector_ostream out(text);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, out, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    error = "the NVPTX target cannot emit PTX";
    return false;
  }
  pm.run(module);
  ptx = text.str().str();
  return true;
}

}  // namespace fusion::codegen
