// GPU code, for both targets. On the host (x86-64), a kernel becomes a thread function
// `fusion.NAME(params…, rt_gpu_thread*)` plus the CPU executor's entry points: `NAME.cpu(t, args)`
// (one thread) and, for kernels without barriers or warp operations, `NAME.block(t, args)` (every
// thread of a block, in a loop LLVM can vectorise; kernels with barriers get one from
// lower_split.cpp when it can split them); the kernel builtins read the rt_gpu_thread or
// call the runtime. On the device (nvptx64), a kernel is a `ptx_kernel` entry named as in Fusion
// that calls its body, and the builtins are NVVM intrinsics. `launch` and `gpu.*` are host code.
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/InlineAsm.h>
#include <llvm/IR/IntrinsicsNVPTX.h>
#include <llvm/IR/MDBuilder.h>

#include <functional>

#include "base/check.h"
#include "base/gpu_api.h"
#include "codegen/block_loop.h"
#include "lower/lowerer.h"

namespace fusion::lower {

namespace {

constexpr unsigned kSharedAddrSpace = 3;  // NVPTX's block-shared memory
constexpr unsigned kGlobalAddrSpace = 1;  // NVPTX's device memory (cp.async's source)

// A kernel, and a @device function that uses the thread or that only kernel code calls: on the
// CPU, such a function takes the rt_gpu_thread* (and align_checks), so that its memory accesses
// are checked as the kernel's are (--check-kernels, --device check). One that host code calls too
// and does not use the thread has no thread to take there.
auto NeedsThread(const ast::FnDecl* fn) -> bool {
  return fn->is_kernel || (fn->is_device && (fn->uses_thread || !fn->host_called));
}

// Whether a value of `t` holds an address (a pointer-like scalar, or a field or element that is).
auto HoldsPointer(const Type* t) -> bool {
  if (t->IsPointerLike() || t->kind == sema::TypeKind::Handle) return true;
  if (t->kind == sema::TypeKind::Array) return HoldsPointer(t->elem);
  for (const sema::StructField& f : t->fields)
    if (HoldsPointer(f.type)) return true;
  return false;
}

// The letter of the scalars `t` is made of, for rt_gpu_kernel.params: f, d (f32, f64), b, w, i,
// l (signed integers of 1, 2, 4, 8 bytes; bool and enums count as integers), B, W, I, L
// (unsigned), or 'm' when they are not all one kind (or there are none).
auto ScalarLetter(const Type* t) -> char {
  if (t->kind == sema::TypeKind::Enum && t->backing) return ScalarLetter(t->backing);
  if (t->IsFloat()) return t->bits == 32 ? 'f' : t->bits == 64 ? 'd' : 'm';  // f16, bf16: compared as bytes
  if (t->kind == sema::TypeKind::Bool) return 'B';
  if (t->IsInt()) {
    const char* sizes = t->is_signed ? "bwil" : "BWIL";
    switch (t->size) {
      case 1: return sizes[0];
      case 2: return sizes[1];
      case 4: return sizes[2];
      case 8: return sizes[3];
      default: return 'm';
    }
  }
  if (t->kind == sema::TypeKind::Array) return ScalarLetter(t->elem);
  if (t->kind != sema::TypeKind::Struct || t->is_union || t->fields.empty()) return 'm';
  // A struct of one kind of scalar and no padding (`struct V3 { x: f32, y: f32, z: f32 }`).
  char letter = ScalarLetter(t->fields.front().type);
  uint64_t covered = 0;
  for (const sema::StructField& f : t->fields) {
    if (ScalarLetter(f.type) != letter) return 'm';
    covered += f.type->size;
  }
  return covered == t->size ? letter : 'm';
}

// rt_gpu_kernel.params: one letter per parameter, for `--device check` (runtime/src/gpu/gpu_check.c).
// A pointer parameter is its pointee's scalar letter (ScalarLetter), or 'p' when the pointee holds
// pointers; a value parameter is '-', or '*' when it holds pointers.
auto ParamLetters(const ast::FnDecl* k) -> std::string {
  std::string letters;
  for (const auto& p : k->params) {
    const Type* t = p->type;
    if (t->kind == sema::TypeKind::Pointer) letters += HoldsPointer(t->elem) ? 'p' : ScalarLetter(t->elem);
    else letters += HoldsPointer(t) ? '*' : '-';
  }
  return letters;
}
}  // namespace

auto Lowerer::ThreadTy() -> llvm::StructType* {
  if (thread_ty_) return thread_ty_;
  auto* dim = llvm::ArrayType::get(b_.getInt32Ty(), 3);
  thread_ty_ = llvm::StructType::create(ctx_, {dim, dim, dim, dim, b_.getPtrTy(), b_.getInt32Ty(), b_.getPtrTy()},
                                        "rt_gpu_thread");
  return thread_ty_;
}

auto Lowerer::TakesThread(const ast::FnDecl* fn) const -> bool { return !device_ && NeedsThread(fn); }

// ---- kernels on the host ----

// The rt_gpu_kernel descriptor of every kernel, with its CPU entry points and the module's PTX.
void Lowerer::DefineKernelEntries(ast::FnDecl* k) {
  llvm::Function* body = fns_.at(k);
  body->addFnAttr(llvm::Attribute::AlwaysInline);
  auto* ptr = b_.getPtrTy();
  auto* entry_ty = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr}, false);
  // Loads the arguments (one pointer each, as cudaLaunchKernel takes them) and calls the body.
  auto load_args = [&](llvm::Function* f) {
    std::vector<llvm::Value*> args;
    for (size_t i = 0; i < k->params.size(); i++) {
      const Type* t = k->params[i]->type;
      llvm::Value* p = b_.CreateLoad(ptr, b_.CreateConstInBoundsGEP1_64(ptr, f->getArg(1), i));
      args.push_back(IsAggregate(t) ? p : Load(p, t));
    }
    return args;
  };
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  // NAME.cpu(t, args): one thread.
  auto* cpu = llvm::Function::Create(entry_ty, llvm::Function::InternalLinkage, k->name + ".cpu", *mod_);
  cpu->addFnAttr(llvm::Attribute::NoUnwind);
  BeginDebugFunction(cpu, k->name + ".cpu", k->name_range, /*artificial=*/true);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", cpu));
  std::vector<llvm::Value*> args = load_args(cpu);
  args.push_back(cpu->getArg(0));
  args.push_back(b_.getTrue());  // one thread at a time: tests alignment (CheckAligned)
  b_.CreateCall(body, args);
  b_.CreateRetVoid();
  // NAME.block(t, args): every thread of the block, x fastest; the arguments are loaded once. A
  // cooperative kernel gets one when its barriers can be split (lower_split.cpp).
  llvm::Function* block = nullptr;
  std::vector<const ast::Node*> per_thread;
  if (!k->cooperative || PlanSplit(k, per_thread)) {
    block = llvm::Function::Create(entry_ty, llvm::Function::InternalLinkage, k->name + ".block", *mod_);
    block->addFnAttr(llvm::Attribute::NoUnwind);
    // A split kernel's statements are lowered into the block function itself: it is the kernel.
    if (k->cooperative)
      BeginDebugFunction(block, k->name, k->name_range, /*artificial=*/false);
    else
      BeginDebugFunction(block, k->name + ".block", k->name_range, /*artificial=*/true);
    llvm::Function* saved = fn_;
    fn_ = block;
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", block));
    std::vector<llvm::Value*> bargs = load_args(block);
    llvm::StructType* tt = ThreadTy();
    llvm::AllocaInst* t = EntryAlloca(tt, "thread");
    b_.CreateMemCpy(t, llvm::MaybeAlign(8), block->getArg(0), llvm::MaybeAlign(8),
                    mod_->getDataLayout().getTypeAllocSize(tt));
    if (k->cooperative) {
      DefineSplitBlock(k, bargs, t, per_thread);
    } else {
      bargs.push_back(t);
      bargs.push_back(b_.getFalse());  // the fast path: no alignment tests (CheckAligned)
      EmitThreadLoop(t, [&](llvm::Value*) { b_.CreateCall(body, bargs); });
    }
    b_.CreateRetVoid();
    fn_ = saved;
  }
  llvm::Constant* ptx = options_.ptx.empty() ? llvm::ConstantPointerNull::get(ptr) : PtxConst();
  DefineKernelDescriptor(k, cpu, ptx, block, nullptr);
}

