// The `fusion` command line: parses options, runs the phases, and reports.
#include "driver/driver.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/diag.h"
#include "codegen/codegen.h"
#include "cuda/nvrtc.h"
#include "driver/load.h"
#include "driver/run_store.h"
#include "fuse/fuse.h"
#include "lex/lex.h"
#include "parse/parse.h"
#include "fusion/rt_cache.h"
#include "jit/jit.h"
#include "lower/lower.h"
#include "parse/ast.h"
#include "sema/check.h"

namespace fusion::driver {

namespace {

constexpr const char* kUsage = R"(usage: fusion <command> [options] FILE.fu [ARGS...]

commands:
  run FILE.fu [ARGS...]     compile with the JIT and run; exit with the program's code
                            (options go before FILE.fu: what follows it is the program's)
  build FILE.fu [-o OUT]    build a native executable (the runtime is linked in statically)
  check FILE.fu             report diagnostics only
  emit --llvm|--asm|--obj|--ast|--checked|--ptx FILE.fu [-o OUT]
                            write LLVM IR, assembly, an object file, the syntax tree,
                            the syntax tree with the checker's types, or the PTX of
                            the program's kernels
  bindgen HEADER... -o OUT.fu [options]
                            turn C headers into Fusion declarations
                            (`fusion bindgen --help` for its options)
  wrap SPEC [-o DIR]        make a C++ library callable: a C shim, its Fusion API and a
                            report, from a spec (docs/cxx.md; `fusion wrap --help`)
  cache info|clear          show or empty the compiled-kernel cache (docs/cache.md)

options:
  -O0 -O1 -O2 -O3           optimization level (default -O2)
  -g                        full debug info: locals and their types for gdb's `print`
                            (line tables, for backtraces and breakpoints, are always on)
  -I DIR                    add DIR to the import search path
  -L DIR                    search DIR for the libraries of `extern` blocks (before the
                            system's); a built executable keeps searching it
  -o OUT                    output file
  --gpu-arch sm_XX[,sm_YY]  the GPU architecture kernels are compiled for (default sm_80); with
                            several, PTX for the first and a cubin for each (ptxas)
  --cpu native|x86-64|x86-64-v2|x86-64-v3|x86-64-v4|NAME
                            the CPU that `build` and `emit` compile host code for (default
                            x86-64: any x86-64 machine; native: this machine's CPU; or an
                            LLVM CPU name such as skylake or znver4); `run` always uses
                            this machine's CPU
  --device cpu|cuda|auto|check
                            where `fusion run` runs kernels (default auto: a CUDA GPU
                            when there is one, else the CPU); check runs every launch
                            twice (GPU and CPU, or the CPU's two ways) and compares the
                            results; sets FUSION_DEVICE
  --check-kernels           check every load and store through a pointer in kernels
                            against gpu.alloc's blocks (CPU device)
  --explain-fusion          print, for each `@fuse` function, the groups of tensor operations
                            that become one kernel each, and why each boundary is there
                            (to stderr; docs/fusion.md)
  --help                    show this help
  --version                 show the version

exit codes: 1 for compile errors (a source that cannot be read is one), 2 for usage
errors (a command line that is wrong whatever the files), 101 when the program panics
or crashes, otherwise the program's own.

environment:
  FUSION_BACKTRACE=0        a panic prints no backtrace of Fusion functions
  FUSION_PERF_MAP=1         `fusion run` writes /tmp/perf-PID.map, perf's map of JIT code
                            (with FUSION_CACHE=off: a cached run is a plain executable)
  FUSION_CACHE=off|DIR      the caches (default $XDG_CACHE_HOME/fusion or ~/.cache/fusion):
                            compiled kernels (FUSION_CACHE_MAX=BYTES caps them, 1 GiB), and
                            under run/ each `fusion run` program's executable, run again
                            without compiling while no file it read has changed; off: always
                            compile (and `fusion run` by the JIT)
  FUSION_CACHE_LOG=1        say on stderr whether a cache was hit, and why not
)";

enum class Command { Run, Build, Check, Emit };
enum class EmitKind { None, Llvm, Asm, Obj, Ast, Checked, Ptx };

struct Options {
  Command command = Command::Run;
  EmitKind emit = EmitKind::None;
  codegen::OptLevel opt = codegen::OptLevel::O2;
  std::string input;
  std::string output;
  std::vector<std::string> include_dirs;
  std::vector<std::string> library_dirs;
  std::vector<std::string> program_args;
  std::string gpu_arch = "sm_80";
  std::vector<std::string> cubin_archs;  // --gpu-arch with several: a cubin for each (ptxas)
  std::string device;  // --device: "" leaves FUSION_DEVICE as it is
  std::string cpu;     // --cpu: "" is generic x86-64 (build, emit); run uses the host's
  bool check_kernels = false;
  bool explain_fusion = false;
  bool debug_full = false;  // -g
};

auto UsageError(const std::string& message) -> int {
  std::fprintf(stderr, "fusion: error: %s\n(run `fusion --help` for usage)\n", message.c_str());
  return 2;
}

// Parses argv into `opts`; returns -1 to go on, or an exit code.
auto ParseArgs(int argc, char** argv, Options& opts) -> int {
  if (argc < 2) {
    std::fprintf(stderr, "fusion: error: no command given\n%s", kUsage);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("fusion %s (LLVM %s)\n", FUSION_VERSION, LLVM_VERSION_STRING);
    return 0;
  }
  if (cmd == "run") opts.command = Command::Run;
  else if (cmd == "build") opts.command = Command::Build;
  else if (cmd == "check") opts.command = Command::Check;
  else if (cmd == "emit") opts.command = Command::Emit;
  else return UsageError("unknown command `" + cmd + "`");
  std::string emit_flag;  // the emit kind given, to refuse a second one
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    if (!opts.input.empty() && opts.command == Command::Run) {
      opts.program_args.push_back(a);  // everything after the file belongs to the program
      continue;
    }
    if (a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.size() == 3 && a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3') {
      opts.opt = static_cast<codegen::OptLevel>(a[2] - '0');
    } else if (a == "-g") {
      opts.debug_full = true;
    } else if (a == "--check-kernels") {
      opts.check_kernels = true;
    } else if (a == "--explain-fusion") {
      opts.explain_fusion = true;
    } else if (a == "--gpu-arch" || a == "--device") {
      if (i + 1 >= argc) return UsageError("`" + a + "` needs an argument");
      std::string value = argv[++i];
      if (a == "--gpu-arch") {
        // One architecture, or a list (sm_80,sm_90): PTX for the first, and a cubin for each.
        std::vector<std::string> archs;
        for (size_t at = 0; at <= value.size();) {
          size_t comma = value.find(',', at);
          if (comma == std::string::npos) comma = value.size();
          archs.push_back(value.substr(at, comma - at));
          at = comma + 1;
        }
        for (const std::string& arch : archs) {
          if (codegen::IsRetiredGpuArch(arch))
            return UsageError("GPU architecture `" + arch + "` is not supported: kernels need sm_75 or later, " +
                              "as CUDA 13 does (its ptxas and driver dropped Maxwell, Pascal and Volta)");
          if (!codegen::IsGpuArch(arch))
            return UsageError("unknown GPU architecture `" + arch + "` (sm_75 to sm_90a, e.g. sm_80 or sm_80,sm_90)");
        }
        opts.gpu_arch = archs[0];
        opts.cubin_archs.clear();
        if (archs.size() > 1) opts.cubin_archs = archs;
      } else {
        if (value != "cpu" && value != "cuda" && value != "auto" && value != "check")
          return UsageError("unknown device `" + value + "` (cpu, cuda, auto or check)");
        opts.device = value;
      }
    } else if (a == "--cpu") {
      if (i + 1 >= argc) return UsageError("`--cpu` needs an argument");
      opts.cpu = argv[++i];
      if (opts.command == Command::Run)
        return UsageError("`--cpu` is an option of `fusion build` and `fusion emit`: `fusion run` compiles for this machine's CPU");
      if (!codegen::IsCpuName(opts.cpu))
        return UsageError("unknown CPU `" + opts.cpu + "` (native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, or an LLVM CPU name such as skylake or znver4)");
    } else if (a == "-o" || a == "-I" || a == "-L") {
      if (i + 1 >= argc) return UsageError("`" + a + "` needs an argument");
      std::string value = argv[++i];
      if (a == "-o") opts.output = value;
      else (a == "-I" ? opts.include_dirs : opts.library_dirs).push_back(value);
    } else if ((a.rfind("-I", 0) == 0 || a.rfind("-L", 0) == 0) && a.size() > 2) {
      (a[1] == 'I' ? opts.include_dirs : opts.library_dirs).push_back(a.substr(2));
    } else if (a == "--llvm" || a == "--asm" || a == "--obj" || a == "--ast" || a == "--checked" || a == "--ptx") {
      if (opts.command != Command::Emit) return UsageError("`" + a + "` is an option of `fusion emit`");
      if (opts.emit != EmitKind::None && !emit_flag.empty() && emit_flag != a)
        return UsageError("`fusion emit` writes one kind at a time (`" + emit_flag + "` and `" + a + "`)");
      emit_flag = a;
      opts.emit = a == "--llvm" ? EmitKind::Llvm : a == "--asm" ? EmitKind::Asm : a == "--obj" ? EmitKind::Obj
                : a == "--ast" ? EmitKind::Ast : a == "--ptx" ? EmitKind::Ptx : EmitKind::Checked;
    } else if (a.size() > 1 && a[0] == '-') {
      return UsageError("unknown option `" + a + "`");
    } else if (opts.input.empty()) {
      opts.input = a;
    } else {
      return UsageError("more than one input file (`" + opts.input + "` and `" + a + "`)");
    }
  }
  if (opts.input.empty()) return UsageError("no input file");
  if (opts.command == Command::Emit && opts.emit == EmitKind::None)
    return UsageError("`fusion emit` needs one of --llvm, --asm, --obj, --ast, --checked, --ptx");
  return -1;
}

// The file the command writes: `-o`, else for `build` the input's name without `.fu` in the
// current directory (NAME.out when the input has no `.fu`, so that it is never the input itself),
// for `emit --obj` NAME.o; empty for standard output.
auto OutputPath(const Options& opts) -> std::string {
  if (!opts.output.empty()) return opts.output == "-" ? "" : opts.output;
  std::filesystem::path in(opts.input);
  if (opts.command == Command::Build) return in.stem().string() + (in.extension() == ".fu" ? "" : ".out");
  if (opts.command == Command::Emit && opts.emit == EmitKind::Obj) return in.stem().string() + ".o";
  return "";
}

// Refuses an output that is one of the program's sources (never write over an input) or a
// directory (`build sub.fu` beside a folder `sub`).
auto CheckOutput(const std::string& out, const SourceManager& sources) -> bool {
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec)) {
    std::fprintf(stderr, "fusion: error: the output `%s` is a directory; name the output file with `-o`\n",
                 out.c_str());
    return false;
  }
  for (size_t i = 1; i < sources.size(); i++) {
    if (std::filesystem::equivalent(out, sources.file(static_cast<uint32_t>(i)).path(), ec)) {
      std::fprintf(stderr, "fusion: error: the output `%s` is the source file `%s`; name another with `-o`\n",
                   out.c_str(), sources.file(static_cast<uint32_t>(i)).path().c_str());
      return false;
    }
  }
  return true;
}

auto WriteText(const std::string& path, const std::string& text) -> bool {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return true;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec);
  if (ec) {
    std::fprintf(stderr, "fusion: error: cannot write `%s`: %s\n", path.c_str(), ec.message().c_str());
    return false;
  }
  out << text;
  return true;
}

