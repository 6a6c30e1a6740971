// DWARF for the host module: subprograms, a location on every instruction, and with `-g` the
// locals and their types. The device module (device_) never gets any.
#include <unistd.h>

#include <llvm/BinaryFormat/Dwarf.h>
#include <llvm/IR/DebugInfoMetadata.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

// DWARF 4: the runtime's own reader of built executables (runtime/src/core/backtrace.c) reads
// version 4 only, which is all it needs to be small.
constexpr unsigned kDwarfVersion = 4;

void Lowerer::BeginDebugInfo() {
  if (device_ || options_.debug == DebugInfo::None) return;
  di_ = std::make_unique<llvm::DIBuilder>(*mod_);
  mod_->addModuleFlag(llvm::Module::Warning, "Dwarf Version", kDwarfVersion);
  mod_->addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
  uint32_t main_file = m_.trees.empty() ? 0 : m_.trees.front()->file;
  auto kind = options_.debug == DebugInfo::Full ? llvm::DICompileUnit::FullDebug
                                                : llvm::DICompileUnit::LineTablesOnly;
  // C's language code: what gdb knows how to print; "fusion" as the producer tells Fusion's
  // compile units from C's to the backtrace readers.
  // DebugInfoForProfiling: LLVM leaves out the subprogram of a function with nothing inlined
  // into it from line tables alone; backtraces name functions by their subprograms.
  di_cu_ = di_->createCompileUnit(llvm::dwarf::DW_LANG_C99, DebugFile(main_file), "fusion", options_.optimized, "", 0,
                                  "", kind, 0, true, /*DebugInfoForProfiling=*/true);
}

void Lowerer::FinishDebugInfo() {
  if (di_) di_->finalize();
}

auto Lowerer::DebugFile(uint32_t file) -> llvm::DIFile* {
  llvm::DIFile*& f = di_files_[file];
  if (f) return f;
  char cwd[4096];
  std::string dir = getcwd(cwd, sizeof cwd) ? cwd : ".";
  // The path as given on the command line or found by `import`, as panics print it.
  std::string path = file ? sources_.file(file).path() : "<none>";
  return f = di_->createFile(path, dir);
}

void Lowerer::BeginDebugFunction(llvm::Function* f, const std::string& name, SourceRange where, bool artificial,
                                 const ast::FnDecl* fn) {
  if (!di_) return;
  llvm::DIFile* file = DebugFile(where.begin.file);
  unsigned line = artificial || !where.begin.valid() ? 0 : sources_.LineColOf(where.begin).line;
  std::vector<llvm::Metadata*> sig;
  if (fn && options_.debug == DebugInfo::Full) {
    sig.push_back(DebugType(fn->ret_type));
    for (const ast::Param* p : fn->params) sig.push_back(DebugType(p->type));
  } else {
    sig.push_back(nullptr);
  }
  auto* type = di_->createSubroutineType(di_->getOrCreateTypeArray(sig));
  auto sp_flags = llvm::DISubprogram::SPFlagDefinition;
  if (f->hasLocalLinkage()) sp_flags |= llvm::DISubprogram::SPFlagLocalToUnit;
  if (options_.optimized) sp_flags |= llvm::DISubprogram::SPFlagOptimized;
  auto flags = artificial ? llvm::DINode::FlagArtificial : llvm::DINode::FlagPrototyped;
  llvm::DISubprogram* sp = di_->createFunction(file, name, f->getName(), file, line, type, line, flags, sp_flags);
  f->setSubprogram(sp);
  b_.SetCurrentDebugLocation(llvm::DILocation::get(ctx_, line, 0, sp));
}

void Lowerer::SetDebugLoc(SourceRange r) {
  if (!di_ || !fn_ || !r.begin.valid()) return;
  llvm::DISubprogram* sp = fn_->getSubprogram();
  if (!sp) return;
  LineCol lc = sources_.LineColOf(r.begin);
  b_.SetCurrentDebugLocation(llvm::DILocation::get(ctx_, lc.line, lc.col, sp));
}

void Lowerer::SetDebugLocOfRtLoc(llvm::Value* loc) {
  auto it = loc_places_.find(loc);
  if (it != loc_places_.end()) SetDebugLoc({it->second, it->second.offset});
}

