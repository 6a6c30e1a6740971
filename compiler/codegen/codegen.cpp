// Code generation: LLVM's pass pipeline, the x86-64 target machine, object emission, linking.
#include "codegen/codegen.h"

#include "codegen/block_loop.h"

#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Program.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

namespace fusion::codegen {

namespace {
auto ToCodeGenOpt(OptLevel level) -> llvm::CodeGenOptLevel {
  switch (level) {
    case OptLevel::O0: return llvm::CodeGenOptLevel::None;
    case OptLevel::O1: return llvm::CodeGenOptLevel::Less;
    case OptLevel::O2: return llvm::CodeGenOptLevel::Default;
    case OptLevel::O3: return llvm::CodeGenOptLevel::Aggressive;
  }
  return llvm::CodeGenOptLevel::Default;
}
}  // namespace

namespace {
constexpr const char* kTriple = "x86_64-pc-linux-gnu";

auto HostTarget(std::string& error) -> const llvm::Target* {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();
  return llvm::TargetRegistry::lookupTarget(kTriple, error);
}

// The features of this machine's CPU, in LLVM's `+f,-g` form.
auto HostFeatures() -> std::string {
  std::string features;
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  for (auto& f : host) features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
  // As the JIT (jit.cpp): VCVTNEPS2BF16 flushes subnormal bf16 values to zero.
  features += ",-avx512bf16,-avxneconvert";
  return features;
}
}  // namespace

auto CreateHostTargetMachine(OptLevel level, const std::string& cpu_name, std::string& error)
    -> std::unique_ptr<llvm::TargetMachine> {
  const llvm::Target* target = HostTarget(error);
  if (!target) return nullptr;
  std::string cpu = cpu_name.empty() ? "x86-64" : cpu_name, features;
  if (cpu_name == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    features = HostFeatures();
  } else if (!cpu_name.empty()) {
    // A named CPU brings its own features; the bf16 conversions that flush subnormals stay off
    // there too, so that a bf16 is the same bits everywhere (docs/language.md).
    features = "-avx512bf16,-avxneconvert";
  }
  llvm::TargetOptions options;
  // Inter-procedural register allocation: a caller keeps values in the registers its callees in
  // the module are known not to touch (a loop calling a small `@noinline` function keeps its
  // accumulator in a register across the call, as gcc's IPA-RA does).
  options.EnableIPRA = level != OptLevel::O0;
  auto* tm = target->createTargetMachine(kTriple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
                                         ToCodeGenOpt(level));
  if (!tm) error = std::string("cannot create a target machine for ") + kTriple;
  return std::unique_ptr<llvm::TargetMachine>(tm);
}

auto IsCpuName(const std::string& name) -> bool {
  if (name == "native") return true;
  std::string error;
  const llvm::Target* target = HostTarget(error);
  if (!target || name.empty()) return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(kTriple, "x86-64", ""));
  return sti && sti->isCPUStringValid(name);
}

auto IsTargetFeature(const std::string& name) -> bool {
  std::string error;
  const llvm::Target* target = HostTarget(error);
  if (!target) return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(kTriple, "x86-64", ""));
  for (const llvm::SubtargetFeatureKV& f : sti->getAllProcessorFeatures())
    if (name == f.Key) return true;
  return false;
}

void MergeTargetFeatures(llvm::Module& module, const llvm::TargetMachine& tm) {
  std::string base = tm.getTargetFeatureString().str();
  for (llvm::Function& f : module) {
    llvm::Attribute a = f.getFnAttribute("target-features");
    if (!a.isValid() || base.empty()) continue;
    f.addFnAttr("target-features", base + "," + a.getValueAsString().str());
  }
}

void Optimize(llvm::Module& module, llvm::TargetMachine& tm, OptLevel level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // As clang does at -O2 and -O3: both vectorizers on (LLVM's defaults leave SLP off).
  llvm::PipelineTuningOptions tuning;
  bool vectorize = level == OptLevel::O2 || level == OptLevel::O3;
  tuning.LoopVectorization = vectorize;
  tuning.SLPVectorization = vectorize;
  tuning.LoopInterleaving = vectorize;
  tuning.LoopUnrolling = level != OptLevel::O0;
  llvm::PassBuilder pb(&tm, tuning);
  if (vectorize) AddBlockLoopPasses(pb);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel ol = level == OptLevel::O0   ? llvm::OptimizationLevel::O0
                               : level == OptLevel::O1 ? llvm::OptimizationLevel::O1
                               : level == OptLevel::O2 ? llvm::OptimizationLevel::O2
                                                       : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm =
      level == OptLevel::O0 ? pb.buildO0DefaultPipeline(ol) : pb.buildPerModuleDefaultPipeline(ol);
  mpm.run(module, mam);
}

auto EmitFile(llvm::Module& module, llvm::TargetMachine& tm, FileKind kind, const std::string& path,
              std::string& error) -> bool {
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write `" + path + "`: " + ec.message();
    return false;
  }
  module.setDataLayout(tm.createDataLayout());
  llvm::legacy::PassManager pm;
  auto ft = kind == FileKind::Object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile;
  // An object file is written with seeks, which a pipe (`-o -`) cannot take: build it in memory.
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream memory(buffer);
  bool seekable = out.supportsSeeking();
  if (tm.addPassesToEmitFile(pm, seekable ? static_cast<llvm::raw_pwrite_stream&>(out) : memory, nullptr, ft)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  if (!seekable) out.write(buffer.data(), buffer.size());
  out.flush();
  if (out.has_error()) {
    error = "cannot write `" + path + "`: " + out.error().message();
    out.clear_error();
    return false;
  }
  return true;
}

auto LinkExecutable(const std::string& object, const std::string& runtime_lib, const std::string& output,
                    const std::vector<std::string>& exported, std::string& error) -> bool {
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc) {
    error = "cannot find the C compiler driver `cc` to link with";
    return false;
  }
  std::vector<std::string> flags;
  for (const std::string& sym : exported) {
    // `-u` pulls the symbol's definition out of the runtime archive if it is there (the program
    // libraries define the rest); exporting it lets the program's dlsym find it.
    flags.push_back("-Wl,-u," + sym);
    flags.push_back("-Wl,--export-dynamic-symbol=" + sym);
  }
  // The `-u` flags come before the archive, so that scanning it pulls those members in.
  std::vector<llvm::StringRef> args = {*cc};
  for (const std::string& f : flags) args.push_back(f);
  for (const std::string* a : {&object, &runtime_lib}) args.push_back(*a);
  args.push_back("-o");
  args.push_back(output);
  // libm always, so that `extern { fn cos(…) }` finds it as `fusion run` (which has it) does.
  for (const char* lib : {"-Wl,--no-as-needed", "-lm", "-Wl,--as-needed", "-lffi", "-ldl", "-lpthread"})
    args.push_back(lib);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking failed (`cc` exited with " + std::to_string(rc) + ")" + (message.empty() ? "" : ": " + message);
    return false;
  }
  return true;
}

}  // namespace fusion::codegen
