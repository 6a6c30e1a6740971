// Tensor cores: mma_* (mma.sync.aligned on a warp's per-lane fragments), ldmatrix_*, and the
// packing helpers pack_half2 and to_tf32 (docs/gpu.md, "Tensor cores"). On the device NVVM's
// intrinsics; on the host each lane's operands go into a record of RT_GPU_MMA_WORDS words that the
// CPU executor computes on for the whole warp (rt_gpu_mma; a split kernel's warp at once,
// rt_gpu_mma_warp, lower_split.cpp).
#include "base/check.h"
#include "fusion/rt_gpu.h"
#include "lower/lowerer.h"

#include <llvm/IR/IntrinsicsNVPTX.h>

namespace fusion::lower {

namespace {
using B = ast::Builtin;

auto IsLdmatrix(B b) -> bool { return b >= B::LdmatrixX1 && b <= B::LdmatrixX4Trans; }

// The rt_gpu_mma_kind of an mma_* or ldmatrix_* builtin (the same order).
auto TensorCoreKind(B b) -> int { return static_cast<int>(b) - static_cast<int>(B::MmaM16n8k16F16); }

// Word offsets of a record's parts (rt_gpu.h).
constexpr unsigned kA = 0, kB = 4, kC = 8, kD = 12;
constexpr unsigned kSharedAddrSpace = 3;  // NVPTX's block-shared memory
}  // namespace

// Stores the operands of mma or ldmatrix `e`, evaluated for this lane, into its record.
void Lowerer::TensorCoreOperands(const ast::Call* e, llvm::Value* record) {
  auto* i32 = b_.getInt32Ty();
  auto* rec_ty = llvm::ArrayType::get(i32, RT_GPU_MMA_WORDS);
  auto word = [&](unsigned i) { return b_.CreateConstInBoundsGEP2_32(rec_ty, record, 0, i); };
  if (IsLdmatrix(e->builtin)) {
    b_.CreateStore(LowerExpr(e->args[0]), word(0));  // the row address, in words 0 and 1
    return;
  }
  static const unsigned kAt[3] = {kA, kB, kC};
  for (size_t i = 0; i < 3; i++) {
    const ast::Expr* a = e->args[i];
    llvm::Value* src = AddressOf(a);
    b_.CreateMemCpy(word(kAt[i]), llvm::MaybeAlign(4), src, llvm::MaybeAlign(a->type->align), a->type->size);
  }
}

// The result of `e` from a record the runtime has filled: D, or the registers ldmatrix loaded.
auto Lowerer::TensorCoreResult(const ast::Call* e, llvm::Value* record) -> llvm::Value* {
  auto* rec_ty = llvm::ArrayType::get(b_.getInt32Ty(), RT_GPU_MMA_WORDS);
  return Load(b_.CreateConstInBoundsGEP2_32(rec_ty, record, 0, kD), e->type);
}

auto Lowerer::LowerTensorCore(const ast::Call* e) -> llvm::Value* {
  // A vec<f16, 2> is an f16x2 register: lane 0 in the low 16 bits, on both devices.
  if (e->builtin == B::PackHalf2 && e->args.size() == 1) return b_.CreateBitCast(LowerExpr(e->args[0]), b_.getInt32Ty());
  if (e->builtin == B::UnpackHalf2) return b_.CreateBitCast(LowerExpr(e->args[0]), MemTy(e->type));
  if (e->builtin == B::PackHalf2) {
    // lo | hi << 16, from the halves' bits: the same on both devices.
    auto* i16 = b_.getInt16Ty();
    llvm::Value* lo = b_.CreateZExt(b_.CreateBitCast(LowerExpr(e->args[0]), i16), b_.getInt32Ty());
    llvm::Value* hi = b_.CreateZExt(b_.CreateBitCast(LowerExpr(e->args[1]), i16), b_.getInt32Ty());
    return b_.CreateOr(lo, b_.CreateShl(hi, 16));
  }
  if (e->builtin == B::ToTf32) return LowerToTf32(LowerExpr(e->args[0]));
  if (device_) return IsLdmatrix(e->builtin) ? LowerDeviceLdmatrix(e) : LowerDeviceMma(e);
  llvm::AllocaInst* record = EntryAlloca(llvm::ArrayType::get(b_.getInt32Ty(), RT_GPU_MMA_WORDS), "mma.lane");
  record->setAlignment(llvm::Align(8));
  TensorCoreOperands(e, record);
  b_.CreateCall(Runtime("rt_gpu_mma"), {thread_, b_.getInt32(TensorCoreKind(e->builtin)), record});
  return TensorCoreResult(e, record);
}

// cvt.rna.tf32.f32 in integer operations, on both devices alike (LLVM 19 has no intrinsic for it):
// a finite value rounds its 13 low bits to nearest, ties away from zero (a carry into the exponent
// is right, up to infinity); infinities stay; a NaN stays a NaN (quiet, its sign kept).
auto Lowerer::LowerToTf32(llvm::Value* f) -> llvm::Value* {
  auto* i32 = b_.getInt32Ty();
  llvm::Value* bits = b_.CreateBitCast(f, i32);
  llvm::Value* magnitude = b_.CreateAnd(bits, b_.getInt32(0x7fffffff));
  llvm::Value* rounded = b_.CreateAnd(b_.CreateAdd(bits, b_.getInt32(0x1000)), b_.getInt32(0xffffe000u));
  llvm::Value* special = b_.CreateAnd(b_.CreateOr(bits, b_.getInt32(0x00400000)), b_.getInt32(0xffffe000u));
  llvm::Value* is_nan = b_.CreateICmpUGT(magnitude, b_.getInt32(0x7f800000));
  llvm::Value* is_inf = b_.CreateICmpEQ(magnitude, b_.getInt32(0x7f800000));
  return b_.CreateSelect(is_nan, special, b_.CreateSelect(is_inf, bits, rounded));
}

// mma.sync.aligned.m16n8kK.row.col with f32 (or s32) accumulators: NVVM's llvm.nvvm.mma.*, whose
// f16 operands are <2 x half> registers and all others i32.
auto Lowerer::LowerDeviceMma(const ast::Call* e) -> llvm::Value* {
  using namespace llvm::Intrinsic;
  static const ID kIds[] = {
      nvvm_mma_m16n8k16_row_col_f32_f32, nvvm_mma_m16n8k16_row_col_bf16, nvvm_mma_m16n8k8_row_col_f32_f32,
      nvvm_mma_m16n8k8_row_col_bf16,     nvvm_mma_m16n8k8_row_col_tf32,  nvvm_mma_m16n8k4_row_col_tf32,
      nvvm_mma_m16n8k32_row_col_s8,      nvvm_mma_m16n8k32_row_col_u8,   nvvm_mma_m16n8k16_row_col_s8,
      nvvm_mma_m16n8k16_row_col_u8,
  };
  bool f16 = e->builtin == B::MmaM16n8k16F16 || e->builtin == B::MmaM16n8k8F16;
  auto* half2 = llvm::FixedVectorType::get(b_.getHalfTy(), 2);
  std::vector<llvm::Value*> operands;
  for (size_t i = 0; i < 3; i++) {
    llvm::Value* array = LowerExpr(e->args[i]);
    uint64_t n = e->args[i]->type->count;
    for (unsigned j = 0; j < n; j++) {
      llvm::Value* v = b_.CreateExtractValue(array, j);
      operands.push_back(f16 && i < 2 ? b_.CreateBitCast(v, half2) : v);
    }
  }
  llvm::Function* fn = llvm::Intrinsic::getDeclaration(mod_.get(), kIds[TensorCoreKind(e->builtin)]);
  llvm::Value* d = b_.CreateCall(fn, operands);
  llvm::Value* result = llvm::PoisonValue::get(MemTy(e->type));
  for (unsigned j = 0; j < 4; j++) result = b_.CreateInsertValue(result, b_.CreateExtractValue(d, j), j);
  return result;
}

// ldmatrix.sync.aligned.m8n8.xN[.trans].shared.b16: the row address as a shared-memory one.
auto Lowerer::LowerDeviceLdmatrix(const ast::Call* e) -> llvm::Value* {
  using namespace llvm::Intrinsic;
  static const ID kIds[] = {
      nvvm_ldmatrix_sync_aligned_m8n8_x1_b16,       nvvm_ldmatrix_sync_aligned_m8n8_x2_b16,
      nvvm_ldmatrix_sync_aligned_m8n8_x4_b16,       nvvm_ldmatrix_sync_aligned_m8n8_x1_trans_b16,
      nvvm_ldmatrix_sync_aligned_m8n8_x2_trans_b16, nvvm_ldmatrix_sync_aligned_m8n8_x4_trans_b16,
  };
  llvm::Value* p = b_.CreateAddrSpaceCast(LowerExpr(e->args[0]), b_.getPtrTy(kSharedAddrSpace));
  int index = static_cast<int>(e->builtin) - static_cast<int>(B::LdmatrixX1);
  llvm::Value* r = b_.CreateIntrinsic(kIds[index], {p->getType()}, {p});
  uint64_t n = e->type->count;
  llvm::Value* result = llvm::PoisonValue::get(MemTy(e->type));
  for (unsigned j = 0; j < n; j++) result = b_.CreateInsertValue(result, n == 1 ? r : b_.CreateExtractValue(r, j), j);
  return result;
}

}  // namespace fusion::lower