// rt_gpu_kernel { name, cpu, ptx, static_shared, max_threads, cooperative, cpu_block, entry, params,
// cubins, threads }.
void Lowerer::DefineKernelDescriptor(const ast::FnDecl* k, llvm::Constant* cpu, llvm::Constant* ptx,
                                     llvm::Constant* block, llvm::Constant* entry) {
  auto* ptr = b_.getPtrTy();
  auto* null = llvm::ConstantPointerNull::get(ptr);
  auto* dim_ty = llvm::ArrayType::get(b_.getInt32Ty(), 3);
  auto* desc_ty = llvm::StructType::get(
      ctx_, {ptr, ptr, ptr, b_.getInt32Ty(), b_.getInt32Ty(), b_.getInt8Ty(), ptr, ptr, ptr, ptr, dim_ty});
  // The program's cubins go with its PTX (a CUDA C kernel has NVRTC's PTX only).
  llvm::Constant* cubins = k->is_cuda ? null : CubinsConst();
  auto* init = llvm::ConstantStruct::get(
      desc_ty, {StringConst(k->name), cpu ? cpu : null, ptx ? ptx : null,
                b_.getInt32(static_cast<uint32_t>(k->static_shared)), b_.getInt32(k->max_threads),
                b_.getInt8(k->cooperative ? 1 : 0), block ? block : null, entry ? entry : null,
                StringConst(ParamLetters(k)), cubins,
                llvm::ConstantArray::get(dim_ty, {b_.getInt32(k->threads[0]), b_.getInt32(k->threads[1]),
                                                  b_.getInt32(k->threads[2])})});
  kernels_[k] = new llvm::GlobalVariable(*mod_, desc_ty, true, llvm::GlobalValue::PrivateLinkage, init, k->name + ".kernel");
}

// A CUDA C kernel: no CPU body (a launch on the CPU device is refused), NVRTC's PTX for its
// source, and the entry NVRTC named it (its lowered name).
void Lowerer::DefineCudaKernel(ast::FnDecl* k) {
  FUSION_CHECK(k->cuda_module >= 0 && static_cast<size_t>(k->cuda_module) < options_.cuda_ptx.size())
      << "CUDA kernel `" << k->name << "` was not compiled";
  if (cuda_ptx_.size() < options_.cuda_ptx.size()) cuda_ptx_.resize(options_.cuda_ptx.size());
  llvm::GlobalVariable*& g = cuda_ptx_[k->cuda_module];
  if (!g) {
    auto* data = llvm::ConstantDataArray::getString(ctx_, options_.cuda_ptx[k->cuda_module], true);
    g = new llvm::GlobalVariable(*mod_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data,
                                 "fusion.cuda.ptx." + std::to_string(k->cuda_module));
  }
  DefineKernelDescriptor(k, nullptr, g, nullptr, StringConst(k->cuda_entry));
}

// for z, for y, for x over the threads of the block `t` describes (an rt_gpu_thread in memory,
// whose thread_idx and linear the loop sets): `body` with the linear index. The x loop carries
// kBlockLoopX for guard versioning (codegen/block_loop.h); a `return` in split code goes on with
// the next thread (split_next_). With `x_end`, x runs to min(block_dim.x, x_end) only (split code
// whose threads from x_end on would do nothing).
void Lowerer::EmitThreadLoop(llvm::Value* t, const std::function<void(llvm::Value* linear)>& body,
                             llvm::Value* x_end) {
  llvm::StructType* tt = ThreadTy();
  auto* i32 = b_.getInt32Ty();
  auto field = [&](int f, int d) { return b_.CreateInBoundsGEP(tt, t, {b_.getInt32(0), b_.getInt32(f), b_.getInt32(d)}); };
  llvm::Value* n[3] = {b_.CreateLoad(i32, field(kBlockDim, 0)), b_.CreateLoad(i32, field(kBlockDim, 1)),
                       b_.CreateLoad(i32, field(kBlockDim, 2))};
  llvm::Value* nx = n[0];
  if (x_end) n[0] = b_.CreateSelect(b_.CreateICmpULT(x_end, n[0]), x_end, n[0], "x.end");
  // thread_idx = (x, y, z); linear = x + n.x * (y + n.y * z)
  llvm::Value* linear_slot = b_.CreateInBoundsGEP(tt, t, {b_.getInt32(0), b_.getInt32(kLinear)});
  b_.CreateStore(b_.getInt32(0), linear_slot);
  std::function<void(int)> nest = [&](int d) {
    llvm::BasicBlock* pre = b_.GetInsertBlock();
    auto* loop = llvm::BasicBlock::Create(ctx_, "loop." + std::to_string(d), fn_);
    auto* done = llvm::BasicBlock::Create(ctx_, "done." + std::to_string(d), fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(n[d], b_.getInt32(0)), done, loop);
    b_.SetInsertPoint(loop);
    llvm::PHINode* i = b_.CreatePHI(i32, 2);
    i->addIncoming(b_.getInt32(0), pre);
    b_.CreateStore(i, field(kThreadIdx, d));
    if (d == 0) {
      if (x_end) {  // threads are skipped: linear from the indices
        llvm::Value* y = b_.CreateLoad(i32, field(kThreadIdx, 1));
        llvm::Value* z = b_.CreateLoad(i32, field(kThreadIdx, 2));
        b_.CreateStore(b_.CreateAdd(i, b_.CreateMul(nx, b_.CreateAdd(y, b_.CreateMul(n[1], z)))), linear_slot);
      }
      auto* next_thread = llvm::BasicBlock::Create(ctx_, "thread.next", fn_);
      llvm::BasicBlock* saved = split_next_;
      split_next_ = next_thread;
      body(b_.CreateLoad(i32, linear_slot));
      split_next_ = saved;
      if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(next_thread);
      b_.SetInsertPoint(next_thread);
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i32, linear_slot), b_.getInt32(1)), linear_slot);
    } else {
      nest(d - 1);
    }
    llvm::Value* next = b_.CreateAdd(i, b_.getInt32(1));
    i->addIncoming(next, b_.GetInsertBlock());
    llvm::BranchInst* latch = b_.CreateCondBr(b_.CreateICmpEQ(next, n[d]), done, loop);
    if (d == 0) {
      llvm::MDNode* mark = llvm::MDNode::get(ctx_, llvm::MDString::get(ctx_, codegen::kBlockLoopX));
      llvm::MDNode* id = llvm::MDNode::getDistinct(ctx_, {nullptr, mark});
      id->replaceOperandWith(0, id);
      latch->setMetadata(llvm::LLVMContext::MD_loop, id);
    }
    b_.SetInsertPoint(done);
  };
  nest(2);
}

// The program's cubins (`--gpu-arch sm_80,sm_90`): rt_gpu_cubin { sm, size, data } for each, then
// { 0, 0, null }; null when there are none.
auto Lowerer::CubinsConst() -> llvm::Constant* {
  auto* ptr = b_.getPtrTy();
  if (options_.cubins.empty()) return llvm::ConstantPointerNull::get(ptr);
  if (cubins_) return cubins_;
  auto* entry_ty = llvm::StructType::get(ctx_, {b_.getInt32Ty(), b_.getInt64Ty(), ptr});
  std::vector<llvm::Constant*> entries;
  for (const auto& [sm, image] : options_.cubins) {
    auto* data = llvm::ConstantDataArray::getRaw(image, image.size(), b_.getInt8Ty());
    auto* g = new llvm::GlobalVariable(*mod_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data,
                                       "fusion.cubin.sm_" + std::to_string(sm));
    g->setAlignment(llvm::Align(8));
    entries.push_back(llvm::ConstantStruct::get(entry_ty, {b_.getInt32(sm), b_.getInt64(image.size()), g}));
  }
  entries.push_back(llvm::ConstantStruct::get(entry_ty, {b_.getInt32(0), b_.getInt64(0), llvm::ConstantPointerNull::get(ptr)}));
  auto* table = llvm::ConstantArray::get(llvm::ArrayType::get(entry_ty, entries.size()), entries);
  cubins_ = new llvm::GlobalVariable(*mod_, table->getType(), true, llvm::GlobalValue::PrivateLinkage, table, "fusion.cubins");
  return cubins_;
}

