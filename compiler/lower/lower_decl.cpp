// Types, runtime declarations, functions, statics, constants, and the C `main`.
#include <llvm/IR/DataLayout.h>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

auto Lowerer::MemTy(const Type* t) -> llvm::Type* {
  switch (t->kind) {
    case TypeKind::Void: return b_.getVoidTy();
    case TypeKind::Bool: return b_.getInt8Ty();
    case TypeKind::Int: return b_.getIntNTy(t->bits);
    case TypeKind::Enum: return b_.getIntNTy(t->backing->bits);
    case TypeKind::Float:
      if (t->bits == 16) return t->is_bfloat ? b_.getBFloatTy() : b_.getHalfTy();
      return t->bits == 32 ? b_.getFloatTy() : b_.getDoubleTy();
    case TypeKind::Pointer:
    case TypeKind::CString:
    case TypeKind::FnPtr:
    case TypeKind::Handle:
    case TypeKind::Tensor:
    case TypeKind::String:
    case TypeKind::File:
    case TypeKind::Opaque:  // by value only as an `@drop` type's handle
    case TypeKind::Null: return b_.getPtrTy();
    case TypeKind::Array: return llvm::ArrayType::get(MemTy(t->elem), t->count);
    case TypeKind::Vector: return llvm::FixedVectorType::get(MemTy(t->elem), static_cast<unsigned>(t->count));
    case TypeKind::Struct: {
      auto it = structs_.find(t);
      if (it != structs_.end()) return it->second;
      auto* st = llvm::StructType::create(ctx_, t->name);
      structs_[t] = st;
      // Fields are addressed by byte offset (FieldAddress), so the body only has to put each at
      // its offset and end at the size: padding arrays make up for what LLVM's natural layout
      // lacks (a field of an @align struct, an @align struct's tail).
      const llvm::DataLayout& dl = mod_->getDataLayout();
      std::vector<llvm::Type*> fields;
      uint64_t end = 0;
      auto pad_to = [&](uint64_t offset) {
        if (offset > end) fields.push_back(llvm::ArrayType::get(b_.getInt8Ty(), offset - end));
        end = std::max(end, offset);
      };
      if (!t->is_union) {
        for (const sema::StructField& f : t->fields) {
          llvm::Type* ft = MemTy(f.type);
          uint64_t natural = llvm::alignTo(end, dl.getABITypeAlign(ft));
          if (natural != f.offset) pad_to(f.offset);
          fields.push_back(ft);
          end = f.offset + f.type->size;
        }
        uint64_t natural_align = 1;
        for (llvm::Type* ft : fields) natural_align = std::max<uint64_t>(natural_align, dl.getABITypeAlign(ft).value());
        if (llvm::alignTo(end, natural_align) != t->size) pad_to(t->size);
      } else if (!t->fields.empty()) {
        // A union is its most aligned member, padded to the union's size.
        const sema::StructField* widest = &t->fields[0];
        for (const sema::StructField& f : t->fields)
          if (f.type->align > widest->type->align || (f.type->align == widest->type->align && f.type->size > widest->type->size))
            widest = &f;
        fields.push_back(MemTy(widest->type));
        if (t->size > widest->type->size) fields.push_back(llvm::ArrayType::get(b_.getInt8Ty(), t->size - widest->type->size));
      }
      st->setBody(fields);
      FUSION_CHECK(dl.getTypeAllocSize(st) == t->size) << t->name << ": LLVM size differs from the C layout";
      return st;
    }
    default:
      FUSION_UNREACHABLE("no LLVM type for " << sema::ToString(t));
  }
}

auto Lowerer::ValTy(const Type* t) -> llvm::Type* {
  return t->kind == TypeKind::Bool ? b_.getInt1Ty() : MemTy(t);
}

namespace {
// The rt_* typedef names of rt_functions.def, as LLVM types.
enum RtTy { rt_void, rt_i32, rt_u32, rt_i64, rt_u64, rt_f64, rt_f32, rt_bool, rt_ptr, rt_loc };
}  // namespace