// `@target_features("…")` names LLVM's x86 features only (the checker, without LLVM, checks the shape).
void CheckTargetFeatures(const sema::CheckedModule& checked, diag::Consumer& diags) {
  for (const ast::FnDecl* fn : checked.fns) {
    const std::string& list = fn->target_features;
    for (size_t at = 0; at < list.size();) {
      size_t comma = list.find(',', at);
      if (comma == std::string::npos) comma = list.size();
      std::string name = list.substr(at + 1, comma - at - 1);  // after the `+` or `-`
      if (!codegen::IsTargetFeature(name)) diags.Report(diag::Kind::UnknownTargetFeature, fn->target_features_range, {name});
      at = comma + 1;
    }
  }
}

// For `emit --checked`: each expression's type, each declaration's type.
auto AnnotateType(const ast::Node* n) -> std::string {
  const sema::Type* t = nullptr;
  if (n->kind <= ast::NodeKind::TypeQuery) t = static_cast<const ast::Expr*>(n)->type;
  if (auto* l = ast::As<ast::Let>(n)) t = l->type;
  if (auto* p = ast::As<ast::Param>(n)) t = p->type;
  if (auto* f = ast::As<ast::For>(n)) t = f->type;
  if (auto* c = ast::As<ast::ConstDecl>(n)) t = c->type;
  return t ? " : " + sema::ToString(t) : "";
}

