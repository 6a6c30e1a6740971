// The JIT: ORC LLJIT with the runtime's symbols registered from rt_functions.def and the
// process's own symbols (libc, libm) visible to programs. Objects are linked by RuntimeDyld,
// whose event listeners give the loaded code's DWARF to gdb (GDB's JIT interface), to the
// runtime's crash backtraces (a symbolizer over llvm::DWARFContext) and to perf (a map file).
#include "jit/jit.h"

#include <unistd.h>

#include <llvm/DebugInfo/DWARF/DWARFCompileUnit.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/ExecutionEngine/JITEventListener.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/ExecutionEngine/SectionMemoryManager.h>
#include <llvm/Object/SymbolSize.h>
#include <llvm/Support/TargetSelect.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fusion/rt_core.h"

namespace fusion::jit {

namespace {

// Keeps each loaded object's debug view (its sections at their load addresses) and its DWARF,
// for the runtime's backtraces; writes perf's map of JIT code when FUSION_PERF_MAP=1.
class DebugListener : public llvm::JITEventListener {
 public:
  void notifyObjectLoaded(ObjectKey, const llvm::object::ObjectFile& obj,
                          const llvm::RuntimeDyld::LoadedObjectInfo& info) override {
    auto loaded = std::make_unique<Loaded>();
    loaded->object = info.getObjectForDebug(obj);
    const llvm::object::ObjectFile* debug = loaded->object.getBinary();
    if (!debug) return;
    for (const llvm::object::SectionRef& s : debug->sections())
      if (s.isText() && s.getSize() > 0) loaded->text.push_back({s.getAddress(), s.getAddress() + s.getSize(), s.getIndex()});
    loaded->dwarf = llvm::DWARFContext::create(*debug);
    // Parsed now rather than inside a crash: the units, their DIEs and line tables.
    for (const auto& cu : loaded->dwarf->compile_units()) {
      cu->getNonSkeletonUnitDIE(false);
      loaded->dwarf->getLineTableForUnit(cu.get());
    }
    if (const char* v = std::getenv("FUSION_PERF_MAP"); v && std::strcmp(v, "1") == 0) WritePerfMap(*debug);
    objects_.push_back(std::move(loaded));
  }

  // rt_symbolizer: the Fusion frames at `pc`, innermost first (see rt_core.h).
  static auto Symbolize(uintptr_t pc, rt_frame* frames, int max) -> int {
    if (!instance_) return 0;
    for (const auto& o : instance_->objects_) {
      uint64_t section = llvm::object::SectionedAddress::UndefSection;
      for (const auto& t : o->text)
        if (t.lo <= pc && pc < t.hi) section = t.index;
      if (section == llvm::object::SectionedAddress::UndefSection) continue;
      llvm::DILineInfoSpecifier spec(llvm::DILineInfoSpecifier::FileLineInfoKind::RelativeFilePath,
                                     llvm::DILineInfoSpecifier::FunctionNameKind::ShortName);
      llvm::DIInliningInfo inlined =
          o->dwarf->getInliningInfoForAddress({pc, section}, spec);
      // The same chain of DIEs, to leave out artificial functions (C entries, `main`).
      llvm::DWARFCompileUnit* cu = o->dwarf->getDIEsForAddress(pc).CompileUnit;
      llvm::SmallVector<llvm::DWARFDie, 4> chain;
      if (cu) cu->getInlinedChainForAddress(pc, chain);
      int n = 0;
      for (uint32_t i = 0; i < inlined.getNumberOfFrames() && n < max; i++) {
        const llvm::DILineInfo& f = inlined.getFrame(i);
        if (f.FunctionName == llvm::DILineInfo::BadString) continue;
        frames[n].flags = 0;
        // Generated code: artificial, or at line 0 (line-tables-only DWARF has no DW_AT_artificial).
        if (f.StartLine == 0) frames[n].flags |= RT_FRAME_ARTIFICIAL;
        if (i < chain.size()) {
          if (chain[i].findRecursively(llvm::dwarf::DW_AT_artificial)) frames[n].flags |= RT_FRAME_ARTIFICIAL;
          const char* linkage = chain[i].getLinkageName();
          if (linkage && rt_backtrace_is_kernel_entry(linkage)) frames[n].flags |= RT_FRAME_KERNEL_ENTRY;
        }
        Copy(frames[n].function, sizeof frames[n].function, f.FunctionName);
        Copy(frames[n].file, sizeof frames[n].file, f.FileName == llvm::DILineInfo::BadString ? "?" : f.FileName);
        frames[n].line = static_cast<int>(f.Line);
        frames[n].col = static_cast<int>(f.Column);
        n++;
      }
      return n;
    }
    return 0;
  }