void Lowerer::DeclareRuntime() {
  auto llvm_ty = [&](RtTy t) -> llvm::Type* {
    switch (t) {
      case rt_void: return b_.getVoidTy();
      case rt_i32:
      case rt_u32: return b_.getInt32Ty();
      case rt_i64:
      case rt_u64: return b_.getInt64Ty();
      case rt_f64: return b_.getDoubleTy();
      case rt_f32: return b_.getFloatTy();
      case rt_bool: return b_.getInt1Ty();
      case rt_ptr:
      case rt_loc: return b_.getPtrTy();
    }
    return nullptr;
  };
  auto declare = [&](const char* name, RtTy ret, std::initializer_list<RtTy> params, bool noreturn) {
    std::vector<llvm::Type*> ps;
    for (RtTy p : params)
      if (p != rt_void) ps.push_back(llvm_ty(p));
    auto* fty = llvm::FunctionType::get(llvm_ty(ret), ps, false);
    auto* f = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, *mod_);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    size_t i = 0;
    for (RtTy p : params) {
      if (p == rt_void) continue;
      if (p == rt_bool) f->addParamAttr(i, llvm::Attribute::ZExt);
      i++;
    }
    if (noreturn) {
      f->addFnAttr(llvm::Attribute::NoReturn);
      f->addFnAttr(llvm::Attribute::Cold);
      // Each call keeps its own place: two panics merged into one call would leave the
      // backtrace's frame without a line (the panic's own message carries its location anyway).
      f->addFnAttr(llvm::Attribute::NoMerge);
    }
    runtime_[name] = f;
  };
#define RT_FN(name, ret, ...) declare(#name, ret, {__VA_ARGS__}, false);
#define RT_FN_NORETURN(name, ...) declare(#name, rt_void, {__VA_ARGS__}, true);
#include "fusion/rt_functions.def"
}

auto Lowerer::Runtime(const char* name) -> llvm::Function* {
  auto it = runtime_.find(name);
  FUSION_CHECK(it != runtime_.end()) << "runtime function " << name << " is not in rt_functions.def";
  return it->second;
}

// Fusion's own calling convention: scalars by value; structs and arrays through memory, as
// clang passes large C structs: the caller passes a pointer to a copy it owns, and an aggregate
// result is written through a leading `sret` pointer. (Whole aggregate values in registers would
// push LLVM's -O0 instruction selection off its fast path.)
void Lowerer::DeclareFunction(ast::FnDecl* fn) {
  std::vector<llvm::Type*> params;
  bool sret = IsAggregate(fn->ret_type);
  if (sret) params.push_back(b_.getPtrTy());
  for (ast::Param* p : fn->params) params.push_back(IsAggregate(p->type) ? b_.getPtrTy() : ValTy(p->type));
  if (fn->track_caller) params.push_back(b_.getPtrTy());  // the caller's location, last
  if (TakesThread(fn)) {
    params.push_back(b_.getPtrTy());     // the GPU thread (rt_gpu_thread*)
    params.push_back(b_.getInt1Ty());    // and whether it tests alignment (align_checks_), last
  }
  auto* fty = llvm::FunctionType::get(sret ? b_.getVoidTy() : ValTy(fn->ret_type), params, false);
  // Fusion functions are internal to the program, so they never clash with C symbols.
  std::string name = "fusion." + fn->name;
  auto* f = llvm::Function::Create(fty, llvm::Function::InternalLinkage, name, *mod_);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  AddLatencyAttributes(fn, f);
  if (sret) {
    f->addParamAttr(0, llvm::Attribute::getWithStructRetType(ctx_, MemTy(fn->ret_type)));
    f->addParamAttr(0, llvm::Attribute::NoAlias);
    f->getArg(0)->setName("result");
  }
  for (size_t i = 0; i < fn->params.size(); i++) {
    unsigned arg = i + (sret ? 1 : 0);
    f->getArg(arg)->setName(fn->params[i]->name);
    if (IsAggregate(fn->params[i]->type)) {
      f->addParamAttr(arg, llvm::Attribute::NoAlias);  // the caller's private copy
      f->addParamAttr(arg, llvm::Attribute::getWithDereferenceableBytes(ctx_, fn->params[i]->type->size));
    }
  }
  fns_[fn] = f;
}