auto Lowerer::PtxConst() -> llvm::Constant* {
  if (!ptx_) {
    auto* data = llvm::ConstantDataArray::getString(ctx_, options_.ptx, true);
    ptx_ = new llvm::GlobalVariable(*mod_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data, "fusion.ptx");
  }
  return ptx_;
}

// launch k<<<grid, block, shared, stream>>>(args): an rt_gpu_launch on the stack, to the runtime.
void Lowerer::LowerLaunch(const ast::Launch* l) {
  const ast::FnDecl* k = l->kernel_fn;
  auto* ptr = b_.getPtrTy();
  auto* i32 = b_.getInt32Ty();
  auto* dim_ty = llvm::ArrayType::get(i32, 3);
  auto* launch_ty = llvm::StructType::get(ctx_, {ptr, dim_ty, dim_ty, i32, ptr, ptr, ptr});
  llvm::AllocaInst* launch = EntryAlloca(launch_ty, "launch");
  auto field = [&](int i) { return b_.CreateStructGEP(launch_ty, launch, i); };
  // An integer size is (n, 1, 1); it must fit in 32 bits and be positive (the runtime says so for 0).
  auto dim = [&](const ast::Expr* e, int i, const char* what) {
    if (e->type->IsInt()) {
      llvm::Value* v = IntCast(LowerExpr(e), e->type, b_.getInt64Ty());
      // Widened to 64 bits, a negative size compares above UINT32_MAX too.
      FailIf(b_.CreateICmpUGT(v, b_.getInt64(UINT32_MAX)), Runtime("rt_panic"),
             {StringConst(std::string("launch: the ") + what + " size is negative or does not fit in 32 bits"), LocOf(e->range)});
      llvm::Value* p = field(i);
      b_.CreateStore(b_.CreateTrunc(v, i32), p);
      b_.CreateStore(b_.getInt32(1), b_.CreateConstInBoundsGEP2_32(dim_ty, p, 0, 1));
      b_.CreateStore(b_.getInt32(1), b_.CreateConstInBoundsGEP2_32(dim_ty, p, 0, 2));
    } else {
      StoreInto(e, field(i));
    }
  };
  dim(l->grid, 1, "grid");
  dim(l->block, 2, "block");
  llvm::Value* shared = b_.getInt32(0);
  if (l->shared_bytes) {
    llvm::Value* v = IntCast(LowerExpr(l->shared_bytes), l->shared_bytes->type, b_.getInt64Ty());
    FailIf(b_.CreateICmpUGT(v, b_.getInt64(UINT32_MAX)), Runtime("rt_panic"),
           {StringConst("launch: the shared memory size is negative or does not fit in 32 bits"), LocOf(l->shared_bytes->range)});
    shared = b_.CreateTrunc(v, i32);
  }
  b_.CreateStore(shared, field(3));
  b_.CreateStore(l->stream ? LowerExpr(l->stream) : llvm::ConstantPointerNull::get(ptr), field(4));
  // The arguments: each in a slot of its own, their addresses in an array. A kernel compiled at
  // run time takes them as they are, with their shapes for the runtime to check.
  auto* args_ty = llvm::ArrayType::get(ptr, std::max<size_t>(l->args.size(), 1));
  llvm::AllocaInst* args = EntryAlloca(args_ty, "launch.args");
  std::string shapes;
  for (size_t i = 0; i < l->args.size(); i++) {
    const Type* t = k ? k->params[i]->type : l->args[i]->type;
    if (!k) shapes += ArgShape(l->args[i]) + ",";
    llvm::AllocaInst* slot = EntryAlloca(MemTy(t), "launch.arg");
    slot->setAlignment(llvm::Align(std::max<uint64_t>(t->align, 1)));
    StoreInto(l->args[i], slot);
    b_.CreateStore(slot, b_.CreateConstInBoundsGEP2_32(args_ty, args, 0, i));
  }
  b_.CreateStore(args, field(5));
  b_.CreateStore(LocOf(l->range), field(6));
  if (!k) {
    llvm::Value* var = nullptr;
    if (auto* c = ast::As<ast::ConstDecl>(l->kernel_var)) var = statics_.at(c);
    else var = locals_.at(l->kernel_var);
    b_.CreateStore(b_.CreateLoad(ptr, var), field(0));
    b_.CreateCall(Runtime("rt_gpu_launch_compiled"), {launch, StringConst(shapes)});
    return;
  }
  b_.CreateStore(kernels_.at(k), field(0));
  b_.CreateCall(Runtime("rt_gpu_launch_kernel"), {launch});
}

// An argument's shape for rt_gpu_launch_compiled: i/f/p/s and its size in bytes, or N8/F8 for a
// number literal (stored as i64 or f64), which the runtime fits to the parameter's size.
auto Lowerer::ArgShape(const ast::Expr* e) -> std::string {
  const ast::Expr* lit = e;
  if (auto* u = ast::As<ast::Unary>(e); u && u->op == lex::TokenKind::Minus) lit = u->operand;
  bool literal = ast::As<ast::IntLit>(lit) || ast::As<ast::FloatLit>(lit);
  const Type* t = e->type;
  if (t->kind == TypeKind::Enum) t = t->backing;
  std::string size = std::to_string(t->size);
  if (t->IsFloat()) return (literal && t->bits == 64 ? "F" : "f") + size;
  if (t->IsInt()) return (literal && t->bits == 64 ? "N" : "i") + size;
  if (t->kind == TypeKind::Bool) return "i1";
  if (IsAggregate(t) || t->IsVector()) return "s" + size;
  return "p8";
}

// ---- kernels on the device ----

// The PTX entry of kernel `k`: parameters by value (structs as byval), then the body.
void Lowerer::DefineKernelEntry(ast::FnDecl* k) {
  std::vector<llvm::Type*> params;
  for (ast::Param* p : k->params) params.push_back(IsAggregate(p->type) ? b_.getPtrTy() : MemTy(p->type));
  auto* f = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), params, false),
                                   llvm::Function::ExternalLinkage, k->name, *mod_);
  f->setCallingConv(llvm::CallingConv::PTX_Kernel);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  std::vector<llvm::Value*> args;
  llvm::IRBuilderBase::InsertPointGuard guard(b_);
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
  for (size_t i = 0; i < k->params.size(); i++) {
    const Type* t = k->params[i]->type;
    f->getArg(i)->setName(k->params[i]->name);
    if (IsAggregate(t)) {
      f->addParamAttr(i, llvm::Attribute::getWithByValType(ctx_, MemTy(t)));
      f->addParamAttr(i, llvm::Attribute::getWithAlignment(ctx_, llvm::Align(std::max<uint64_t>(t->align, 1))));
      args.push_back(f->getArg(i));
    } else {
      llvm::Value* v = f->getArg(i);
      args.push_back(t->kind == TypeKind::Bool ? b_.CreateTrunc(v, b_.getInt1Ty()) : v);
    }
  }
  b_.CreateCall(fns_.at(k), args);
  b_.CreateRetVoid();
  // Launch bounds and the kernel mark, as nvcc writes them.
  llvm::NamedMDNode* md = mod_->getOrInsertNamedMetadata("nvvm.annotations");
  auto note = [&](const char* key, uint32_t value) {
    md->addOperand(llvm::MDNode::get(ctx_, {llvm::ValueAsMetadata::get(f), llvm::MDString::get(ctx_, key),
                                            llvm::ValueAsMetadata::get(b_.getInt32(value))}));
  };
  note("kernel", 1);
  // .reqntid x, y, z (threads) implies the bound .maxntid gives, and ptxas refuses both.
  if (k->max_threads && !k->threads[0]) note("maxntidx", k->max_threads);
  if (k->min_blocks) note("minctasm", k->min_blocks);
  if (k->threads[0]) {
    note("reqntidx", k->threads[0]);
    note("reqntidy", k->threads[1]);
    note("reqntidz", k->threads[2]);
  }
  if (k->max_registers) note("maxnreg", k->max_registers);
}

// ---- the values and builtins of kernel code ----

