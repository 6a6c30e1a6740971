// C calls: extern functions (direct calls through lazily bound slots), calls through function
// pointers, and C entry points for Fusion functions used as function pointers (callbacks). All
// three use one lowering of the x86-64 SysV convention, from sema::ClassifyC (see docs/abi.md).
#include "base/check.h"
#include "lower/lowerer.h"
#include "sema/c_abi.h"

namespace fusion::lower {

namespace {
constexpr int kIntRegs = 6;  // rdi rsi rdx rcx r8 r9
constexpr int kSseRegs = 8;  // xmm0-7
}  // namespace

// The C default argument promotions for a variadic extra: small integers and bool to a 32-bit
// int, f32 to f64; other scalars as they are (f16 and bf16 too: C does not promote _Float16 or
// __bf16, which travel in an SSE register as named arguments do).
auto Lowerer::PromoteVariadic(const Type* t) -> const Type* {
  const Type* it = t->kind == TypeKind::Enum ? t->backing : t;
  if (t->kind == TypeKind::Bool) return m_.types->Builtin("i32");
  if (it->IsInt() && it->bits < 32) return m_.types->Builtin(it->is_signed ? "i32" : "u32");
  if (it->IsFloat() && it->bits == 32) return m_.types->f64();
  return t;
}

auto Lowerer::PartType(const Type* t, const sema::Eightbyte& part) -> llvm::Type* {
  if (!IsAggregate(t)) return ValTy(t);  // a scalar is its own single eightbyte
  if (part.cls == sema::Eightbyte::Class::Integer) return b_.getIntNTy(part.size * 8);
  if (part.has_half) return part.size == 2 ? b_.getHalfTy() : llvm::FixedVectorType::get(b_.getHalfTy(), part.size / 2);
  if (part.has_double) return b_.getDoubleTy();
  if (part.float_lo && part.float_hi) return llvm::FixedVectorType::get(b_.getFloatTy(), 2);
  return b_.getFloatTy();
}

auto Lowerer::CSignatureOf(const Type* ret, const std::vector<const Type*>& params, size_t nfixed, bool variadic)
    -> CSignature {
  CSignature sig;
  sig.ret_type = ret;
  sig.param_types = params;
  sig.nfixed = nfixed;
  sig.variadic = variadic;
  sig.ret = sema::ClassifyC(ret);
  int free_int = kIntRegs, free_sse = kSseRegs;
  std::vector<llvm::Type*> ir_params;
  llvm::Type* ir_ret = b_.getVoidTy();
  std::vector<llvm::AttributeSet> param_attrs;
  llvm::AttrBuilder ret_attrs(ctx_);
  auto ext_attr = [&](const Type* t, llvm::AttrBuilder& ab) {
    const Type* it = t->kind == TypeKind::Enum ? t->backing : t;
    if (t->kind == TypeKind::Bool) ab.addAttribute(llvm::Attribute::ZExt);
    else if (it->IsInt() && it->bits < 32) ab.addAttribute(it->is_signed ? llvm::Attribute::SExt : llvm::Attribute::ZExt);
  };
  if (sig.ret.kind == sema::CPassing::Kind::Memory) {
    sig.sret = true;
    free_int--;
    ir_params.push_back(b_.getPtrTy());
    llvm::AttrBuilder ab(ctx_);
    ab.addStructRetAttr(MemTy(ret));
    ab.addAttribute(llvm::Attribute::NoAlias);
    param_attrs.push_back(llvm::AttributeSet::get(ctx_, ab));
  } else if (sig.ret.kind == sema::CPassing::Kind::Direct) {
    if (sig.ret.count == 1) {
      ir_ret = PartType(ret, sig.ret.parts[0]);
    } else {
      ir_ret = llvm::StructType::get(ctx_, {PartType(ret, sig.ret.parts[0]), PartType(ret, sig.ret.parts[1])});
    }
    if (!IsAggregate(ret)) ext_attr(ret, ret_attrs);
  }
  for (size_t i = 0; i < params.size(); i++) {
    const Type* t = i < nfixed ? params[i] : PromoteVariadic(params[i]);
    sema::CPassing p = sema::ClassifyC(t);
    if (p.kind == sema::CPassing::Kind::Direct && IsAggregate(t)) {
      // An aggregate goes in registers only if all of its eightbytes find one.
      if (p.IntRegs() > free_int || p.SseRegs() > free_sse) p.kind = sema::CPassing::Kind::Memory;
    }
    sig.params.push_back(p);
    sig.lowered_types.push_back(t);
    if (i >= nfixed) continue;  // variadic extras are not part of the function type
    switch (p.kind) {
      case sema::CPassing::Kind::Ignore:
        break;
      case sema::CPassing::Kind::Direct:
        // A scalar that finds no register left goes on the stack without taking one from the
        // other kind: the counts stop at zero.
        free_int = std::max(0, free_int - p.IntRegs());
        free_sse = std::max(0, free_sse - p.SseRegs());
        for (int k = 0; k < p.count; k++) {
          ir_params.push_back(PartType(t, p.parts[k]));
          llvm::AttrBuilder ab(ctx_);
          if (!IsAggregate(t)) ext_attr(t, ab);
          param_attrs.push_back(llvm::AttributeSet::get(ctx_, ab));
        }
        break;
      case sema::CPassing::Kind::Memory: {
        ir_params.push_back(b_.getPtrTy());
        llvm::AttrBuilder ab(ctx_);
        ab.addByValAttr(MemTy(t));
        ab.addAlignmentAttr(llvm::Align(std::max<uint64_t>(8, t->align)));
        param_attrs.push_back(llvm::AttributeSet::get(ctx_, ab));
        break;
      }
    }
  }
  sig.type = llvm::FunctionType::get(ir_ret, ir_params, variadic);
  sig.attrs = llvm::AttributeList::get(ctx_, llvm::AttributeSet(), llvm::AttributeSet::get(ctx_, ret_attrs), param_attrs);
  return sig;
}

auto Lowerer::AddressOf(const ast::Expr* e) -> llvm::Value* {
  // A vector place may be a `*vec<T, N>` aligned only for T: C gets an aligned copy.
  if (sema::IsPlace(e) && !e->type->IsVector()) return LowerAddr(e);
  llvm::AllocaInst* tmp = EntryAllocaOf(e->type, "carg");
  tmp->setAlignment(llvm::Align(std::max<uint64_t>(8, e->type->align)));
  StoreInto(e, tmp);
  return tmp;
}

// ---- FUSION_FFI_TRACE ----
// Off, an extern call costs one more load of the module's flag and a branch predicted not taken
// on each side of the call; on, the call's arguments go to rt_ffi_trace_call as 64-bit values
// with a constant descriptor of their kinds (runtime dl/dl_trace.c), and its result to
// rt_ffi_trace_return.

auto Lowerer::FfiTraceFlag() -> llvm::GlobalVariable* {
  if (!ffi_trace_) {
    ffi_trace_ = new llvm::GlobalVariable(*mod_, b_.getInt8Ty(), false, llvm::GlobalValue::InternalLinkage,
                                          b_.getInt8(0), "fusion.ffi_trace");
  }
  return ffi_trace_;
}

// The tracer's kind letter of a value of type `t` (dl_trace.c): b, i/u, f/d, s, r (an aggregate,
// by address), p.
auto Lowerer::FfiTraceKind(const Type* t) const -> char {
  if (t->kind == TypeKind::Enum) t = t->backing;
  if (IsAggregate(t)) return 'r';
  switch (t->kind) {
    case TypeKind::Bool: return 'b';
    case TypeKind::Int: return t->is_signed ? 'i' : 'u';
    case TypeKind::Float: return t->bits == 32 ? 'f' : 'd';  // f16 and bf16 as their f64 value
    case TypeKind::CString: return 's';
    default: return 'p';
  }
}

// A value of type `t` as the 64 bits the tracer reads, and its kind letter.
auto Lowerer::FfiTraceBits(llvm::Value* v, const Type* t, char& kind) -> llvm::Value* {
  auto* i64 = b_.getInt64Ty();
  kind = FfiTraceKind(t);
  if (t->kind == TypeKind::Enum) t = t->backing;
  switch (t->kind) {
    case TypeKind::Bool: return b_.CreateZExt(v, i64);
    case TypeKind::Int: return IntCast(v, t, i64);
    case TypeKind::Float:
      return b_.CreateBitCast(FloatCast(v, t, m_.types->f64()), i64);
    default:
      return v->getType()->isPointerTy() ? b_.CreatePtrToInt(v, i64) : b_.CreateZExtOrTrunc(v, i64);
  }
}

// if (on) fn(site, values…): the values in an array on the stack for rt_ffi_trace_call, the one
// value itself for rt_ffi_trace_return.
void Lowerer::EmitFfiTrace(llvm::Value* on, const char* fn, llvm::Value* site, llvm::ArrayRef<llvm::Value*> values) {
  auto* trace = llvm::BasicBlock::Create(ctx_, "ffi.trace", fn_);
  auto* cont = llvm::BasicBlock::Create(ctx_, "ffi.traced", fn_);
  llvm::MDBuilder md(ctx_);
  b_.CreateCondBr(on, trace, cont, md.createBranchWeights(1, 1 << 20));
  b_.SetInsertPoint(trace);
  if (std::string(fn) == "rt_ffi_trace_call") {
    auto* arr_ty = llvm::ArrayType::get(b_.getInt64Ty(), std::max<size_t>(1, values.size()));
    llvm::AllocaInst* arr = EntryAlloca(arr_ty, "ffi.args");
    for (size_t i = 0; i < values.size(); i++)
      b_.CreateStore(values[i], b_.CreateConstInBoundsGEP2_64(arr_ty, arr, 0, i));
    b_.CreateCall(Runtime(fn), {site, arr});
  } else {
    b_.CreateCall(Runtime(fn), {site, values.empty() ? b_.getInt64(0) : values[0]});
  }
  b_.CreateBr(cont);
  b_.SetInsertPoint(cont);
}

auto Lowerer::EmitCCall(llvm::Value* callee, const CSignature& sig, const ast::Call* e, llvm::Value* result,
                        const ast::FnDecl* traced) -> llvm::Value* {
  std::vector<llvm::Value*> trace_values;
  std::string kinds;
  std::vector<llvm::Value*> args;
  std::vector<llvm::AttributeSet> param_attrs;
  if (sig.sret) {
    FUSION_CHECK(result) << "a C call returning in memory needs a result slot";
    args.push_back(result);
    param_attrs.push_back(sig.attrs.getParamAttrs(0));
  }
  for (size_t i = 0; i < e->args.size(); i++) {
    const ast::Expr* a = e->args[i];
    const Type* t = sig.lowered_types[i];
    const sema::CPassing& p = sig.params[i];
    llvm::AttributeSet fixed_attrs = i < sig.nfixed ? sig.attrs.getParamAttrs(args.size()) : llvm::AttributeSet();
    if (!IsAggregate(t)) {
      llvm::Value* v = LowerExpr(a);
      if (t != a->type) {  // a promoted variadic extra
        v = t->IsFloat() ? b_.CreateFPExt(v, ValTy(t)) : IntCast(v, a->type, ValTy(t));
      }
      if (traced) {
        char kind;
        trace_values.push_back(FfiTraceBits(v, t, kind));
        kinds += kind;
      }
      args.push_back(v);
      param_attrs.push_back(fixed_attrs);
      continue;
    }
    llvm::Value* addr = AddressOf(a);
    if (traced) {
      trace_values.push_back(b_.CreatePtrToInt(addr, b_.getInt64Ty()));
      kinds += 'r';
    }
    if (p.kind == sema::CPassing::Kind::Memory) {
      args.push_back(addr);
      param_attrs.push_back(fixed_attrs);
    } else if (p.kind == sema::CPassing::Kind::Direct) {
      for (llvm::Value* part : LoadPartValues(p, t, addr)) {
        args.push_back(part);
        param_attrs.push_back(sig.attrs.getParamAttrs(args.size() - 1));
      }
    }
  }
  llvm::Value* on = nullptr;
  llvm::Constant* site = nullptr;
  if (traced) {
    const Type* rt = sig.ret_type;
    char rkind = rt && rt->kind != TypeKind::Void ? FfiTraceKind(rt) : 'v';
    auto* ptr = b_.getPtrTy();
    auto* site_ty = llvm::StructType::get(ctx_, {ptr, ptr, ptr, ptr});
    llvm::Constant* lib = traced->has_library ? StringConst(traced->library) : llvm::ConstantPointerNull::get(ptr);
    site = new llvm::GlobalVariable(
        *mod_, site_ty, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantStruct::get(site_ty, {lib, StringConst(traced->symbol), StringConst(kinds + ">" + rkind),
                                            LocOf(e->range)}),
        "ffi.site." + traced->symbol);
    on = b_.CreateICmpNE(b_.CreateLoad(b_.getInt8Ty(), FfiTraceFlag()), b_.getInt8(0), "ffi.trace.on");
    EmitFfiTrace(on, "rt_ffi_trace_call", site, trace_values);
  }
  llvm::CallInst* call = b_.CreateCall(sig.type, callee, args);
  call->setAttributes(llvm::AttributeList::get(ctx_, llvm::AttributeSet(), sig.attrs.getRetAttrs(), param_attrs));
  llvm::Value* value = nullptr;  // the scalar result
  if (sig.sret || sig.ret.kind == sema::CPassing::Kind::Ignore) {
  } else if (!IsAggregate(sig.ret_type)) {
    value = call;
  } else {
    // A small aggregate came back in registers: store its eightbytes into the result slot.
    FUSION_CHECK(result) << "a C call returning an aggregate needs a result slot";
    StoreParts(call, sig.ret, sig.ret_type, result);
  }
  if (traced) {
    std::vector<llvm::Value*> bits;
    char kind;
    if (value) bits.push_back(FfiTraceBits(value, sig.ret_type, kind));
    else if (result) bits.push_back(b_.CreatePtrToInt(result, b_.getInt64Ty()));
    EmitFfiTrace(on, "rt_ffi_trace_return", site, bits);
  }
  return value;
}

// Eightbyte k of an aggregate at `base`, and the alignment that address is known to have.
auto Lowerer::PartAddress(llvm::Value* base, int k, const Type* t, llvm::Align& align) -> llvm::Value* {
  align = llvm::Align(k == 0 ? t->align : std::min<uint64_t>(8, t->align));
  return k == 0 ? base : b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), base, 8);
}

