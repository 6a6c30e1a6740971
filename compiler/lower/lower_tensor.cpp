// Tensors (docs/tensors.md): the runs the fusion pass planned (fuse/fuse.h), and the tensor
// functions that are runtime calls (creation, views, matmul, elements). A tensor is a counted
// reference to the runtime's rt_tensor (lower/lower_ref.cpp has the rule).
#include "base/check.h"
#include "fusion/rt_tensor.h"
#include "lower/lowerer.h"

static_assert(fusion::fuse::kDtypes == RT_DTYPE_COUNT && fusion::fuse::kReduces == RT_REDUCE_COUNT,
              "fuse/fuse.h and fusion/rt_tensor.h number element types and reductions alike");

namespace fusion::lower {

using B = ast::Builtin;

void Lowerer::LowerFlushes(const ast::Stmt* s) {
  auto it = options_.tensors->flush_before.find(s);
  if (it == options_.tensors->flush_before.end()) return;
  for (const fuse::Flush& f : it->second) StoreRef(locals_.at(f.let), LowerRun(*f.run));
}

// `t = v`, `t op= v` (in place, through the fusion pass's run of `t op v`), `t[i, j] = v`.
void Lowerer::LowerTensorAssign(const ast::Assign* a) {
  if (auto* index = As<ast::Index>(a->target)) {
    llvm::Value* t = LowerExpr(index->base);
    auto [idx, n] = TensorIndices(index, t);
    llvm::Value* v = LowerExpr(a->value);
    b_.CreateCall(Runtime("rt_tensor_set"), {t, b_.getInt32(n), idx, ScalarBits(v, a->value->type), LocOf(a->range)});
    ReleaseIfOwned(index->base, t);
    return;
  }
  if (a->op == TokenKind::Eq) {
    if (options_.tensors && options_.tensors->deferred_assigns.count(a)) return;  // computed where needed
    llvm::Value* v = OwnedRef(a->value);
    StoreRef(LowerAddr(a->target), v);
    return;
  }
  const fuse::Run& run = *options_.tensors->compound.at(a);
  llvm::Value* r = LowerRun(run);
  llvm::Value* t = LowerExpr(a->target);
  b_.CreateCall(Runtime("rt_tensor_assign"), {t, r, LocOf(a->range)});
  b_.CreateCall(Runtime("rt_release"), {r});
}

// A scalar's bytes, zero-extended to 64 bits: how the runtime takes a value of any element type
// (gpu.fill's pattern, a tensor's fill value or element, a kernel scalar in its 64-bit slot), of
// which it reads the element's own low bytes.
auto Lowerer::ScalarBits(llvm::Value* v, const Type* t) -> llvm::Value* {
  if (v->getType()->isPointerTy()) return b_.CreatePtrToInt(v, b_.getInt64Ty());
  llvm::Value* raw = v->getType()->isIntegerTy() ? v : b_.CreateBitCast(v, b_.getIntNTy(static_cast<unsigned>(t->size * 8)));
  return b_.CreateZExt(raw, b_.getInt64Ty());
}

auto Lowerer::FromBits(llvm::Value* bits, const Type* t) -> llvm::Value* {
  if (t->IsFloat()) {
    if (t->IsHalf()) return b_.CreateBitCast(b_.CreateTrunc(bits, b_.getInt16Ty()), ValTy(t));
    if (t->bits == 32) return b_.CreateBitCast(b_.CreateTrunc(bits, b_.getInt32Ty()), b_.getFloatTy());
    return b_.CreateBitCast(bits, b_.getDoubleTy());
  }
  if (t->kind == TypeKind::Bool) return b_.CreateICmpNE(bits, b_.getInt64(0));
  return b_.CreateTrunc(bits, ValTy(t));
}

// i64 values in a stack array, for the runtime calls that take sizes or indices.
auto Lowerer::I64Array(const std::vector<llvm::Value*>& values) -> llvm::Value* {
  auto* ty = llvm::ArrayType::get(b_.getInt64Ty(), std::max<size_t>(values.size(), 1));
  llvm::Value* array = EntryAlloca(ty, "i64s");
  for (size_t i = 0; i < values.size(); i++) b_.CreateStore(values[i], b_.CreateConstGEP2_32(ty, array, 0, i));
  return array;
}

// Integer expressions (sizes, indices) as an i64 array: (pointer, count).
auto Lowerer::I64Args(const std::vector<const ast::Expr*>& exprs) -> std::pair<llvm::Value*, int> {
  std::vector<llvm::Value*> values;
  for (const ast::Expr* a : exprs) values.push_back(IntCast(LowerExpr(a), a->type, b_.getInt64Ty()));
  return {I64Array(values), static_cast<int>(values.size())};
}

// A tensor's indices count from the end when negative; an unsigned one beyond i64's range is out
// of bounds instead (as an i64 it would be negative), and reported as the unsigned value.
auto Lowerer::TensorIndices(const ast::Index* e, llvm::Value* t) -> std::pair<llvm::Value*, int> {
  std::vector<const ast::Expr*> all = {e->index};
  all.insert(all.end(), e->more.begin(), e->more.end());
  std::vector<llvm::Value*> values;
  for (size_t a = 0; a < all.size(); a++) {
    llvm::Value* v = IntCast(LowerExpr(all[a]), all[a]->type, b_.getInt64Ty());
    if (all[a]->type->IsInt() && !all[a]->type->is_signed && all[a]->type->bits == 64)
      FailIf(b_.CreateICmpSLT(v, b_.getInt64(0)), Runtime("rt_tensor_index_u"),
             {t, b_.getInt32(static_cast<int>(a)), v, LocOf(all[a]->range)});
    values.push_back(v);
  }
  return {I64Array(values), static_cast<int>(values.size())};
}

auto Lowerer::LowerTensorIndex(const ast::Index* e) -> llvm::Value* {
  llvm::Value* t = LowerExpr(e->base);
  auto [idx, n] = TensorIndices(e, t);
  llvm::Value* bits = b_.CreateCall(Runtime("rt_tensor_get"), {t, b_.getInt32(n), idx, LocOf(e->range)});
  ReleaseIfOwned(e->base, t);
  return FromBits(bits, e->type);
}

// rt_tensor_group for `g` (fusion/rt_tensor.h), a constant.
auto Lowerer::GroupDesc(const fuse::Group& g) -> llvm::Constant* {
  auto* i32 = b_.getInt32Ty();
  auto* ptr = b_.getPtrTy();
  auto* node_ty = llvm::StructType::get(ctx_, {llvm::ArrayType::get(i32, 3), ptr, ptr});
  int n_in = static_cast<int>(g.inputs.size());
  // The runtime's nodes: the operations only; an operand is input k (k), operation m (n_in + m),
  // or -1 (a scalar or nothing).
  std::vector<int> op_of(g.nodes.size(), -1);
  std::vector<llvm::Constant*> nodes;
  auto operand = [&](int node) {
    if (node < 0) return -1;
    const fuse::Node& n = g.nodes[node];
    if (n.kind == fuse::OpKind::Input) return n.index;
    if (n.kind == fuse::OpKind::Scalar) return -1;
    return n_in + op_of[node];
  };
  auto add = [&](int a, int b, int c, const char* text, SourceRange where) {
    nodes.push_back(llvm::ConstantStruct::get(
        node_ty, {llvm::ConstantArray::get(llvm::ArrayType::get(i32, 3), {b_.getInt32(a), b_.getInt32(b), b_.getInt32(c)}),
                  StringConst(text), LocOf(where)}));
    return static_cast<int>(nodes.size() - 1);
  };
  for (size_t i = 0; i < g.nodes.size(); i++) {
    const fuse::Node& n = g.nodes[i];
    if (n.kind == fuse::OpKind::Input || n.kind == fuse::OpKind::Scalar) continue;
    SourceRange where = n.expr ? n.expr->range : g.where;
    if (n.kind == fuse::OpKind::Map) {
      // Three operands a node: a map of more arguments chains nodes.
      const std::vector<int>& args = g.map_args[n.index];
      int acc = -1;
      for (size_t k = 0; k < args.size(); k += 2) {
        int a = acc >= 0 ? n_in + acc : operand(args[k]);
        int b = acc >= 0 ? operand(args[k]) : (k + 1 < args.size() ? operand(args[k + 1]) : -1);
        int c = acc >= 0 && k + 1 < args.size() ? operand(args[k + 1]) : -1;
        if (acc < 0 && k + 2 < args.size()) c = operand(args[k + 2]), k++;
        acc = add(a, b, c, n.text, where);
      }
      op_of[i] = acc;
      continue;
    }
    op_of[i] = add(operand(n.args[0]), operand(n.args[1]), operand(n.args[2]), n.text, where);
  }
  const fuse::Node& last = g.nodes.back();
  if (last.kind == fuse::OpKind::Input || last.kind == fuse::OpKind::Scalar)
    add(operand(static_cast<int>(g.nodes.size() - 1)), -1, -1, g.reduce == fuse::Reduce::None ? "copy" : "reduce", g.where);
  llvm::Constant* nodes_arr = llvm::ConstantPointerNull::get(ptr);
  if (!nodes.empty()) {
    auto* arr_ty = llvm::ArrayType::get(node_ty, nodes.size());
    auto* gv = new llvm::GlobalVariable(*mod_, arr_ty, true, llvm::GlobalValue::PrivateLinkage,
                                        llvm::ConstantArray::get(arr_ty, nodes), ".tensor.nodes");
    nodes_arr = gv;
  }
  auto kernel = [&](const char* suffix) -> llvm::Constant* {
    const ast::FnDecl* k = options_.tensors->Kernel(g.kernel + suffix);
    if (!k) return llvm::ConstantPointerNull::get(ptr);
    return kernels_.at(k);
  };
  bool reduce = g.reduce != fuse::Reduce::None;
  LineCol lc = sources_.LineColOf(g.where.begin);
  std::string name = sources_.file(g.where.begin.file).path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
  auto* desc_ty = llvm::StructType::get(ctx_, {ptr, i32, i32, i32, i32, i32, i32, i32, ptr, ptr, ptr, ptr, ptr});
  llvm::Constant* init = llvm::ConstantStruct::get(
      desc_ty, {StringConst(name), b_.getInt32(n_in), b_.getInt32(static_cast<int>(g.scalars.size())),
                b_.getInt32(static_cast<int>(nodes.size())), b_.getInt32(fuse::DtypeOf(g.out_elem)),
                b_.getInt32(fuse::DtypeOf(g.chain_elem)), b_.getInt32(fuse::ReduceCode(g.reduce)),
                b_.getInt32(g.keepdim ? 1 : 0), nodes_arr, reduce ? llvm::ConstantPointerNull::get(ptr) : kernel("_flat"),
                reduce ? llvm::ConstantPointerNull::get(ptr) : kernel("_strided"),
                reduce ? kernel("_pflat") : llvm::ConstantPointerNull::get(ptr),
                reduce ? kernel("_pstrided") : llvm::ConstantPointerNull::get(ptr)});
  return new llvm::GlobalVariable(*mod_, desc_ty, true, llvm::GlobalValue::PrivateLinkage, init, ".tensor.group");
}

// Evaluates a run's leaves, runs its groups in order, and gives the last one's result (owned).
auto Lowerer::LowerRun(const fuse::Run& run) -> llvm::Value* {
  std::vector<llvm::Value*> leaves;
  for (const ast::Expr* leaf : run.leaves) leaves.push_back(LowerExpr(leaf));
  std::vector<llvm::Value*> results;
  auto* ptr = b_.getPtrTy();
  auto* i64 = b_.getInt64Ty();
  for (const auto& step : run.steps) {
    const fuse::Group& g = *step;
    int n_in = static_cast<int>(g.inputs.size()), n_sc = static_cast<int>(g.scalars.size());
    auto* in_ty = llvm::ArrayType::get(ptr, std::max(n_in, 1));
    auto* sc_ty = llvm::ArrayType::get(i64, std::max(n_sc, 1));
    llvm::Value* ins = EntryAlloca(in_ty, "tensor.ins");
    llvm::Value* scalars = EntryAlloca(sc_ty, "tensor.scalars");
    for (int k = 0; k < n_in; k++) {
      const fuse::Input& in = g.inputs[k];
      b_.CreateStore(in.leaf >= 0 ? leaves[in.leaf] : results[in.step], b_.CreateConstGEP2_32(in_ty, ins, 0, k));
    }
    for (int k = 0; k < n_sc; k++) {
      const ast::Expr* leaf = run.leaves[g.scalars[k]];
      b_.CreateStore(ScalarBits(leaves[g.scalars[k]], leaf->type), b_.CreateConstGEP2_32(sc_ty, scalars, 0, k));
    }
    llvm::Value* axis = b_.getInt64(RT_TENSOR_ALL_AXES);
    if (g.axis_leaf >= 0) axis = IntCast(leaves[g.axis_leaf], run.leaves[g.axis_leaf]->type, i64);
    SetDebugLoc(g.where);
    results.push_back(b_.CreateCall(Runtime("rt_tensor_run"), {GroupDesc(g), ins, scalars, axis, LocOf(g.where)}));
  }
  for (size_t i = 0; i < run.leaves.size(); i++) ReleaseIfOwned(run.leaves[i], leaves[i]);
  for (size_t i = 0; i + 1 < results.size(); i++) b_.CreateCall(Runtime("rt_release"), {results[i]});
  return results.back();
}

// Tensor functions and methods that are runtime calls (the rest are runs).
auto Lowerer::LowerTensorCall(const ast::Call* e) -> llvm::Value* {
  llvm::Value* loc = LocOf(e->range);
  const Type* t = e->type;
  auto* i32 = b_.getInt32Ty();
  auto dtype = [&](const Type* tt) { return llvm::ConstantInt::get(i32, fuse::DtypeOf(tt->elem)); };
  auto f64 = [&](const ast::Expr* a) -> llvm::Value* {
    llvm::Value* v = LowerExpr(a);
    if (a->type->IsFloat()) return a->type->bits == 64 ? v : b_.CreateFPExt(v, b_.getDoubleTy());
    return a->type->is_signed ? b_.CreateSIToFP(v, b_.getDoubleTy()) : b_.CreateUIToFP(v, b_.getDoubleTy());
  };
  auto i64 = [&](const ast::Expr* a) { return IntCast(LowerExpr(a), a->type, b_.getInt64Ty()); };
  llvm::Value* self = e->self ? LowerExpr(e->self) : nullptr;
  llvm::Value* r = nullptr;
  switch (e->builtin) {
    case B::TensorZeros:
    case B::TensorOnes: {
      auto [dims, n] = I64Args({e->args.begin(), e->args.end()});
      llvm::Value* one = nullptr;
      const Type* el = t->elem;
      if (el->IsFloat()) one = llvm::ConstantFP::get(ValTy(el), 1.0);
      else if (el->kind == TypeKind::Bool) one = b_.getInt1(true);
      else one = llvm::ConstantInt::get(ValTy(el), 1);
      llvm::Value* bits = e->builtin == B::TensorZeros ? b_.getInt64(0) : ScalarBits(one, el);
      return b_.CreateCall(Runtime("rt_tensor_full"), {dtype(t), b_.getInt32(n), dims, bits, loc});
    }
    case B::TensorFull: {
      llvm::Value* bits = ScalarBits(LowerExpr(e->args[0]), e->args[0]->type);
      auto [dims, n] = I64Args({e->args.begin() + 1, e->args.end()});
      return b_.CreateCall(Runtime("rt_tensor_full"), {dtype(t), b_.getInt32(n), dims, bits, loc});
    }
    case B::TensorArange: {
      llvm::Value* zero = llvm::ConstantFP::get(b_.getDoubleTy(), 0.0);
      llvm::Value* one = llvm::ConstantFP::get(b_.getDoubleTy(), 1.0);
      llvm::Value* start = e->args.size() >= 2 ? f64(e->args[0]) : zero;
      llvm::Value* stop = f64(e->args[e->args.size() >= 2 ? 1 : 0]);
      llvm::Value* step = e->args.size() == 3 ? f64(e->args[2]) : one;
      return b_.CreateCall(Runtime("rt_tensor_arange"), {dtype(t), start, stop, step, loc});
    }
    case B::TensorRand: {
      llvm::Value* seed = LowerExpr(e->args[0]);
      auto [dims, n] = I64Args({e->args.begin() + 1, e->args.end()});
      return b_.CreateCall(Runtime("rt_tensor_rand"), {dtype(t), seed, b_.getInt32(n), dims, loc});
    }
    case B::TensorFromHost: {
      llvm::Value* src = LowerExpr(e->args[0]);
      auto [dims, n] = I64Args({e->args.begin() + 1, e->args.end()});
      return b_.CreateCall(Runtime("rt_tensor_from_host"), {dtype(t), src, b_.getInt32(n), dims, loc});
    }
    case B::TensorFromPtr: {
      llvm::Value* p = LowerExpr(e->args[0]);
      auto [dims, n] = I64Args({e->args.begin() + 1, e->args.end()});
      llvm::Value* keep = e->keep ? LowerExpr(e->keep) : llvm::ConstantPointerNull::get(b_.getPtrTy());
      llvm::Value* r = b_.CreateCall(Runtime("rt_tensor_from_ptr"), {dtype(t), p, b_.getInt32(n), dims, keep, loc});
      if (e->keep) ReleaseIfOwned(e->keep, keep);  // the tensor holds its own reference
      return r;
    }
    case B::TensorFromArray: {
      const Type* at = e->args[0]->type;
      llvm::Value* tmp = EntryAllocaOf(at, "array");
      StoreInto(e->args[0], tmp);
      std::vector<llvm::Value*> shape;
      for (const Type* x = at; x->kind == TypeKind::Array; x = x->elem) shape.push_back(b_.getInt64(x->count));
      return b_.CreateCall(Runtime("rt_tensor_from_host"),
                           {dtype(t), tmp, b_.getInt32(static_cast<int>(shape.size())), I64Array(shape), loc});
    }
    case B::TensorMatmul: {
      llvm::Value* a = LowerExpr(e->args[0]);
      llvm::Value* b = LowerExpr(e->args[1]);
      r = b_.CreateCall(Runtime("rt_tensor_matmul"), {a, b, loc});
      ReleaseIfOwned(e->args[0], a);
      ReleaseIfOwned(e->args[1], b);
      return r;
    }
    case B::TensorMatmulMethod: {
      llvm::Value* b = LowerExpr(e->args[0]);
      r = b_.CreateCall(Runtime("rt_tensor_matmul"), {self, b, loc});
      ReleaseIfOwned(e->args[0], b);
      break;
    }
    case B::TensorRankOf: r = b_.CreateCall(Runtime("rt_tensor_rank"), {self}); break;
    case B::TensorNumel: r = b_.CreateCall(Runtime("rt_tensor_numel"), {self}); break;
    case B::TensorDataPtr: r = b_.CreateCall(Runtime("rt_tensor_data"), {self}); break;
    case B::TensorDim: r = b_.CreateCall(Runtime("rt_tensor_dim"), {self, i64(e->args[0]), loc}); break;
    case B::TensorItem: r = FromBits(b_.CreateCall(Runtime("rt_tensor_item"), {self, loc}), t); break;
    case B::TensorToHost: {
      llvm::Value* dst = LowerExpr(e->args[0]);
      b_.CreateCall(Runtime("rt_tensor_to_host"), {self, dst, loc});
      r = nullptr;
      break;
    }
    case B::TensorReshape: {
      auto [dims, n] = I64Args({e->args.begin(), e->args.end()});
      r = b_.CreateCall(Runtime("rt_tensor_reshape"), {self, b_.getInt32(n), dims, loc});
      break;
    }
    case B::TensorTranspose: {
      llvm::Value* a = e->args.empty() ? b_.getInt64(-2) : i64(e->args[0]);
      llvm::Value* b = e->args.empty() ? b_.getInt64(-1) : i64(e->args[1]);
      r = b_.CreateCall(Runtime("rt_tensor_transpose"), {self, a, b, loc});
      break;
    }
    case B::TensorSlice:
      r = b_.CreateCall(Runtime("rt_tensor_slice"), {self, i64(e->args[0]), i64(e->args[1]), i64(e->args[2]), loc});
      break;
    case B::TensorContiguous: r = b_.CreateCall(Runtime("rt_tensor_contiguous"), {self, loc}); break;
    case B::TensorClone: r = b_.CreateCall(Runtime("rt_tensor_clone"), {self, loc}); break;
    default:
      FUSION_UNREACHABLE("tensor call not planned: " << static_cast<int>(e->builtin));
  }
  ReleaseIfOwned(e->self, self);
  return r;
}

// The program's utility kernels for the runtime (rt_tensor_kernels), registered at start.
void Lowerer::DefineTensorInit() {
  const fuse::Plan* plan = options_.tensors;
  if (!plan || !plan->uses_tensors) return;
  auto* ptr = b_.getPtrTy();
  std::vector<llvm::Constant*> slots;
  auto kernel = [&](const std::string& name) -> llvm::Constant* {
    const ast::FnDecl* k = name.empty() ? nullptr : plan->Kernel(name);
    return k ? static_cast<llvm::Constant*>(kernels_.at(k)) : llvm::ConstantPointerNull::get(ptr);
  };
  const fuse::Plan::Utility& u = plan->utility;
  for (const std::string* row : {u.copy, u.arange, u.rand})
    for (int dt = 0; dt < fuse::kDtypes; dt++) slots.push_back(kernel(row[dt]));
  for (int r = 0; r < fuse::kReduces; r++)
    for (int dt = 0; dt < fuse::kDtypes; dt++) slots.push_back(kernel(u.combine[r][dt]));
  auto* ty = llvm::ArrayType::get(ptr, slots.size());
  auto* table = new llvm::GlobalVariable(*mod_, ty, true, llvm::GlobalValue::PrivateLinkage,
                                         llvm::ConstantArray::get(ty, slots), ".tensor.kernels");
  b_.CreateCall(Runtime("rt_tensor_init"), {table});
}

}  // namespace fusion::lower