// The address of a dim3 value (thread_idx, …): in the rt_gpu_thread on the host; on the device,
// a temporary filled from the special registers.
auto Lowerer::GpuValueAddr(const ast::Name* e) -> llvm::Value* {
  int which = static_cast<int>(e->gpu) - static_cast<int>(ast::GpuValue::ThreadIdx);
  if (!device_) return b_.CreateStructGEP(ThreadTy(), thread_, which);
  static const llvm::Intrinsic::ID kRegs[4][3] = {
      {llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x, llvm::Intrinsic::nvvm_read_ptx_sreg_tid_y,
       llvm::Intrinsic::nvvm_read_ptx_sreg_tid_z},
      {llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x, llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_y,
       llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_z},
      {llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x, llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_y,
       llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_z},
      {llvm::Intrinsic::nvvm_read_ptx_sreg_nctaid_x, llvm::Intrinsic::nvvm_read_ptx_sreg_nctaid_y,
       llvm::Intrinsic::nvvm_read_ptx_sreg_nctaid_z},
  };
  auto* dim_ty = llvm::ArrayType::get(b_.getInt32Ty(), 3);
  llvm::AllocaInst* tmp = EntryAlloca(dim_ty, e->name);
  for (int d = 0; d < 3; d++)
    b_.CreateStore(b_.CreateIntrinsic(kRegs[which][d], {}, {}), b_.CreateConstInBoundsGEP2_32(dim_ty, tmp, 0, d));
  return tmp;
}

// A `shared var`: at its offset in the block's shared memory on the host; an addrspace(3) global
// of the kernel on the device.
auto Lowerer::SharedVarAddr(const ast::Let* let) -> llvm::Value* {
  if (!device_) {
    // Next to the load of the base, so that it dominates every use (a split kernel's later loops).
    auto* base = llvm::cast<llvm::Instruction>(shared_base_);
    llvm::IRBuilder<> at(base->getParent(), std::next(base->getIterator()));
    return at.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), shared_base_, let->shared_offset);
  }
  llvm::Type* ty = MemTy(let->type);
  auto* g = new llvm::GlobalVariable(*mod_, ty, false, llvm::GlobalValue::InternalLinkage, llvm::UndefValue::get(ty),
                                     fn_->getName() + "." + let->name, nullptr,
                                     llvm::GlobalValue::NotThreadLocal, kSharedAddrSpace);
  // Arrays of 16 bytes or more: 16-byte aligned, as the checker lays them out for the host.
  bool wide = let->type->kind == TypeKind::Array && let->type->size >= 16;
  g->setAlignment(llvm::Align(std::max<uint64_t>(let->type->align, wide ? 16 : 4)));
  return b_.CreateAddrSpaceCast(g, b_.getPtrTy());
}

// Checked mode: a load or store of `t` at `addr` in kernel code goes past the runtime first.
void Lowerer::CheckAccess(llvm::Value* addr, const Type* t, bool store, SourceRange where, bool via_pointer) {
  if (device_ || !thread_) return;
  if (t->IsVector()) CheckAligned(addr, t, store ? 1 : 0, where);
  else if (via_pointer && t->IsScalar()) CheckAligned(addr, t, store ? 4 : 3, where);
  CheckInBounds(addr, t, store, where);
}

// `--check-kernels`: the runtime checks the access against the gpu.alloc blocks' red zones and
// the pending cp_async copies (rt_gpu_check_access).
void Lowerer::CheckInBounds(llvm::Value* addr, const Type* t, bool store, SourceRange where) {
  if (device_ || !thread_ || !options_.check_kernels) return;
  b_.CreateCall(Runtime("rt_gpu_check_access"), {thread_, addr, b_.getInt64(t->size), b_.getInt1(store), LocOf(where)});
}

// A GPU accesses a vector whole (AccessAlign: its size, 16 at most), a scalar at a multiple of its
// size, and an atomic's value at a multiple of its size. The CPU can do each anywhere, so the CPU
// executor tests the address: a test and a branch not taken, the call only for a bad address.
// An atomic is tested in every mode (its compare-and-swap loop works on the aligned word); a
// vector or scalar access is reported in the checked modes only, so it is tested under
// `--check-kernels` everywhere and otherwise only where align_checks_ is true (NAME.cpu, which
// --device check's second run uses): the test folds away in block loops and split code.
void Lowerer::CheckAligned(llvm::Value* addr, const Type* t, int kind, SourceRange where) {
  if (device_) return;
  bool atomic = kind == 2;
  uint64_t need = atomic || !t->IsVector() ? t->size : std::min<uint64_t>(t->size, 16);
  if (need < 2 || (need & (need - 1)) != 0) return;
  if (atomic ? !thread_ && !t->IsHalf() && !t->IsVector() : !thread_) return;
  llvm::Value* gate = nullptr;  // what else must hold for the report: align_checks_
  if (!atomic && !options_.check_kernels) {
    auto* known = llvm::dyn_cast_or_null<llvm::ConstantInt>(align_checks_);
    if (!align_checks_ || (known && known->isZero())) return;
    if (!known) gate = align_checks_;
  }
  llvm::Value* low = b_.CreateAnd(b_.CreatePtrToInt(addr, b_.getInt64Ty()), b_.getInt64(need - 1));
  llvm::Value* bad = b_.CreateICmpNE(low, b_.getInt64(0));
  if (gate) bad = b_.CreateAnd(gate, bad);
  auto* bad_bb = llvm::BasicBlock::Create(ctx_, "misaligned", fn_);
  auto* ok_bb = llvm::BasicBlock::Create(ctx_, "aligned", fn_);
  llvm::MDBuilder md(ctx_);
  b_.CreateCondBr(bad, bad_bb, ok_bb, md.createUnlikelyBranchWeights());
  b_.SetInsertPoint(bad_bb);
  llvm::Value* loc = LocOf(where);
  llvm::Value* thread = thread_ ? thread_ : llvm::ConstantPointerNull::get(b_.getPtrTy());
  llvm::Value* args[] = {thread,
                         addr,
                         b_.getInt64(t->size),
                         b_.getInt64(need),
                         b_.getInt32(kind),
                         b_.getInt1(options_.check_kernels),
                         loc};
  if (atomic) {
    if (thread_) {
      llvm::Value* linear = b_.CreateLoad(b_.getInt32Ty(), b_.CreateStructGEP(ThreadTy(), thread_, kLinear));
      b_.CreateCall(Runtime("rt_gpu_panic_thread"), {linear});
    }
    llvm::DebugLoc saved = b_.getCurrentDebugLocation();
    SetDebugLocOfRtLoc(loc);
    b_.CreateCall(Runtime("rt_gpu_misaligned"), args);
    b_.SetCurrentDebugLocation(saved);
    b_.CreateUnreachable();
  } else {
    b_.CreateCall(Runtime("rt_gpu_misaligned"), args);
    b_.CreateBr(ok_bb);
  }
  b_.SetInsertPoint(ok_bb);
}