// Ends a compilation that had errors as clang does: "N errors generated." Returns 1.
auto ErrorsGenerated(const diag::Consumer& diags) -> int {
  int n = diags.error_count();
  std::fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
  return 1;
}

auto ExePath(const char* argv0) -> std::string {
  static int anchor;
  return llvm::sys::fs::getMainExecutable(argv0, &anchor);
}

auto RuntimeLibrary(const std::string& exe) -> std::string {
  return (std::filesystem::path(exe).parent_path() / ".." / "lib" / "libfusion_rt.a").lexically_normal().string();
}

// `fusion run`: stores the program in the run cache (in the background) when it can be keyed
// (launcher::ParseRunArgs), the cache is on, and nothing would differ on a hit: no diagnostics
// (a hit would not print the warnings) and no CUDA C (NVRTC reads headers the manifest cannot list).
void MaybeStoreRun(int argc, char** argv, const std::string& exe, const sema::CheckedModule& checked,
                   const SourceManager& sources, const diag::Consumer& diags, const std::vector<std::string>& absent,
                   const llvm::Module& module, llvm::TargetMachine& tm) {
  launcher::RunRequest req;
  if (!launcher::ParseRunArgs(argc, argv, req)) return;
  RunStoreInput in;
  in.entry_dir = launcher::EntryDir(req, exe);
  if (in.entry_dir.empty()) return;
  if (!diags.diagnostics().empty() || !checked.cuda_kernels.empty()) {
    launcher::Log("not stored: the program has diagnostics or CUDA C kernels");
    return;
  }
  for (size_t i = 1; i < sources.size(); i++) {
    const SourceFile& f = sources.file(static_cast<uint32_t>(i));
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(f.path(), ec);
    in.manifest.files.push_back({ec ? f.path() : abs.lexically_normal().string(), launcher::HashBytes(std::string(f.text()))});
  }
  // Kernels' math links CUDA's libdevice: the first candidate that exists, which must not change
  // or be hidden by one appearing before it.
  for (const std::string& path : checked.has_kernels ? codegen::LibdeviceCandidates() : std::vector<std::string>{}) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      in.manifest.absent.push_back(path);
      continue;
    }
    std::ifstream file(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    in.manifest.files.push_back({path, launcher::HashBytes(bytes)});
    break;
  }
  for (const std::string& a : absent) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(a, ec);
    in.manifest.absent.push_back(ec ? a : abs.lexically_normal().string());
  }
  in.runtime = RuntimeLibrary(exe);
  in.exported = lower::ProcessSymbols(checked);
  StoreRunInBackground(in, module, tm);
}

}  // namespace