  static DebugListener* instance_;

 private:
  struct Loaded {
    llvm::object::OwningBinary<llvm::object::ObjectFile> object;
    std::unique_ptr<llvm::DWARFContext> dwarf;
    struct Text {
      uint64_t lo, hi, index;  // load addresses; the section's index in the debug object
    };
    std::vector<Text> text;
  };

  static void Copy(char* dst, size_t n, const std::string& src) {
    size_t len = std::min(src.size(), n - 1);
    std::memcpy(dst, src.data(), len);
    dst[len] = 0;
  }

  // perf's map of JIT code (tools/perf/Documentation/jit-interface.txt): "START SIZE NAME" in hex.
  static void WritePerfMap(const llvm::object::ObjectFile& debug) {
    std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return;
    for (const auto& [sym, size] : llvm::object::computeSymbolSizes(debug)) {
      auto type = sym.getType();
      auto name = sym.getName();
      auto addr = sym.getAddress();
      if (!type || !name || !addr || *type != llvm::object::SymbolRef::ST_Function || size == 0) {
        if (!type) llvm::consumeError(type.takeError());
        if (!name) llvm::consumeError(name.takeError());
        if (!addr) llvm::consumeError(addr.takeError());
        continue;
      }
      std::fprintf(f, "%llx %llx %s\n", static_cast<unsigned long long>(*addr), static_cast<unsigned long long>(size),
                   name->str().c_str());
    }
    std::fclose(f);
  }

  std::vector<std::unique_ptr<Loaded>> objects_;
};

DebugListener* DebugListener::instance_ = nullptr;

}  // namespace

auto Run(std::unique_ptr<llvm::Module> module, std::unique_ptr<llvm::LLVMContext> ctx,
         codegen::OptLevel level, const std::vector<std::string>& args, std::string& error) -> int {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = llvm::toString(jtmb.takeError());
    return -1;
  }
  // Without the CPU's bf16 conversions: LLVM 19 narrows f32 to bf16 with VCVTNEPS2BF16 where
  // they exist, which flushes subnormals to zero, so a bf16 would not be the GPU's (and the
  // built executable's). Its fallback is __truncsfbf2 (runtime/src/core/half.c).
  jtmb->addFeatures({"-avx512bf16", "-avxneconvert"});
  jtmb->setCodeGenOptLevel(level == codegen::OptLevel::O0 ? llvm::CodeGenOptLevel::None
                                                           : llvm::CodeGenOptLevel::Default);
  // Lives as long as the process: a crash report may come at any point before exit.
  if (!DebugListener::instance_) DebugListener::instance_ = new DebugListener();
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*jtmb))
                 .setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession& es, const llvm::Triple&) {
                   auto layer = std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                       es, [] { return std::make_unique<llvm::SectionMemoryManager>(); });
                   // Debug sections too: the GDB listener hands the whole object to gdb.
                   layer->setProcessAllSections(true);
                   layer->registerJITEventListener(*llvm::JITEventListener::createGDBRegistrationListener());
                   layer->registerJITEventListener(*DebugListener::instance_);
                   return llvm::Expected<std::unique_ptr<llvm::orc::ObjectLayer>>(std::move(layer));
                 })
                 .create();
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
  // LLVM's bf16 libcalls, which libgcc 12 lacks (runtime/src/core/half.c).
  add("__truncsfbf2", reinterpret_cast<void*>(&__truncsfbf2));
  add("__truncdfbf2", reinterpret_cast<void*>(&__truncdfbf2));
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
  rt_backtrace_set_symbolizer(&DebugListener::Symbolize);
  return main_fn(static_cast<int>(args.size()), argv.data());
}

}  // namespace fusion::jit