auto Lowerer::DebugType(const Type* t) -> llvm::DIType* {
  if (!t || t->kind == TypeKind::Void) return nullptr;
  auto it = di_types_.find(t);
  if (it != di_types_.end()) return it->second;
  namespace dw = llvm::dwarf;
  llvm::DIType* d = nullptr;
  switch (t->kind) {
    case TypeKind::Bool: d = di_->createBasicType("bool", 8, dw::DW_ATE_boolean); break;
    case TypeKind::Int:
      d = di_->createBasicType(t->name, t->bits, t->is_signed ? dw::DW_ATE_signed : dw::DW_ATE_unsigned);
      break;
    case TypeKind::Float: d = di_->createBasicType(t->name, t->bits, dw::DW_ATE_float); break;
    case TypeKind::Enum:
      d = di_->createTypedef(DebugType(t->backing), t->name, DebugFile(0), 0, di_cu_);
      break;
    case TypeKind::CString:
      d = di_->createPointerType(di_->createBasicType("char", 8, dw::DW_ATE_signed_char), 64, 0, std::nullopt,
                                 "cstring");
      break;
    case TypeKind::Pointer: d = di_->createPointerType(DebugType(t->elem), 64); break;
    case TypeKind::Null:
    case TypeKind::FnPtr: d = di_->createPointerType(nullptr, 64); break;
    case TypeKind::Handle: d = di_->createPointerType(nullptr, 64, 0, std::nullopt, t->name); break;
    case TypeKind::String:
    case TypeKind::File:
    case TypeKind::Tensor: d = di_->createPointerType(nullptr, 64, 0, std::nullopt, sema::ToString(t)); break;
    case TypeKind::Opaque:
      if (t->is_handle) {  // a handle: a pointer to the runtime's box
        d = di_->createPointerType(nullptr, 64, 0, std::nullopt, t->name);
        break;
      }
      d = di_->createForwardDecl(dw::DW_TAG_structure_type, t->name, di_cu_, DebugFile(0), 0);
      break;
    case TypeKind::Array: {
      llvm::DIType* elem = DebugType(t->elem);
      d = di_->createArrayType(t->size * 8, t->align * 8, elem,
                               di_->getOrCreateArray({di_->getOrCreateSubrange(0, static_cast<int64_t>(t->count))}));
      break;
    }
    case TypeKind::Struct: {
      // Cached before its members, which may point back at it.
      llvm::DIFile* file = DebugFile(0);
      llvm::DICompositeType* st =
          t->is_union ? di_->createUnionType(di_cu_, t->name, file, 0, t->size * 8, t->align * 8, llvm::DINode::FlagZero, {})
                      : di_->createStructType(di_cu_, t->name, file, 0, t->size * 8, t->align * 8, llvm::DINode::FlagZero,
                                              nullptr, {});
      di_types_[t] = st;
      std::vector<llvm::Metadata*> members;
      for (const sema::StructField& f : t->fields)
        members.push_back(di_->createMemberType(st, f.name, file, 0, f.type->size * 8, f.type->align * 8, f.offset * 8,
                                                llvm::DINode::FlagZero, DebugType(f.type)));
      di_->replaceArrays(st, di_->getOrCreateArray(members));
      return di_types_[t] = st;
    }
    default:
      return nullptr;
  }
  return di_types_[t] = d;
}

void Lowerer::DeclareLocal(llvm::Value* storage, const std::string& name, const Type* t, SourceRange where,
                           unsigned arg_no) {
  if (!di_ || options_.debug != DebugInfo::Full || !fn_ || !fn_->getSubprogram() || !where.begin.valid()) return;
  llvm::DISubprogram* sp = fn_->getSubprogram();
  LineCol lc = sources_.LineColOf(where.begin);
  llvm::DIType* type = DebugType(t);
  if (!type) return;
  llvm::DILocalVariable* var =
      arg_no ? di_->createParameterVariable(sp, name, arg_no, sp->getFile(), lc.line, type, true)
             : di_->createAutoVariable(sp, name, sp->getFile(), lc.line, type, true);
  di_->insertDeclare(storage, var, di_->createExpression(), llvm::DILocation::get(ctx_, lc.line, lc.col, sp),
                     b_.GetInsertBlock());
}

}  // namespace fusion::lower
