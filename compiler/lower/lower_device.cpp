// The device's part of the runtime, defined in the device module itself: panics (the message,
// the Fusion source location, the block and thread, through PTX's vprintf; then a trap, which
// the CUDA driver reports as an error of the launch) and `print` as one vprintf per call.
#include <llvm/IR/IntrinsicsNVPTX.h>

#include <functional>

#include "base/check.h"
#include "lower/lowerer.h"

namespace fusion::lower {

void Lowerer::DeviceVprintf(const std::string& format, llvm::ArrayRef<llvm::Value*> args) {
  auto* ptr = b_.getPtrTy();
  llvm::FunctionCallee vprintf =
      mod_->getOrInsertFunction("vprintf", llvm::FunctionType::get(b_.getInt32Ty(), {ptr, ptr}, false));
  llvm::Value* buf = llvm::ConstantPointerNull::get(ptr);
  if (!args.empty()) {
    // The arguments in a buffer, each at its natural alignment, as CUDA's printf packs them.
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto* st = llvm::StructType::get(ctx_, types);
    llvm::AllocaInst* tmp = EntryAlloca(st, "printf.args");
    for (size_t i = 0; i < args.size(); i++) b_.CreateStore(args[i], b_.CreateStructGEP(st, tmp, i));
    buf = tmp;
  }
  b_.CreateCall(vprintf, {StringConst(format), buf});
}

void Lowerer::DefineDeviceRuntime() {
  auto* ptr = b_.getPtrTy();
  auto* i32 = b_.getInt32Ty();
  auto* i64 = b_.getInt64Ty();
  // Each failure: its message format and arguments, then "  at FILE:LINE:COL (block …, thread …)".
  auto define = [&](const char* name, std::vector<llvm::Type*> params,
                    const std::function<std::pair<std::string, std::vector<llvm::Value*>>(llvm::Function*)>& message) {
    auto* f = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), params, false),
                                     llvm::Function::InternalLinkage, name, *mod_);
    f->addFnAttr(llvm::Attribute::NoReturn);
    f->addFnAttr(llvm::Attribute::Cold);
    f->addFnAttr(llvm::Attribute::NoInline);
    f->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::Function* saved = fn_;
    fn_ = f;
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", f));
    auto [format, args] = message(f);
    llvm::Value* loc = f->getArg(f->arg_size() - 1);
    args.push_back(b_.CreateLoad(ptr, b_.CreateStructGEP(loc_ty_, loc, 0)));
    args.push_back(b_.CreateLoad(i32, b_.CreateStructGEP(loc_ty_, loc, 1)));
    args.push_back(b_.CreateLoad(i32, b_.CreateStructGEP(loc_ty_, loc, 2)));
    for (llvm::Intrinsic::ID id :
         {llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x, llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_y,
          llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_z, llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x,
          llvm::Intrinsic::nvvm_read_ptx_sreg_tid_y, llvm::Intrinsic::nvvm_read_ptx_sreg_tid_z})
      args.push_back(b_.CreateIntrinsic(id, {}, {}));
    DeviceVprintf(format + "\n  at %s:%d:%d (block (%u, %u, %u), thread (%u, %u, %u))\n", args);
    b_.CreateIntrinsic(llvm::Intrinsic::trap, {}, {});
    b_.CreateUnreachable();
    fn_ = saved;
    runtime_[name] = f;
  };
  define("rt_panic", {ptr, ptr}, [&](llvm::Function* f) {
    return std::make_pair(std::string("panic: %s"), std::vector<llvm::Value*>{f->getArg(0)});
  });
  define("rt_panic_assert", {ptr, ptr}, [&](llvm::Function* f) {
    return std::make_pair(std::string("panic: assertion failed: %s"), std::vector<llvm::Value*>{f->getArg(0)});
  });
  define("rt_panic_bounds", {i64, i64, ptr}, [&](llvm::Function* f) {
    return std::make_pair(std::string("panic: index %lld out of bounds for length %llu"),
                          std::vector<llvm::Value*>{f->getArg(0), f->getArg(1)});
  });
  define("rt_panic_bounds_u", {i64, i64, ptr}, [&](llvm::Function* f) {
    return std::make_pair(std::string("panic: index %llu out of bounds for length %llu"),
                          std::vector<llvm::Value*>{f->getArg(0), f->getArg(1)});
  });
  define("rt_panic_div_zero", {b_.getInt1Ty(), ptr}, [&](llvm::Function* f) {
    llvm::Value* what = b_.CreateSelect(f->getArg(0), StringConst("remainder"), StringConst("division"));
    return std::make_pair(std::string("panic: %s by zero"), std::vector<llvm::Value*>{what});
  });
}

// print(a, b, …) in device code: one vprintf, so that lines of different threads do not mix.
// Floats print with printf's %.9g (f32), %.17g (f64), %.5g (f16) and %.4g (bf16): the same value,
// not always the same digits as the host's shortest form.
void Lowerer::LowerDevicePrint(const ast::Call* e) {
  std::string format;
  std::vector<llvm::Value*> args;
  for (size_t i = 0; i < e->args.size(); i++) {
    if (i > 0) format += " ";
    const ast::Expr* a = e->args[i];
    llvm::Value* v = LowerExpr(a);
    if (a->type->IsVector()) {  // [a, b, …]: each lane as a scalar prints
      format += "[";
      for (uint64_t lane = 0; lane < a->type->count; lane++) {
        if (lane > 0) format += ", ";
        DevicePrintScalar(b_.CreateExtractElement(v, lane), a->type->elem, format, args);
      }
      format += "]";
      continue;
    }
    DevicePrintScalar(v, a->type, format, args);
  }
  DeviceVprintf(format + "\n", args);
}

// One value of a device `print`: its conversion in `format`, its value in `args`.
void Lowerer::DevicePrintScalar(llvm::Value* v, const Type* t, std::string& format, std::vector<llvm::Value*>& args) {
  switch (t->kind) {
    case TypeKind::Int:
    case TypeKind::Enum: {
      const Type* it = t->kind == TypeKind::Enum ? t->backing : t;
      format += it->is_signed ? "%lld" : "%llu";
      args.push_back(IntCast(v, it, b_.getInt64Ty()));
      break;
    }
    case TypeKind::Float:
      format += t->bits == 16 ? (t->is_bfloat ? "%.4g" : "%.5g") : t->bits == 32 ? "%.9g" : "%.17g";
      args.push_back(FloatCast(v, t, m_.types->f64()));
      break;
    case TypeKind::Bool:
      format += "%s";
      args.push_back(b_.CreateSelect(v, StringConst("true"), StringConst("false")));
      break;
    case TypeKind::CString:
      format += "%s";
      args.push_back(v);
      break;
    default:
      format += "%p";
      args.push_back(v);
      break;
  }
}

}  // namespace fusion::lower