auto Lowerer::LoadPartValues(const sema::CPassing& p, const Type* t, llvm::Value* src) -> std::vector<llvm::Value*> {
  std::vector<llvm::Value*> parts;
  for (int k = 0; k < p.count; k++) {
    llvm::Align align;
    llvm::Value* at = PartAddress(src, k, t, align);
    llvm::LoadInst* part = b_.CreateLoad(PartType(t, p.parts[k]), at);
    part->setAlignment(align);
    parts.push_back(part);
  }
  return parts;
}

void Lowerer::StoreParts(llvm::Value* value, const sema::CPassing& p, const Type* t, llvm::Value* dest) {
  for (int k = 0; k < p.count; k++) {
    llvm::Value* part = p.count == 1 ? value : b_.CreateExtractValue(value, {static_cast<unsigned>(k)});
    llvm::Align align;
    llvm::Value* at = PartAddress(dest, k, t, align);
    b_.CreateStore(part, at)->setAlignment(align);
  }
}

auto Lowerer::LoadParts(const sema::CPassing& p, const Type* t, llvm::Value* src, llvm::Type* ir_ty) -> llvm::Value* {
  std::vector<llvm::Value*> parts = LoadPartValues(p, t, src);
  if (p.count == 1) return parts[0];
  llvm::Value* agg = llvm::UndefValue::get(ir_ty);
  for (int k = 0; k < p.count; k++) agg = b_.CreateInsertValue(agg, parts[k], {static_cast<unsigned>(k)});
  return agg;
}