// @inline, @noinline, @hot, @cold, @target_features (docs/performance.md). The features are the
// function's own; codegen::MergeTargetFeatures puts the target machine's in front of them, since a
// function's "target-features" replaces the target machine's rather than adding to them.
void Lowerer::AddLatencyAttributes(const ast::FnDecl* fn, llvm::Function* f) {
  if (fn->inline_hint == ast::FnDecl::Inline::Always) f->addFnAttr(llvm::Attribute::AlwaysInline);
  if (fn->inline_hint == ast::FnDecl::Inline::Never) f->addFnAttr(llvm::Attribute::NoInline);
  if (fn->is_hot) f->addFnAttr(llvm::Attribute::Hot);
  if (fn->is_cold) f->addFnAttr(llvm::Attribute::Cold);
  if (!fn->target_features.empty() && !device_) f->addFnAttr("target-features", fn->target_features);
}

auto Lowerer::EntryAlloca(llvm::Type* ty, const std::string& name) -> llvm::AllocaInst* {
  llvm::BasicBlock& entry = fn_->getEntryBlock();
  llvm::IRBuilder<> eb(&entry, entry.begin());
  return eb.CreateAlloca(ty, nullptr, name);
}

// A slot for a value of Fusion type `t`, aligned as C aligns it (`@align(N)` records are more
// aligned than their LLVM struct type, and Load/Store/PartAddress rely on t->align).
// On the host a local array of 32 bytes or more is 32-byte aligned, as GCC aligns them for AVX:
// a loop's 32-byte vector loads (`vec<f32, 8>`, or LLVM's own vectorisation) then never straddle
// two cache lines, which cost a dot product over a 16-byte-aligned array 14% (bench/lowlatency).
auto Lowerer::EntryAllocaOf(const Type* t, const std::string& name) -> llvm::AllocaInst* {
  llvm::AllocaInst* a = EntryAlloca(MemTy(t), name);
  uint64_t align = t->align;
  if (!device_ && t->kind == sema::TypeKind::Array && t->size >= 32) align = std::max<uint64_t>(align, 32);
  if (align > a->getAlign().value()) a->setAlignment(llvm::Align(align));
  return a;
}

// Parameters as locals: scalars in a slot of their own, aggregates where `args` points (the
// caller's copy, or a kernel launch's: parameters are immutable).
void Lowerer::BindParams(const ast::FnDecl* fn, const std::vector<llvm::Value*>& args) {
  for (size_t i = 0; i < fn->params.size(); i++) {
    const ast::Param* p = fn->params[i];
    if (IsAggregate(p->type)) {
      locals_[p] = args[i];
      DeclareLocal(args[i], p->name, p->type, p->name_range, i + 1);
      continue;
    }
    llvm::AllocaInst* slot = EntryAlloca(MemTy(p->type), p->name);
    Store(args[i], slot, p->type);
    locals_[p] = slot;
    DeclareLocal(slot, p->name, p->type, p->name_range, i + 1);
  }
}