// `fusion bindgen …` and `fusion wrap …` run fusion-bindgen and fusion-wrap from beside this
// executable, so that only those commands load libclang.
auto RunTool(const char* tool, int argc, char** argv) -> int {
  std::string path = (llvm::sys::path::parent_path(ExePath(argv[0])) + "/" + tool).str();
  std::vector<char*> args = {path.data()};
  for (int i = 2; i < argc; i++) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::fprintf(stderr, "fusion: error: cannot run `%s`: %s\n", path.c_str(), std::strerror(errno));
  return 1;
}

auto Main(int argc, char** argv) -> int {
  if (argc >= 2 && std::string(argv[1]) == "bindgen") return RunTool("fusion-bindgen", argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "wrap") return RunTool("fusion-wrap", argc, argv);
  if (argc >= 2 && std::string(argv[1]) == "cache") return rt_cache_command(argc - 2, argv + 2);
  Options opts;
  if (int rc = ParseArgs(argc, argv, opts); rc >= 0) return rc;
  std::string exe = ExePath(argv[0]);

  SourceManager sources;
  diag::Consumer diags(sources);
  LoadOptions load;
  load.include_dirs = opts.include_dirs;
  load.library_dirs = DefaultLibraryDirs(exe);
  std::vector<std::string> absent;  // import candidates that were not there, for the run cache
  load.absent = &absent;
  std::vector<std::unique_ptr<ast::Tree>> trees = Load(opts.input, load, sources, diags);
  std::string output = OutputPath(opts);
  if (!output.empty() && !CheckOutput(output, sources)) return 1;
  if (opts.command == Command::Emit && opts.emit == EmitKind::Ast) {
    std::string text;
    for (auto& t : trees) text += ast::Dump(*t);
    if (!WriteText(opts.output, text)) return 1;
    if (trees.empty()) return 1;  // the main file could not be read
    return diags.error_count() > 0 ? ErrorsGenerated(diags) : 0;
  }
  if (trees.empty()) return 1;
  // A file that could not be loaded would make every name it declares look undeclared.
  bool all_loaded = true;
  for (const diag::Diagnostic& d : diags.diagnostics())
    if (d.kind == diag::Kind::ImportNotFound || d.kind == diag::Kind::CannotReadFile) all_loaded = false;
  std::vector<ast::Tree*> raw;
  for (auto& t : trees) raw.push_back(t.get());
  sema::CheckedModule checked;
  // The fusion pass plans the checked program's tensor operations and writes their kernels as
  // Fusion source, which is checked with the program (compiler/fuse/).
  std::unique_ptr<fuse::Plan> plan;
  std::unique_ptr<ast::Tree> generated;
  auto generate = [&](sema::CheckedModule& m) -> ast::Tree* {
    plan = fuse::PlanModule(m, sources);
    if (plan->source.empty()) return nullptr;
    uint32_t id = sources.Add("<fused kernels>", plan->source);
    lex::TokenizedBuffer tokens = lex::Lex(sources, id, diags);
    generated = std::make_unique<ast::Tree>(parse::Parse(tokens, diags));
    return generated.get();
  };
  if (all_loaded) checked = sema::Check(raw, diags, generate);
  if (plan && generated) plan->BindKernels(*generated);
  // Builtins that PTX has from sm_80 on (cp.async, tensor-core shapes), under an older --gpu-arch:
  // LLVM's NVPTX back end could not select them.
  if (std::atoi(opts.gpu_arch.c_str() + 3) < 80)
    for (const auto& [range, name] : checked.sm80_uses) diags.Report(diag::Kind::GpuArchTooOld, range, {name, opts.gpu_arch});
  if (opts.explain_fusion && plan) std::fputs(plan->explain.c_str(), stderr);
  // CUDA C kernels: compiled by NVRTC now, so that their errors are the program's.
  std::vector<std::string> cuda_ptx;
  if (diags.error_count() == 0 && !checked.cuda_kernels.empty()) {
    cuda::CudaOptions cuda_opts;
    cuda_opts.gpu_arch = opts.gpu_arch;
    cuda_opts.include_dirs = opts.include_dirs;
    cuda_ptx = cuda::CompileCudaKernels(checked, sources, diags, cuda_opts);
  }
  CheckTargetFeatures(checked, diags);
  if (diags.error_count() > 0) return ErrorsGenerated(diags);
  if (opts.command == Command::Check) return 0;
  if (opts.command == Command::Emit && opts.emit == EmitKind::Checked) {
    std::string text;
    for (auto& t : trees) text += ast::Dump(*t, AnnotateType);
    return WriteText(opts.output, text) ? 0 : 1;
  }

  // Device code first: its PTX is embedded in the host module.
  std::string error;
  lower::LowerOptions lower_opts;
  lower_opts.check_kernels = opts.check_kernels;
  // Programs without tensors lower without a plan: no lookups on every expression and statement.
  lower_opts.tensors = plan && plan->uses_tensors ? plan.get() : nullptr;
  lower_opts.cuda_ptx = std::move(cuda_ptx);
  // Line tables always: a crash prints a backtrace of Fusion functions with file:line.
  lower_opts.debug = opts.debug_full ? lower::DebugInfo::Full : lower::DebugInfo::LineTables;
  lower_opts.optimized = opts.opt != codegen::OptLevel::O0;
  if (checked.has_kernels) {
    llvm::LLVMContext device_ctx;
    // "sm_90a" is 90: the digits after "sm_" (IsGpuArch checked the name).
    int sm = std::atoi(opts.gpu_arch.c_str() + 3);
    std::unique_ptr<llvm::Module> device = lower::LowerDevice(checked, sources, device_ctx, sm);
    if (!codegen::CompileDevice(*device, opts.gpu_arch, opts.opt, lower_opts.ptx, error)) {
      std::fprintf(stderr, "fusion: error: %s\n", error.c_str());
      return 1;
    }
    // A fat executable: a cubin per listed architecture next to the PTX, which the CUDA device
    // prefers (no JIT) when one matches the GPU.
    for (const std::string& arch : opts.cubin_archs) {
      std::string cubin;
      bool missing = false;
      if (!codegen::AssembleCubin(lower_opts.ptx, arch, cubin, missing, error)) {
        if (missing) {
          std::fprintf(stderr, "fusion: warning: %s: the program carries PTX only (for the driver to compile)\n",
                       error.c_str());
          break;
        }
        std::fprintf(stderr, "fusion: error: %s\n", error.c_str());
        return 1;
      }
      lower_opts.cubins.push_back({std::stoi(arch.substr(3)), std::move(cubin)});
    }
  }
  if (opts.command == Command::Emit && opts.emit == EmitKind::Ptx) {
    if (!checked.has_kernels) {
      std::fprintf(stderr, "fusion: error: `%s` has no `@kernel` functions, so there is no PTX to emit\n", opts.input.c_str());
      return 1;
    }
    return WriteText(opts.output, lower_opts.ptx) ? 0 : 1;
  }
  if (!opts.device.empty()) setenv("FUSION_DEVICE", opts.device.c_str(), 1);

  auto ctx = std::make_unique<llvm::LLVMContext>();
  // Absolute, so that a built executable finds the directory from wherever it runs.
  auto absolute = [](const std::string& dir) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(dir, ec);
    return ec ? dir : abs.lexically_normal().string();
  };
  for (const std::string& dir : opts.library_dirs) lower_opts.library_dirs.push_back(absolute(dir));
  // After the user's -L directories, the Fusion library's own (<bin>/../lib/fusion): the shims
  // that the build makes for the shipped C++ bindings (`import "torch"`) are there.
  std::filesystem::path shims = std::filesystem::path(exe).parent_path() / ".." / "lib" / "fusion";
  if (std::error_code ec; std::filesystem::is_directory(shims, ec)) lower_opts.fusion_library_dir = absolute(shims.string());
  std::unique_ptr<llvm::Module> module = lower::Lower(checked, sources, *ctx, lower_opts);
  std::string cpu = opts.command == Command::Run ? "native" : opts.cpu;
  std::unique_ptr<llvm::TargetMachine> tm = codegen::CreateHostTargetMachine(opts.opt, cpu, error);
  if (!tm) {
    std::fprintf(stderr, "fusion: error: %s\n", error.c_str());
    return 1;
  }
  module->setDataLayout(tm->createDataLayout());
  codegen::MergeTargetFeatures(*module, *tm);
  codegen::Optimize(*module, *tm, opts.opt);

  switch (opts.command) {
    case Command::Run: {
      MaybeStoreRun(argc, argv, exe, checked, sources, diags, absent, *module, *tm);
      std::vector<std::string> args = {opts.input};
      args.insert(args.end(), opts.program_args.begin(), opts.program_args.end());
      int rc = jit::Run(std::move(module), std::move(ctx), opts.opt, args, error);
      if (!error.empty()) {
        std::fprintf(stderr, "fusion: error: JIT: %s\n", error.c_str());
        return 1;
      }
      std::fflush(stdout);
      return rc;
    }
    case Command::Emit: {
      if (opts.emit == EmitKind::Llvm) {
        std::string text;
        llvm::raw_string_ostream os(text);
        module->print(os, nullptr);
        return WriteText(opts.output, os.str()) ? 0 : 1;
      }
      std::string out = output.empty() ? "-" : output;
      auto kind = opts.emit == EmitKind::Obj ? codegen::FileKind::Object : codegen::FileKind::Assembly;
      if (!codegen::EmitFile(*module, *tm, kind, out, error)) {
        std::fprintf(stderr, "fusion: error: %s\n", error.c_str());
        return 1;
      }
      return 0;
    }
    case Command::Build: {
      const std::string& out = output;
      llvm::SmallString<128> obj;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile("fusion", "o", obj)) {
        std::fprintf(stderr, "fusion: error: cannot create a temporary file: %s\n", ec.message().c_str());
        return 1;
      }
      std::string obj_path(obj.str());
      bool ok = codegen::EmitFile(*module, *tm, codegen::FileKind::Object, obj_path, error);
      std::string runtime = RuntimeLibrary(exe);
      if (ok && !std::filesystem::exists(runtime)) {
        error = "cannot find the Fusion runtime library at `" + runtime + "`";
        ok = false;
      }
      if (ok) ok = codegen::LinkExecutable(obj_path, runtime, out, lower::ProcessSymbols(checked), error);
      llvm::sys::fs::remove(obj_path);
      if (!ok) {
        std::fprintf(stderr, "fusion: error: %s\n", error.c_str());
        return 1;
      }
      return 0;
    }
    case Command::Check:
      break;
  }
  return 0;
}

}  // namespace fusion::driver