// The slot of an extern function: a pointer that the first call fills (rt_extern_bind), one per
// library and symbol.
auto Lowerer::ExternSlot(const ast::FnDecl* fn) -> llvm::GlobalVariable* {
  auto key = std::make_tuple(fn->has_library, fn->library, fn->symbol);
  auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;
  auto* slot = new llvm::GlobalVariable(*mod_, b_.getPtrTy(), false, llvm::GlobalValue::InternalLinkage,
                                        llvm::ConstantPointerNull::get(b_.getPtrTy()), "fusion.slot." + fn->symbol);
  slot->setAlignment(llvm::Align(8));
  return slots_[key] = slot;
}

// The address of an extern function: its slot, bound on first use. The check is one load and a
// branch that is predicted taken after the first call.
auto Lowerer::ExternAddress(const ast::FnDecl* fn, SourceRange where) -> llvm::Value* {
  llvm::GlobalVariable* slot = ExternSlot(fn);
  llvm::LoadInst* cached = b_.CreateLoad(b_.getPtrTy(), slot, fn->symbol + ".addr");
  cached->setAtomic(llvm::AtomicOrdering::Acquire);
  cached->setAlignment(llvm::Align(8));
  llvm::BasicBlock* before = b_.GetInsertBlock();
  llvm::BasicBlock* bind = llvm::BasicBlock::Create(ctx_, "bind", fn_);
  llvm::BasicBlock* ready = llvm::BasicBlock::Create(ctx_, "bound", fn_);
  llvm::MDBuilder md(ctx_);
  b_.CreateCondBr(b_.CreateIsNull(cached), bind, ready, md.createBranchWeights(1, 1 << 20));
  b_.SetInsertPoint(bind);
  llvm::Value* library = fn->has_library ? static_cast<llvm::Value*>(StringConst(fn->library))
                                         : llvm::ConstantPointerNull::get(b_.getPtrTy());
  llvm::Value* on_load = fn->on_load_fn ? FunctionValue(fn->on_load_fn, where)
                                        : llvm::ConstantPointerNull::get(b_.getPtrTy());
  llvm::CallInst* bound =
      b_.CreateCall(Runtime("rt_extern_bind"), {slot, library, StringConst(fn->symbol), LocOf(where), on_load});
  b_.CreateBr(ready);
  b_.SetInsertPoint(ready);
  llvm::PHINode* address = b_.CreatePHI(b_.getPtrTy(), 2, fn->symbol);
  address->addIncoming(cached, before);
  address->addIncoming(bound, bind);
  return address;
}