auto Lowerer::LowerGpuBuiltin(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  auto* i32 = b_.getInt32Ty();
  auto arg = [&](size_t i) { return LowerExpr(e->args[i]); };
  // A warp operation of a split kernel: computed for the warp before its statement (lower_split.cpp).
  if (auto it = split_warp_results_.find(e); it != split_warp_results_.end()) return it->second;
  switch (e->builtin) {
    case B::Dim3: {
      auto* dim_ty = llvm::ArrayType::get(i32, 3);
      llvm::AllocaInst* tmp = EntryAlloca(dim_ty, "dim3");
      static const char* kAxes[] = {"x", "y", "z"};
      for (size_t d = 0; d < 3; d++) {
        llvm::Value* v = b_.getInt32(1);
        if (d < e->args.size()) {
          const ast::Expr* a = e->args[d];
          v = arg(d);
          if (a->type->bits != 32 || a->type->is_signed) {  // checked, as a launch size is
            llvm::Value* wide = IntCast(v, a->type, b_.getInt64Ty());
            FailIf(b_.CreateICmpUGT(wide, b_.getInt64(UINT32_MAX)), Runtime("rt_panic"),
                   {StringConst(std::string("dim3: the ") + kAxes[d] + " size is negative or does not fit in 32 bits"),
                    LocOf(a->range)});
            v = b_.CreateTrunc(wide, i32);
          }
        }
        b_.CreateStore(v, b_.CreateConstInBoundsGEP2_32(dim_ty, tmp, 0, d));
      }
      return Load(tmp, e->type);
    }
    case B::LaneId:
      if (device_) return b_.CreateIntrinsic(llvm::Intrinsic::nvvm_read_ptx_sreg_laneid, {}, {});
      return b_.CreateURem(b_.CreateLoad(i32, b_.CreateStructGEP(ThreadTy(), thread_, kLinear)), b_.getInt32(32));
    case B::SyncThreads:
      if (device_) b_.CreateIntrinsic(llvm::Intrinsic::nvvm_barrier0, {}, {});
      else b_.CreateCall(Runtime("rt_gpu_sync_threads"), {thread_});
      return nullptr;
    case B::ThreadFence:
    case B::ThreadFenceBlock:
    case B::ThreadFenceSystem: {
      // CUDA's __threadfence_block, __threadfence and __threadfence_system: membar.cta, .gl, .sys
      // (fence.sc.cta, .gpu, .sys on sm_70 and newer). On the host every one is a full fence.
      if (!device_) {
        b_.CreateFence(llvm::AtomicOrdering::SequentiallyConsistent);
        return nullptr;
      }
      ast::AtomicScope scope = e->builtin == B::ThreadFenceBlock    ? ast::AtomicScope::Block
                               : e->builtin == B::ThreadFenceSystem ? ast::AtomicScope::System
                                                                    : e->scope;
      b_.CreateIntrinsic(scope == ast::AtomicScope::Block    ? llvm::Intrinsic::nvvm_membar_cta
                         : scope == ast::AtomicScope::System ? llvm::Intrinsic::nvvm_membar_sys
                                                             : llvm::Intrinsic::nvvm_membar_gl,
                         {}, {});
      return nullptr;
    }
    case B::DynamicShared: {
      uint64_t offset = (kernel_->static_shared + 15) / 16 * 16;
      if (!device_) return b_.CreateConstInBoundsGEP1_64(b_.getInt8Ty(), shared_base_, offset);
      llvm::GlobalVariable* g = mod_->getNamedGlobal("fusion_dynamic_shared");
      if (!g) {
        auto* ty = llvm::ArrayType::get(b_.getInt8Ty(), 0);
        g = new llvm::GlobalVariable(*mod_, ty, false, llvm::GlobalValue::ExternalLinkage, nullptr,
                                     "fusion_dynamic_shared", nullptr, llvm::GlobalValue::NotThreadLocal, 3);
        g->setAlignment(llvm::Align(16));
      }
      return b_.CreateAddrSpaceCast(g, b_.getPtrTy());
    }
    case B::BallotSync:
    case B::AnySync:
    case B::AllSync: {
      llvm::Value* mask = arg(0);
      llvm::Value* pred = arg(1);
      if (device_) {
        llvm::Intrinsic::ID id = e->builtin == B::BallotSync ? llvm::Intrinsic::nvvm_vote_ballot_sync
                                 : e->builtin == B::AnySync  ? llvm::Intrinsic::nvvm_vote_any_sync
                                                             : llvm::Intrinsic::nvvm_vote_all_sync;
        return b_.CreateIntrinsic(id, {}, {mask, pred});
      }
      int kind = e->builtin == B::BallotSync ? 0 : e->builtin == B::AnySync ? 1 : 2;
      llvm::Value* r = b_.CreateCall(Runtime("rt_gpu_vote"), {thread_, b_.getInt32(kind), mask, pred});
      return e->builtin == B::BallotSync ? r : b_.CreateICmpNE(r, b_.getInt32(0));
    }
    default:
      break;
  }
  if (e->builtin >= B::ShflSync && e->builtin <= B::ShflXorSync) return LowerShuffle(e);
  if (e->builtin >= B::SyncWarp && e->builtin <= B::ReduceXorSync) return LowerCombine(e);
  if (e->builtin >= B::CpAsync && e->builtin <= B::CpAsyncWaitAll) return LowerCpAsync(e);
  if (e->builtin >= B::MmaM16n8k16F16 && e->builtin <= B::ToTf32) return LowerTensorCore(e);
  return LowerAtomic(e);
}

// cp_async(dst, src, bytes), cp_async_commit(), cp_async_wait(n), cp_async_wait_all(): on the
// device cp.async.ca.shared.global (4 and 8 bytes) or .cg (16 bytes: cached in L2 only, as tiles
// bound for shared memory want), cp.async.commit_group, cp.async.wait_group n and
// cp.async.wait_all (sm_80; the driver refuses older architectures first); on the host the CPU
// executor's queue (rt_gpu_cp_async…), which copies at the wait.
auto Lowerer::LowerCpAsync(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  // `bytes` and `n` are constants (the checker's rule), which lower to constants.
  auto constant = [&](const ast::Expr* a) {
    auto* c = llvm::dyn_cast<llvm::ConstantInt>(LowerExpr(a));
    FUSION_CHECK(c) << "cp_async: a constant argument did not lower to a constant";
    return static_cast<uint32_t>(c->getZExtValue());
  };
  FUSION_CHECK(!device_ || device_sm_ >= 80) << "cp_async lowered for sm_" << device_sm_;
  switch (e->builtin) {
    case B::CpAsync: {
      llvm::Value* dst = LowerExpr(e->args[0]);
      llvm::Value* src = LowerExpr(e->args[1]);
      uint32_t bytes = constant(e->args[2]);
      if (!device_) {
        b_.CreateCall(Runtime("rt_gpu_cp_async"), {thread_, dst, src, b_.getInt32(bytes), LocOf(e->range)});
        return nullptr;
      }
      llvm::Intrinsic::ID id = bytes == 4   ? llvm::Intrinsic::nvvm_cp_async_ca_shared_global_4
                               : bytes == 8 ? llvm::Intrinsic::nvvm_cp_async_ca_shared_global_8
                                            : llvm::Intrinsic::nvvm_cp_async_cg_shared_global_16;
      // cvta.to.shared and cvta.to.global by NVVM's intrinsics, not addrspacecasts: the optimizer
      // folds a cast of a cast, and a shared source (or a global destination), which the CPU
      // executor reports at run time, would become a cast between two specific address spaces,
      // which NVPTX cannot select. A destination that is a `shared var`'s address here is cast.
      bool is_shared = llvm::getUnderlyingObject(dst)->getType()->getPointerAddressSpace() == kSharedAddrSpace;
      llvm::Value* shared_dst =
          is_shared ? b_.CreateAddrSpaceCast(dst, b_.getPtrTy(kSharedAddrSpace))
                    : b_.CreateIntrinsic(llvm::Intrinsic::nvvm_ptr_gen_to_shared,
                                         {b_.getPtrTy(kSharedAddrSpace), b_.getPtrTy()}, {dst});
      llvm::Value* global_src = b_.CreateIntrinsic(llvm::Intrinsic::nvvm_ptr_gen_to_global,
                                                   {b_.getPtrTy(kGlobalAddrSpace), b_.getPtrTy()}, {src});
      b_.CreateIntrinsic(id, {}, {shared_dst, global_src});
      return nullptr;
    }
    case B::CpAsyncCommit:
      if (device_) b_.CreateIntrinsic(llvm::Intrinsic::nvvm_cp_async_commit_group, {}, {});
      else b_.CreateCall(Runtime("rt_gpu_cp_async_commit"), {thread_});
      return nullptr;
    case B::CpAsyncWait: {
      uint32_t n = constant(e->args[0]);
      if (device_) b_.CreateIntrinsic(llvm::Intrinsic::nvvm_cp_async_wait_group, {}, {b_.getInt32(n)});
      else b_.CreateCall(Runtime("rt_gpu_cp_async_wait"), {thread_, b_.getInt32(n)});
      return nullptr;
    }
    default:  // CpAsyncWaitAll: PTX's wait_all is commit_group and wait_group 0
      if (device_) {
        b_.CreateIntrinsic(llvm::Intrinsic::nvvm_cp_async_wait_all, {}, {});
      } else {
        b_.CreateCall(Runtime("rt_gpu_cp_async_commit"), {thread_});
        b_.CreateCall(Runtime("rt_gpu_cp_async_wait"), {thread_, b_.getInt32(0)});
      }
      return nullptr;
  }
}

auto Lowerer::CombineKind(const ast::Call* e) -> int {
  using B = ast::Builtin;
  bool is_signed = e->type->IsInt() && e->type->is_signed;
  switch (e->builtin) {
    case B::SyncWarp: return 0;
    case B::MatchAnySync: return 1;
    case B::MatchAllSync: return 2;
    case B::ReduceAddSync: return 3;
    case B::ReduceMinSync: return is_signed ? 4 : 5;
    case B::ReduceMaxSync: return is_signed ? 6 : 7;
    case B::ReduceAndSync: return 8;
    case B::ReduceOrSync: return 9;
    case B::ReduceXorSync: return 10;
    default: FUSION_UNREACHABLE("not a combining warp operation");
  }
}