void Lowerer::DefineFunction(ast::FnDecl* fn) {
  if (!fn->body) return;
  fn_ = fns_[fn];
  ret_type_ = fn->ret_type;
  unsigned hidden = TakesThread(fn) ? 2 : 0;  // the thread and its align_checks_ come last
  caller_loc_ = fn->track_caller ? fn_->getArg(fn_->arg_size() - 1 - hidden) : nullptr;
  thread_ = hidden ? fn_->getArg(fn_->arg_size() - 2) : nullptr;
  align_checks_ = hidden ? fn_->getArg(fn_->arg_size() - 1) : nullptr;
  kernel_ = fn->is_kernel ? fn : nullptr;
  BeginDebugFunction(fn_, fn->name, fn->name_range, false, fn);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn_));
  if (thread_) thread_->setName("thread");
  if (align_checks_) align_checks_->setName("align.checks");
  if (kernel_ && !device_) shared_base_ = b_.CreateLoad(b_.getPtrTy(), b_.CreateStructGEP(ThreadTy(), thread_, 4), "shared");
  unsigned first = IsAggregate(fn->ret_type) ? 1 : 0;
  std::vector<llvm::Value*> args;
  for (size_t i = 0; i < fn->params.size(); i++) args.push_back(fn_->getArg(first + i));
  BindParams(fn, args);
  LowerBlock(fn->body);
  if (!b_.GetInsertBlock()->getTerminator()) {
    if (fn->ret_type->kind == TypeKind::Void)
      b_.CreateRetVoid();
    else
      b_.CreateUnreachable();  // the checker proved every path returns
  }
  ClearDebugLoc();
  fn_ = nullptr;
  caller_loc_ = nullptr;
  thread_ = nullptr;
  align_checks_ = nullptr;
  shared_base_ = nullptr;
  kernel_ = nullptr;
}

void Lowerer::DefineStatic(ast::ConstDecl* c) {
  llvm::Type* ty = MemTy(c->type);
  llvm::Constant* init = llvm::Constant::getNullValue(ty);
  auto it = m_.const_values.find(c);
  if (it != m_.const_values.end()) init = ConstToLLVM(it->second, c->type);
  auto* g = new llvm::GlobalVariable(*mod_, ty, false, llvm::GlobalValue::InternalLinkage, init, "fusion." + c->name);
  g->setAlignment(llvm::Align(c->type->align));
  statics_[c] = g;
}

auto Lowerer::ConstToLLVM(const sema::ConstValue& v, const Type* t) -> llvm::Constant* {
  using K = sema::ConstValue::Kind;
  switch (t->kind) {
    case TypeKind::Int:
    case TypeKind::Enum:
      return llvm::ConstantInt::get(MemTy(t), v.int_bits, false);
    case TypeKind::Bool:
      return llvm::ConstantInt::get(b_.getInt8Ty(), v.bool_value ? 1 : 0);
    case TypeKind::Float: {
      double d = v.kind == K::Float ? v.float_value : static_cast<double>(v.AsSigned());
      return llvm::ConstantFP::get(MemTy(t), d);
    }
    case TypeKind::Pointer:
    case TypeKind::CString:
    case TypeKind::FnPtr:
    case TypeKind::Handle:
      if (v.kind == K::String) return StringConst(v.string_value);
      if (v.kind == K::Int && v.int_bits != 0)
        return llvm::ConstantExpr::getIntToPtr(b_.getInt64(v.int_bits), b_.getPtrTy());
      return llvm::ConstantPointerNull::get(b_.getPtrTy());
    case TypeKind::Array: {
      std::vector<llvm::Constant*> elems;
      for (const sema::ConstValue& e : v.elems) elems.push_back(ConstToLLVM(e, t->elem));
      return llvm::ConstantArray::get(llvm::cast<llvm::ArrayType>(MemTy(t)), elems);
    }
    case TypeKind::Struct: {
      std::vector<llvm::Constant*> fields;
      for (size_t i = 0; i < t->fields.size(); i++) fields.push_back(ConstToLLVM(v.elems[i], t->fields[i].type));
      return llvm::ConstantStruct::get(llvm::cast<llvm::StructType>(MemTy(t)), fields);
    }
    default:
      FUSION_UNREACHABLE("constant of type " << sema::ToString(t));
  }
}