auto Lowerer::EmitExternOrIndirectCall(const ast::Call* e, llvm::Value* result) -> llvm::Value* {
  if (e->fn) {
    const ast::FnDecl* fn = e->fn;
    std::vector<const Type*> types = fn->fn_type->params;
    for (size_t i = types.size(); i < e->args.size(); i++) types.push_back(e->args[i]->type);  // variadic
    CSignature sig = CSignatureOf(fn->ret_type, types, fn->params.size(), fn->is_variadic);
    llvm::Value* callee = ExternAddress(fn, e->range);
    return EmitCCall(callee, sig, e, result, fn);
  }
  const Type* ft = e->callee->type;
  FUSION_CHECK(ft->kind == TypeKind::FnPtr) << "call of " << sema::ToString(ft);
  llvm::Value* callee = LowerExpr(e->callee);
  CSignature sig = CSignatureOf(ft->elem, ft->params, ft->params.size(), false);
  return EmitCCall(callee, sig, e, result);
}

// A function as a value: an extern's address, or the C entry point of a Fusion function.
auto Lowerer::FunctionValue(const ast::FnDecl* fn, SourceRange where) -> llvm::Value* {
  if (fn->is_extern) return ExternAddress(fn, where);
  auto it = c_entries_.find(fn);
  FUSION_CHECK(it != c_entries_.end()) << "no C entry point for " << fn->name;
  return it->second;
}