// sync_warp(mask), match_any_sync/match_all_sync(mask, v), reduce_OP_sync(mask, v): on the host
// rt_gpu_combine (the value's bits zero-extended); on the device bar.warp.sync, match.sync and
// redux.sync (sm_80 and newer; before, a loop of shuffles).
auto Lowerer::LowerCombine(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  llvm::Value* mask = LowerExpr(e->args[0]);
  llvm::Value* v = e->args.size() > 1 ? LowerExpr(e->args[1]) : nullptr;
  const Type* vt = e->args.size() > 1 ? e->args[1]->type : nullptr;
  llvm::Value* bits = v && vt->IsFloat() ? b_.CreateBitCast(v, b_.getIntNTy(vt->bits)) : v;
  if (!device_) {
    llvm::Value* wide = bits ? b_.CreateZExt(bits, b_.getInt64Ty()) : b_.getInt64(0);
    llvm::Value* r = b_.CreateCall(Runtime("rt_gpu_combine"), {thread_, b_.getInt32(CombineKind(e)), mask, wide});
    return e->builtin == B::SyncWarp ? nullptr : b_.CreateTrunc(r, b_.getInt32Ty());
  }
  switch (e->builtin) {
    case B::SyncWarp:
      b_.CreateIntrinsic(llvm::Intrinsic::nvvm_bar_warp_sync, {}, {mask});
      return nullptr;
    case B::MatchAnySync:
      return b_.CreateIntrinsic(vt->bits == 64 ? llvm::Intrinsic::nvvm_match_any_sync_i64 : llvm::Intrinsic::nvvm_match_any_sync_i32,
                                {}, {mask, bits});
    case B::MatchAllSync: {
      llvm::Value* r = b_.CreateIntrinsic(
          vt->bits == 64 ? llvm::Intrinsic::nvvm_match_all_sync_i64p : llvm::Intrinsic::nvvm_match_all_sync_i32p, {},
          {mask, bits});
      return b_.CreateExtractValue(r, 0);
    }
    default:
      break;
  }
  if (device_sm_ < 80) return ReduceByShuffles(e, mask, v);
  llvm::Intrinsic::ID id;
  switch (CombineKind(e)) {
    case 3: id = llvm::Intrinsic::nvvm_redux_sync_add; break;
    case 4: id = llvm::Intrinsic::nvvm_redux_sync_min; break;
    case 5: id = llvm::Intrinsic::nvvm_redux_sync_umin; break;
    case 6: id = llvm::Intrinsic::nvvm_redux_sync_max; break;
    case 7: id = llvm::Intrinsic::nvvm_redux_sync_umax; break;
    case 8: id = llvm::Intrinsic::nvvm_redux_sync_and; break;
    case 9: id = llvm::Intrinsic::nvvm_redux_sync_or; break;
    default: id = llvm::Intrinsic::nvvm_redux_sync_xor; break;
  }
  return b_.CreateIntrinsic(id, {}, {v, mask});
}

// reduce_OP_sync before sm_80 (no redux.sync): every lane folds the value of each lane of `mask`,
// fetched by shfl.sync.idx, into the operation's identity; the lanes of `mask` run the same loop.
auto Lowerer::ReduceByShuffles(const ast::Call* e, llvm::Value* mask, llvm::Value* v) -> llvm::Value* {
  auto* i32 = b_.getInt32Ty();
  int kind = CombineKind(e);
  uint32_t identity = kind == 4 ? 0x7fffffffu : kind == 5 || kind == 8 ? 0xffffffffu : kind == 6 ? 0x80000000u : 0;
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(ctx_, "redux.loop", fn_);
  auto* done = llvm::BasicBlock::Create(ctx_, "redux.done", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(mask, b_.getInt32(0)), done, loop);
  b_.SetInsertPoint(loop);
  llvm::PHINode* left = b_.CreatePHI(i32, 2, "redux.left");
  llvm::PHINode* acc = b_.CreatePHI(i32, 2, "redux.acc");
  left->addIncoming(mask, pre);
  acc->addIncoming(b_.getInt32(identity), pre);
  llvm::Value* lane = b_.CreateIntrinsic(llvm::Intrinsic::cttz, {i32}, {left, b_.getTrue()});
  llvm::Value* x = b_.CreateIntrinsic(llvm::Intrinsic::nvvm_shfl_sync_idx_i32, {}, {mask, v, lane, b_.getInt32(0x1f)});
  llvm::Value* r;
  switch (kind) {
    case 3: r = b_.CreateAdd(acc, x); break;
    case 4: r = b_.CreateSelect(b_.CreateICmpSLT(x, acc), x, acc); break;
    case 5: r = b_.CreateSelect(b_.CreateICmpULT(x, acc), x, acc); break;
    case 6: r = b_.CreateSelect(b_.CreateICmpSGT(x, acc), x, acc); break;
    case 7: r = b_.CreateSelect(b_.CreateICmpUGT(x, acc), x, acc); break;
    case 8: r = b_.CreateAnd(acc, x); break;
    case 9: r = b_.CreateOr(acc, x); break;
    default: r = b_.CreateXor(acc, x); break;
  }
  llvm::Value* rest = b_.CreateAnd(left, b_.CreateSub(left, b_.getInt32(1)));
  left->addIncoming(rest, b_.GetInsertBlock());
  acc->addIncoming(r, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpEQ(rest, b_.getInt32(0)), done, loop);
  b_.SetInsertPoint(done);
  llvm::PHINode* result = b_.CreatePHI(i32, 2, "redux");
  result->addIncoming(b_.getInt32(identity), pre);
  result->addIncoming(r, loop);
  return result;
}

// shfl_*_sync(mask, value, lane_or_delta[, width]): 64-bit values move as two 32-bit halves on the device.
auto Lowerer::LowerShuffle(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  int kind = static_cast<int>(e->builtin) - static_cast<int>(B::ShflSync);  // idx, up, down, xor
  llvm::Value* mask = LowerExpr(e->args[0]);
  llvm::Value* value = LowerExpr(e->args[1]);
  llvm::Value* lane = LowerExpr(e->args[2]);
  llvm::Value* width = e->args.size() == 4 ? LowerExpr(e->args[3]) : b_.getInt32(32);
  const Type* t = e->type;
  llvm::Type* int_ty = b_.getIntNTy(t->bits);
  llvm::Value* bits = t->IsFloat() ? b_.CreateBitCast(value, int_ty) : value;
  llvm::Value* result;
  if (!device_) {
    llvm::Value* wide = b_.CreateZExt(bits, b_.getInt64Ty());
    llvm::Value* r = b_.CreateCall(Runtime("rt_gpu_shfl"), {thread_, b_.getInt32(kind), mask, wide, lane, width});
    result = b_.CreateTrunc(r, int_ty);
  } else {
    // PTX's c operand: the segment mask in bits 8-12, and the clamp lane (31, or 0 for up).
    llvm::Value* seg = b_.CreateShl(b_.CreateSub(b_.getInt32(32), width), 8);
    llvm::Value* c = kind == 1 ? seg : b_.CreateOr(seg, b_.getInt32(0x1f));
    static const llvm::Intrinsic::ID kIds[4] = {llvm::Intrinsic::nvvm_shfl_sync_idx_i32, llvm::Intrinsic::nvvm_shfl_sync_up_i32,
                                                 llvm::Intrinsic::nvvm_shfl_sync_down_i32, llvm::Intrinsic::nvvm_shfl_sync_bfly_i32};
    auto shfl32 = [&](llvm::Value* v) { return b_.CreateIntrinsic(kIds[kind], {}, {mask, v, lane, c}); };
    if (t->bits == 32) {
      result = shfl32(bits);
    } else {
      llvm::Value* lo = shfl32(b_.CreateTrunc(bits, b_.getInt32Ty()));
      llvm::Value* hi = shfl32(b_.CreateTrunc(b_.CreateLShr(bits, 32), b_.getInt32Ty()));
      result = b_.CreateOr(b_.CreateZExt(lo, int_ty), b_.CreateShl(b_.CreateZExt(hi, int_ty), 32));
    }
  }
  return t->IsFloat() ? b_.CreateBitCast(result, ValTy(t)) : result;
}