auto Lowerer::StringConst(const std::string& s) -> llvm::Constant* {
  auto it = strings_.find(s);
  if (it != strings_.end()) return it->second;
  auto* data = llvm::ConstantDataArray::getString(ctx_, s, true);
  auto* g = new llvm::GlobalVariable(*mod_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data, ".str");
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  g->setAlignment(llvm::Align(1));
  return strings_[s] = g;
}

auto Lowerer::LocOf(SourceRange r) -> llvm::Constant* {
  auto key = std::make_pair(r.begin.file, r.begin.offset);
  auto it = locs_.find(key);
  if (it != locs_.end()) return it->second;
  LineCol lc = sources_.LineColOf(r.begin);
  llvm::Constant*& file = file_names_[r.begin.file];
  if (!file) file = StringConst(sources_.file(r.begin.file).path());
  auto* init = llvm::ConstantStruct::get(loc_ty_, {file, b_.getInt32(lc.line), b_.getInt32(lc.col)});
  auto* g = new llvm::GlobalVariable(*mod_, loc_ty_, true, llvm::GlobalValue::PrivateLinkage, init, ".loc");
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  loc_places_[g] = r.begin;
  return locs_[key] = g;
}

auto Lowerer::PanicLoc(SourceRange r) -> llvm::Value* { return caller_loc_ ? caller_loc_ : LocOf(r); }

void Lowerer::DefineEntry() {
  auto* i32 = b_.getInt32Ty();
  auto* main_ty = llvm::FunctionType::get(i32, {i32, b_.getPtrTy()}, false);
  llvm::Function* program = nullptr;
  if (m_.script) {
    // The main file's top-level statements become one function.
    program = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), false),
                                     llvm::Function::InternalLinkage, "fusion.script", *mod_);
    program->addFnAttr(llvm::Attribute::NoUnwind);
    fn_ = program;
    ret_type_ = nullptr;
    // In backtraces and gdb the top-level statements are the program's `main`.
    SourceRange start = m_.script_stmts.empty() ? SourceRange{} : m_.script_stmts.front()->range;
    BeginDebugFunction(program, "main", start, false);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", program));
    PushRefScope();
    for (const ast::Stmt* s : m_.script_stmts) LowerStmt(s);
    PopRefScope();
    if (!b_.GetInsertBlock()->getTerminator()) b_.CreateRetVoid();
    ClearDebugLoc();
    fn_ = nullptr;
  } else if (m_.main) {
    program = fns_[m_.main];
  }
  auto* main = llvm::Function::Create(main_ty, llvm::Function::ExternalLinkage, "main", *mod_);
  uint32_t main_file = m_.trees.empty() ? 0 : m_.trees.front()->file;
  BeginDebugFunction(main, "main", SourceRange{{main_file, 0}, 0}, true);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", main));
  b_.CreateCall(Runtime("rt_init"), {main->getArg(0), main->getArg(1)});
  for (const std::string& dir : options_.library_dirs) b_.CreateCall(Runtime("rt_add_library_dir"), {StringConst(dir)});
  if (!options_.fusion_library_dir.empty())
    b_.CreateCall(Runtime("rt_add_fusion_library_dir"), {StringConst(options_.fusion_library_dir)});
  DefineTensorInit();
  llvm::Value* code = b_.getInt32(0);
  if (program) {
    llvm::Value* r = b_.CreateCall(program, {});
    if (program->getReturnType()->isIntegerTy(32)) code = r;
  }
  b_.CreateCall(Runtime("rt_exit"), {code});
  b_.CreateUnreachable();
  if (ffi_trace_) {  // FUSION_FFI_TRACE, read once, before the program runs
    b_.SetInsertPoint(&main->getEntryBlock(), std::next(llvm::BasicBlock::iterator(
                                                  llvm::cast<llvm::Instruction>(main->getEntryBlock().begin()))));
    b_.CreateStore(b_.CreateZExt(b_.CreateCall(Runtime("rt_ffi_trace_enabled"), {}), b_.getInt8Ty()), ffi_trace_);
  }
  ClearDebugLoc();
}

}  // namespace fusion::lower