// The C entry point of a Fusion function used as a function pointer: takes its arguments and
// returns its result as a C function of the same signature does, and calls the Fusion function.
void Lowerer::DefineCEntry(ast::FnDecl* fn) {
  const std::vector<const Type*>& types = fn->fn_type->params;
  CSignature sig = CSignatureOf(fn->ret_type, types, types.size(), false);
  auto* f = llvm::Function::Create(sig.type, llvm::Function::InternalLinkage, "fusion.c." + fn->name, *mod_);
  f->setAttributes(sig.attrs);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  c_entries_[fn] = f;
  llvm::Function* saved_fn = fn_;
  llvm::Value* saved_caller_loc = caller_loc_;
  fn_ = f;
  caller_loc_ = nullptr;
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  BeginDebugFunction(f, fn->name, fn->name_range, /*artificial=*/true);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
  llvm::Function* target = fns_.at(fn);
  std::vector<llvm::Value*> args;
  unsigned next = 0;
  llvm::Value* c_sret = nullptr;
  if (sig.sret) c_sret = f->getArg(next++);
  llvm::Value* fusion_result = nullptr;
  if (IsAggregate(fn->ret_type)) {
    // Fusion returns aggregates through a pointer: the C caller's own slot when it passed one.
    fusion_result = c_sret ? c_sret : EntryAllocaOf(fn->ret_type, "result");
    args.push_back(fusion_result);
  }
  for (size_t i = 0; i < types.size(); i++) {
    const Type* t = types[i];
    const sema::CPassing& p = sig.params[i];
    if (!IsAggregate(t)) {
      args.push_back(f->getArg(next++));
      continue;
    }
    if (p.kind == sema::CPassing::Kind::Memory) {
      args.push_back(f->getArg(next++));  // the byval copy belongs to this call
      continue;
    }
    llvm::AllocaInst* copy = EntryAlloca(MemTy(t), fn->params[i]->name);
    copy->setAlignment(llvm::Align(std::max<uint64_t>(8, t->align)));
    if (p.kind == sema::CPassing::Kind::Ignore) {
      b_.CreateMemSet(copy, b_.getInt8(0), t->size, llvm::MaybeAlign(t->align));
    } else {
      for (int k = 0; k < p.count; k++) {
        llvm::Align align;
        llvm::Value* at = PartAddress(copy, k, t, align);
        b_.CreateStore(f->getArg(next++), at)->setAlignment(align);
      }
    }
    args.push_back(copy);
  }
  if (fn->track_caller) args.push_back(LocOf(fn->name_range));  // called from C: no Fusion caller
  llvm::CallInst* call = b_.CreateCall(target, args);
  if (fusion_result) call->addParamAttr(0, llvm::Attribute::getWithStructRetType(ctx_, MemTy(fn->ret_type)));
  if (sig.sret || sig.ret.kind == sema::CPassing::Kind::Ignore) {
    b_.CreateRetVoid();
  } else if (!IsAggregate(fn->ret_type)) {
    b_.CreateRet(call);
  } else {
    b_.CreateRet(LoadParts(sig.ret, fn->ret_type, fusion_result, sig.type->getReturnType()));
  }
  fn_ = saved_fn;
  caller_loc_ = saved_caller_loc;
}

}  // namespace fusion::lower