// atomic_OP(p, v[, scope: …]) -> the old value. The host's atomics are real (relaxed, as CUDA's);
// the device's use NVVM's scoped intrinsics for block and system scope, where LLVM would drop
// the scope of an atomicrmw.
auto Lowerer::LowerAtomic(const ast::Call* e) -> llvm::Value* {
  using B = ast::Builtin;
  const Type* t = e->type;
  llvm::Value* p = LowerExpr(e->args[0]);
  llvm::Value* v = LowerExpr(e->args[1]);
  CheckAligned(p, t, 2, e->range);
  CheckInBounds(p, t, true, e->range);
  auto ord = llvm::AtomicOrdering::Monotonic;
  llvm::Align align(t->size);
  // An atomic on a `shared var` is seen by its block only, so its scope changes nothing; a plain
  // atomicrmw becomes `atom.shared` (InferAddressSpaces), where the scoped NVVM intrinsics, which
  // take generic addresses only, would be `cvta.shared` and a generic `atom.cta`.
  bool shared = device_ && llvm::getUnderlyingObject(p)->getType()->getPointerAddressSpace() == kSharedAddrSpace;
  bool scoped = device_ && e->scope != ast::AtomicScope::Device && !shared;
  if (t->IsHalf() || t->IsVector()) return HalfAtomicAdd(p, v, t, e->scope, shared);  // atomic_add only
  // LLVM 19's NVPTX expands an atomicrmw uinc_wrap/udec_wrap into a compare-and-swap loop; NVVM's
  // intrinsics are atom.inc/atom.dec (of the shared space, when the address is a `shared var`'s).
  if (device_ && !scoped && (e->builtin == B::AtomicInc || e->builtin == B::AtomicDec)) {
    llvm::Value* addr = shared ? b_.CreateAddrSpaceCast(p, b_.getPtrTy(kSharedAddrSpace)) : p;
    auto id = e->builtin == B::AtomicInc ? llvm::Intrinsic::nvvm_atomic_load_inc_32 : llvm::Intrinsic::nvvm_atomic_load_dec_32;
    return b_.CreateIntrinsic(id, {addr->getType()}, {addr, v});
  }
  if (e->builtin == B::AtomicCas) {
    llvm::Value* nv = LowerExpr(e->args[2]);
    if (scoped) {
      auto id = e->scope == ast::AtomicScope::Block ? llvm::Intrinsic::nvvm_atomic_cas_gen_i_cta
                                                    : llvm::Intrinsic::nvvm_atomic_cas_gen_i_sys;
      return b_.CreateIntrinsic(id, {ValTy(t), b_.getPtrTy()}, {p, v, nv});
    }
    auto* cx = b_.CreateAtomicCmpXchg(p, v, nv, align, ord, ord);
    return b_.CreateExtractValue(cx, 0);
  }
  bool is_signed = t->IsInt() && t->is_signed;
  llvm::AtomicRMWInst::BinOp op;
  switch (e->builtin) {
    case B::AtomicAdd: op = t->IsFloat() ? llvm::AtomicRMWInst::FAdd : llvm::AtomicRMWInst::Add; break;
    case B::AtomicSub: op = llvm::AtomicRMWInst::Sub; break;
    case B::AtomicMin: op = is_signed ? llvm::AtomicRMWInst::Min : llvm::AtomicRMWInst::UMin; break;
    case B::AtomicMax: op = is_signed ? llvm::AtomicRMWInst::Max : llvm::AtomicRMWInst::UMax; break;
    case B::AtomicAnd: op = llvm::AtomicRMWInst::And; break;
    case B::AtomicOr: op = llvm::AtomicRMWInst::Or; break;
    case B::AtomicXor: op = llvm::AtomicRMWInst::Xor; break;
    // CUDA's atomicInc/atomicDec: old >= v ? 0 : old + 1, and old == 0 || old > v ? v : old - 1.
    case B::AtomicInc: op = llvm::AtomicRMWInst::UIncWrap; break;
    case B::AtomicDec: op = llvm::AtomicRMWInst::UDecWrap; break;
    default: op = llvm::AtomicRMWInst::Xchg; break;
  }
  if (scoped) {
    bool cta = e->scope == ast::AtomicScope::Block;
    llvm::Intrinsic::ID id = llvm::Intrinsic::not_intrinsic;
    llvm::Value* operand = v;
    switch (op) {
      case llvm::AtomicRMWInst::Add:
        id = cta ? llvm::Intrinsic::nvvm_atomic_add_gen_i_cta : llvm::Intrinsic::nvvm_atomic_add_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::FAdd:
        id = cta ? llvm::Intrinsic::nvvm_atomic_add_gen_f_cta : llvm::Intrinsic::nvvm_atomic_add_gen_f_sys;
        break;
      case llvm::AtomicRMWInst::Sub:
        id = cta ? llvm::Intrinsic::nvvm_atomic_add_gen_i_cta : llvm::Intrinsic::nvvm_atomic_add_gen_i_sys;
        operand = b_.CreateNeg(v);
        break;
      case llvm::AtomicRMWInst::Min:
        id = cta ? llvm::Intrinsic::nvvm_atomic_min_gen_i_cta : llvm::Intrinsic::nvvm_atomic_min_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::Max:
        id = cta ? llvm::Intrinsic::nvvm_atomic_max_gen_i_cta : llvm::Intrinsic::nvvm_atomic_max_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::Xchg:
        if (t->IsInt()) id = cta ? llvm::Intrinsic::nvvm_atomic_exch_gen_i_cta : llvm::Intrinsic::nvvm_atomic_exch_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::And:
        id = cta ? llvm::Intrinsic::nvvm_atomic_and_gen_i_cta : llvm::Intrinsic::nvvm_atomic_and_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::Or:
        id = cta ? llvm::Intrinsic::nvvm_atomic_or_gen_i_cta : llvm::Intrinsic::nvvm_atomic_or_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::Xor:
        id = cta ? llvm::Intrinsic::nvvm_atomic_xor_gen_i_cta : llvm::Intrinsic::nvvm_atomic_xor_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::UIncWrap:
        id = cta ? llvm::Intrinsic::nvvm_atomic_inc_gen_i_cta : llvm::Intrinsic::nvvm_atomic_inc_gen_i_sys;
        break;
      case llvm::AtomicRMWInst::UDecWrap:
        id = cta ? llvm::Intrinsic::nvvm_atomic_dec_gen_i_cta : llvm::Intrinsic::nvvm_atomic_dec_gen_i_sys;
        break;
      default:
        break;
    }
    if (id != llvm::Intrinsic::not_intrinsic) return b_.CreateIntrinsic(id, {ValTy(t), b_.getPtrTy()}, {p, operand});
    // Unsigned min/max and float exchange have no scoped form: a compare-and-swap loop of that scope.
    return AtomicCasLoop(op, p, v, t, cta);
  }
  return b_.CreateAtomicRMW(op, p, v, align, ord);
}

// atomic_add on an f16, a bf16, a vec<f16, 2> or a vec<bf16, 2>: the old value. On the device,
// PTX's atom.add.noftz.f16 and .f16x2 (sm_70, sm_60: every architecture Fusion compiles for) and
// .bf16 and .bf16x2 (sm_90): LLVM's atomicrmw for an f16 of device scope or in a `shared var`
// (atom.global or atom.shared after address-space inference), inline PTX otherwise (LLVM 19
// expands an atomicrmw on <2 x half> into a compare-and-swap loop and drops the scope). Elsewhere
// (bf16 below sm_90, and kernels compiled for the CPU executor: atomic_add is kernel-only, so host
// code never gets here): a compare-and-swap loop on the aligned 32-bit word that holds the value,
// each sum rounded once as `+` rounds it.
auto Lowerer::HalfAtomicAdd(llvm::Value* p, llvm::Value* v, const Type* t, ast::AtomicScope scope, bool shared)
    -> llvm::Value* {
  const Type* elem = t->IsVector() ? t->elem : t;
  bool packed = t->IsVector();
  bool scoped = device_ && scope != ast::AtomicScope::Device && !shared;
  llvm::Type* bits_ty = packed ? b_.getInt32Ty() : b_.getInt16Ty();
  llvm::Type* val_ty = MemTy(t);
  if (device_ && (!elem->is_bfloat || device_sm_ >= 90)) {
    if (!packed && !elem->is_bfloat && !scoped)
      return b_.CreateAtomicRMW(llvm::AtomicRMWInst::FAdd, p, v, llvm::Align(2), llvm::AtomicOrdering::Monotonic);
    std::string op = "atom";
    if (scoped) op += scope == ast::AtomicScope::Block ? ".cta" : ".sys";
    if (shared) op += ".shared";
    op += std::string(".add.noftz.") + (elem->is_bfloat ? "bf16" : "f16") + (packed ? "x2" : "");
    llvm::Value* addr = shared ? b_.CreateAddrSpaceCast(p, b_.getPtrTy(kSharedAddrSpace)) : p;
    const char* reg = packed ? "r" : "h";
    auto* fty = llvm::FunctionType::get(bits_ty, {addr->getType(), bits_ty}, false);
    auto* asm_fn = llvm::InlineAsm::get(fty, op + " $0, [$1], $2;", std::string("=") + reg + ",l," + reg + ",~{memory}",
                                        /*hasSideEffects=*/true);
    return b_.CreateBitCast(b_.CreateCall(fty, asm_fn, {addr, b_.CreateBitCast(v, bits_ty)}), val_ty);
  }
  // The word: p itself for a pair; for one half, p rounded down to 4 bytes, the half at bit 0 or 16.
  llvm::Type* i32 = b_.getInt32Ty();
  llvm::Value* word = p;
  llvm::Value* shift = b_.getInt32(0);
  if (!packed) {
    llvm::Value* low = b_.CreateAnd(b_.CreatePtrToInt(p, b_.getInt64Ty()), b_.getInt64(2));
    word = b_.CreateGEP(b_.getInt8Ty(), p, b_.CreateNeg(low));
    shift = b_.CreateTrunc(b_.CreateShl(low, 3), i32);
  }
  auto part = [&](llvm::Value* w) {  // the value's bits in word w
    return packed ? w : b_.CreateTrunc(b_.CreateLShr(w, shift), bits_ty);
  };
  llvm::Value* seen = CasLoop(word, i32, scoped ? scope : ast::AtomicScope::Device, [&](llvm::Value* old) {
    llvm::Value* sum = LowerArith(lex::TokenKind::Plus, b_.CreateBitCast(part(old), val_ty), v, t, {});
    llvm::Value* sum_bits = b_.CreateBitCast(sum, bits_ty);
    if (packed) return sum_bits;
    llvm::Value* keep = b_.CreateAnd(old, b_.CreateNot(b_.CreateShl(b_.getInt32(0xffff), shift)));
    return b_.CreateOr(keep, b_.CreateShl(b_.CreateZExt(sum_bits, i32), shift));
  });
  return b_.CreateBitCast(part(seen), val_ty);
}

// Unsigned min/max and float exchange of block or system scope, which have no scoped atomic.
auto Lowerer::AtomicCasLoop(llvm::AtomicRMWInst::BinOp op, llvm::Value* p, llvm::Value* v, const Type* t, bool cta)
    -> llvm::Value* {
  llvm::Type* it = b_.getIntNTy(t->bits);
  llvm::Value* vi = t->IsFloat() ? b_.CreateBitCast(v, it) : v;
  llvm::Value* seen = CasLoop(p, it, cta ? ast::AtomicScope::Block : ast::AtomicScope::System, [&](llvm::Value* old) {
    if (op == llvm::AtomicRMWInst::UMin) return b_.CreateSelect(b_.CreateICmpULT(old, vi), old, vi);
    if (op == llvm::AtomicRMWInst::UMax) return b_.CreateSelect(b_.CreateICmpUGT(old, vi), old, vi);
    return vi;
  });
  return t->IsFloat() ? b_.CreateBitCast(seen, ValTy(t)) : seen;
}

// old = *p; loop { seen = cas(p, old, next(old)); if seen == old break; old = seen }: the value
// that was replaced. Device scope is an atomic cmpxchg; block and system scope NVVM's scoped
// compare-and-swap (device code only).
auto Lowerer::CasLoop(llvm::Value* p, llvm::Type* it, ast::AtomicScope scope,
                      const std::function<llvm::Value*(llvm::Value*)>& next) -> llvm::Value* {
  llvm::Value* first = b_.CreateLoad(it, p, /*isVolatile=*/true);
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  auto* loop = llvm::BasicBlock::Create(ctx_, "cas.loop", fn_);
  auto* done = llvm::BasicBlock::Create(ctx_, "cas.done", fn_);
  b_.CreateBr(loop);
  b_.SetInsertPoint(loop);
  llvm::PHINode* old = b_.CreatePHI(it, 2);
  old->addIncoming(first, pre);
  llvm::Value* nv = next(old);
  llvm::Value* seen;
  if (scope == ast::AtomicScope::Device) {
    auto ord = llvm::AtomicOrdering::Monotonic;
    seen = b_.CreateExtractValue(b_.CreateAtomicCmpXchg(p, old, nv, llvm::MaybeAlign(), ord, ord), 0);
  } else {
    auto id = scope == ast::AtomicScope::Block ? llvm::Intrinsic::nvvm_atomic_cas_gen_i_cta
                                               : llvm::Intrinsic::nvvm_atomic_cas_gen_i_sys;
    seen = b_.CreateIntrinsic(id, {it, b_.getPtrTy()}, {p, old, nv});
  }
  old->addIncoming(seen, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpEQ(seen, old), done, loop);
  b_.SetInsertPoint(done);
  return seen;
}

// ---- the host's gpu.* ----

// gpu.NAME(args) → rt_gpu_api_NAME(lowered args…, loc), each argument lowered as its letter in
// base/gpu_api.def says: counts become bytes, a fill value its bits and size.
auto Lowerer::LowerGpuApi(const ast::Call* e) -> llvm::Value* {
  int index = static_cast<int>(e->builtin) - static_cast<int>(ast::Builtin::GpuFirst) - 1;
  FUSION_CHECK(index >= 0 && static_cast<size_t>(index) < kGpuApiCount) << "gpu builtin";
  const GpuApiFn& fn = kGpuApi[index];
  // The element type: the type argument's (the result is *T), or the first pointer argument's.
  const Type* elem = fn.result[0] == 'T' ? e->type->elem : nullptr;
  std::vector<llvm::Value*> args;
  for (size_t i = 0; fn.params[i]; i++) {
    const ast::Expr* a = e->args[i];
    llvm::Value* v = LowerExpr(a);
    switch (fn.params[i]) {
      case 'P':
        if (!elem) elem = a->type->elem;
        args.push_back(v);
        break;
      case 'N': {
        // A count that is negative, or whose bytes do not fit in 64 bits, is a panic here rather
        // than a wrapped size (`gpu.alloc<f64>(1 << 61)` would otherwise allocate nothing).
        llvm::Value* n = IntCast(v, a->type, b_.getInt64Ty());
        std::string what = std::string("gpu.") + fn.name + ": ";
        if (a->type->is_signed)
          FailIf(b_.CreateICmpSLT(n, b_.getInt64(0)), Runtime("rt_panic"),
                 {StringConst(what + "the count is negative"), LocOf(a->range)});
        llvm::Value* product = b_.CreateIntrinsic(llvm::Intrinsic::umul_with_overflow, {b_.getInt64Ty()},
                                                  {n, b_.getInt64(elem->size)});
        FailIf(b_.CreateExtractValue(product, 1), Runtime("rt_panic"),
               {StringConst(what + "the count times the size of " + sema::ToString(elem) + " does not fit in 64 bits"),
                LocOf(a->range)});
        args.push_back(b_.CreateExtractValue(product, 0));
        break;
      }
      case 'V': {
        args.push_back(ScalarBits(v, elem));
        args.push_back(b_.getInt32(static_cast<uint32_t>(elem->size)));
        break;
      }
      default:  // pointers, i32, streams and events as they are
        args.push_back(v);
        break;
    }
  }
  args.push_back(LocOf(e->range));
  llvm::Value* result = b_.CreateCall(Runtime((std::string("rt_gpu_api_") + fn.name).c_str()), args);
  return fn.result[0] == 'v' ? nullptr : result;
}

}  // namespace fusion::lower
