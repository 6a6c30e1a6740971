// Guard versioning of the CPU executor's block loops (see block_loop.h).
//
// The x loops of `NAME.block` (marked with kBlockLoopX; one per region in a split kernel's) run
// the kernel body, inlined, once per thread. A branch in one is a guard when one successor does
// the work and the other post-dominates the branch, panics aside (`if i < n { … }`, or
// `if i >= n { return }` with the roles swapped), or when one successor panics (a bounds check:
// the work goes on in the loop), and its condition is a comparison, or an and/or of comparisons,
// between an affine function of the thread index and a loop-invariant value (or between two
// invariant values). Such a comparison changes value at most once across the loop when the affine
// side does not wrap, so it holds for every thread when it holds for the first and the last; an
// equality that must never hold is decided the same way (the invariant side lies outside the two
// ends). The pass clones the loop, puts before the two copies a check of
//   - the predicates scalar evolution needed to see the index as affine (no u32 wrap of
//     `block_idx.x * block_dim.x + thread_idx.x` before it is widened, say),
//   - no wrap of each affine side across the loop, in the comparison's signedness,
//   - every guard condition at the first and at the last iteration (the last that the latch's
//     count gives: when no check fails, no panic ends the loop early),
// and folds the guards of the original loop to their working successor: that copy runs when the
// check passes, and the loop vectorizer sees straight-line code there. The clone, with the guards
// intact, runs otherwise (the last block of a grid, a wrapping index, a check that fails), and
// panics where the unversioned loop would.
#include "codegen/block_loop.h"

#include <llvm/Analysis/AssumptionCache.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/ScalarEvolution.h>
#include <llvm/Analysis/ScalarEvolutionExpressions.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/Local.h>
#include <llvm/Transforms/Utils/LoopSimplify.h>
#include <llvm/Transforms/Utils/LoopUtils.h>
#include <llvm/Transforms/Utils/ScalarEvolutionExpander.h>
#include <llvm/Transforms/Utils/ValueMapper.h>

namespace fusion::codegen {

namespace {

using namespace llvm;

// A comparison operand's value at the first and at the last iteration.
struct Ends {
  const SCEV* first = nullptr;
  const SCEV* last = nullptr;
  bool varies = false;
};

// A comparison the check evaluates at both ends of the loop: it must be `want` throughout.
struct Leaf {
  ICmpInst* cmp;
  bool want;
  Ends lhs, rhs;
};

// A branch the fast copy always takes to successor `fast`.
struct Guard {
  BranchInst* br;
  unsigned fast;
  SmallVector<Leaf, 2> leaves;
};

class GuardVersioning {
 public:
  GuardVersioning(Loop& loop, LoopInfo& li, DominatorTree& dt, ScalarEvolution& se, AssumptionCache& ac)
      : loop_(loop), li_(li), dt_(dt), se_(se), ac_(ac), pse_(se, loop),
        exp_(se, loop.getHeader()->getModule()->getDataLayout(), "guard") {}

  // Versions the loop when it has a guard; true when it changed the function.
  // (Putting it in simplified form changes it too; the analyses are kept up to date then.)
  auto Run() -> bool {
    bool simplified = false;
    if (!loop_.isLoopSimplifyForm()) simplified = simplifyLoop(&loop_, &dt_, &li_, &se_, &ac_, nullptr, false);
    if (!Versionable()) return simplified;
    formLCSSA(loop_, dt_, &li_, &se_);
    Version();
    return true;
  }

 private:
  // Whether the loop has the shape versioning needs and a guard (then in guards_).
  auto Versionable() -> bool {
    if (!loop_.isLoopSimplifyForm()) return false;
    // One way out besides panics (a bounds check's, say): through the latch, after btc_ + 1
    // iterations when no panic cuts it short.
    BasicBlock* latch = loop_.getLoopLatch();
    SmallVector<BasicBlock*, 4> exits;
    loop_.getExitBlocks(exits);
    for (BasicBlock* e : exits) {
      if (IsPanic(e)) continue;
      if (exit_ || !latch || !loop_.isLoopExiting(latch)) return false;
      exit_ = e;
    }
    if (!exit_) return false;
    // getExitBlocks names a block once per edge into it: several bounds checks that share one
    // panic block (with a phi of the failing index) must add the clone's edges to it only once.
    for (BasicBlock* e : exits)
      if (e != exit_ && !is_contained(panics_, e)) panics_.push_back(e);
    btc_ = se_.getExitCount(&loop_, latch);
    if (isa<SCEVCouldNotCompute>(btc_)) return false;
    FindGuards();
    return !guards_.empty();
  }

  void FindGuards() {
    for (BasicBlock* bb : loop_.blocks()) {
      if (li_.getLoopFor(bb) != &loop_) continue;  // guards of the kernel's own loops are not ours
      auto* br = dyn_cast<BranchInst>(bb->getTerminator());
      if (!br || !br->isConditional()) continue;
      BasicBlock* s0 = br->getSuccessor(0);
      BasicBlock* s1 = br->getSuccessor(1);
      if (s0 == s1) continue;
      bool skip0, skip1;
      if (loop_.contains(s0) && loop_.contains(s1)) {
        skip0 = Reaches(s1, s0), skip1 = Reaches(s0, s1);
      } else if (loop_.contains(s0) != loop_.contains(s1) && IsPanic(loop_.contains(s0) ? s1 : s0)) {
        skip0 = !loop_.contains(s0), skip1 = !skip0;  // a check that panics: the work goes on in the loop
      } else {
        continue;  // the latch's exit
      }
      if (skip0 == skip1) continue;  // an if-else, or two ways out: no working side to prefer
      Guard g{br, skip0 ? 1u : 0u, {}};
      size_t wraps = wraps_.size();
      if (CollectLeaves(br->getCondition(), g.fast == 0, g.leaves) && AllEvaluable(g.leaves))
        guards_.push_back(std::move(g));
      else
        wraps_.resize(wraps);  // (predicates scalar evolution took on for it stay: stricter only)
    }
  }

  // Splits `c` (which must be `want` on every iteration) into comparisons.
  static auto CollectLeaves(Value* c, bool want, SmallVectorImpl<Leaf>& out) -> bool {
    using namespace PatternMatch;
    Value *a, *b;
    if (want && match(c, m_LogicalAnd(m_Value(a), m_Value(b))))
      return CollectLeaves(a, true, out) && CollectLeaves(b, true, out);
    if (!want && match(c, m_LogicalOr(m_Value(a), m_Value(b))))
      return CollectLeaves(a, false, out) && CollectLeaves(b, false, out);
    if (match(c, m_Not(m_Value(a)))) return CollectLeaves(a, !want, out);
    auto* cmp = dyn_cast<ICmpInst>(c);
    if (!cmp) return false;
    out.push_back({cmp, want, {}, {}});
    return true;
  }

  // Fills each leaf's ends; false when some leaf is not of the form the check can decide.
  auto AllEvaluable(MutableArrayRef<Leaf> leaves) -> bool {
    for (Leaf& l : leaves) {
      if (!Operand(l.cmp->getOperand(0), l.cmp->isSigned(), l.lhs) ||
          !Operand(l.cmp->getOperand(1), l.cmp->isSigned(), l.rhs))
        return false;
      bool varies = l.lhs.varies || l.rhs.varies;
      if (l.lhs.varies && l.rhs.varies) return false;  // not monotonic in general
      // Equality may hold in the middle only; that it never holds is decided (CheckValue).
      if (varies && l.cmp->isEquality() && l.want == (l.cmp->getPredicate() == ICmpInst::ICMP_EQ)) return false;
    }
    return true;
  }

  // The operand's first and last values, when it is loop-invariant or affine in the loop.
  auto Operand(Value* v, bool is_signed, Ends& out) -> bool {
    if (!v->getType()->isIntegerTy()) return false;
    const SCEV* s = se_.getSCEV(v);
    if (se_.isLoopInvariant(s, &loop_)) {
      out = {s, s, false};
      return Expandable(s);
    }
    const SCEVAddRecExpr* ar = pse_.getAsAddRec(v);
    if (!ar || ar->getLoop() != &loop_ || !ar->isAffine()) return false;
    const SCEV* step = ar->getStepRecurrence(se_);
    // Monotonic in the comparison's sense: no wrap across the loop, checked before it.
    wraps_.push_back(se_.getWrapPredicate(
        ar, is_signed ? SCEVWrapPredicate::IncrementNSSW : SCEVWrapPredicate::IncrementNUSW));
    const SCEV* iterations = se_.getTruncateOrZeroExtend(btc_, ar->getType());
    out = {ar->getStart(), se_.getAddExpr(ar->getStart(), se_.getMulExpr(iterations, step)), true};
    return Expandable(out.first) && Expandable(out.last);
  }

  // Whether every path from `from` comes to `to` before it goes round the loop again or leaves
  // it, other than by a panic: `to` post-dominates `from`, panics aside (a bounds check on the
  // working side of a guard does not make it an if-else).
  auto Reaches(BasicBlock* from, BasicBlock* to) const -> bool {
    SmallPtrSet<BasicBlock*, 16> seen;
    SmallVector<BasicBlock*, 16> work{from};
    while (!work.empty()) {
      BasicBlock* bb = work.pop_back_val();
      if (bb == to || !seen.insert(bb).second) continue;
      if (!loop_.contains(bb)) {
        if (IsPanic(bb)) continue;
        return false;
      }
      if (bb == loop_.getHeader()) return false;
      for (BasicBlock* next : successors(bb)) work.push_back(next);
    }
    return true;
  }

  // A block that ends the program: a failed check's call of the runtime, then `unreachable`.
  static auto IsPanic(BasicBlock* bb) -> bool { return isa<UnreachableInst>(bb->getTerminator()); }

  auto Expandable(const SCEV* s) -> bool {
    return exp_.isSafeToExpandAt(s, loop_.getLoopPreheader()->getTerminator());
  }

  void Version() {
    // Before: preheader -> loop -> exit. After: check -> (fast preheader -> loop | slow preheader
    // -> clone) -> exit, with the check in the old preheader.
    BasicBlock* check = loop_.getLoopPreheader();
    BasicBlock* exit = exit_;
    BasicBlock* fast_ph = SplitBlock(check, check->getTerminator(), &dt_, &li_, nullptr, "guards.fast");
    ValueToValueMapTy vmap;
    SmallVector<BasicBlock*, 16> cloned;
    Loop* slow = cloneLoopWithPreheader(fast_ph, check, &loop_, vmap, ".guarded", &li_, &dt_, cloned);
    remapInstructionsInBlocks(cloned, vmap);
    check->setName("guards.check");

    Instruction* old_br = check->getTerminator();
    IRBuilder<> b(old_br);
    Value* ok = CheckValue(b);
    b.CreateCondBr(ok, fast_ph, slow->getLoopPreheader());
    old_br->eraseFromParent();
    dt_.changeImmediateDominator(exit, check);
    for (BasicBlock* p : panics_) dt_.changeImmediateDominator(p, check);

    // The exits' LCSSA phis get the clone's values from the clone's exiting blocks (the panics are
    // shared by both copies).
    auto clone_incoming = [&](BasicBlock* e) {
      for (PHINode& phi : e->phis()) {
        for (unsigned i = 0, n = phi.getNumIncomingValues(); i < n; i++) {
          BasicBlock* from = phi.getIncomingBlock(i);
          if (!loop_.contains(from)) continue;
          Value* v = phi.getIncomingValue(i);
          auto it = vmap.find(v);
          phi.addIncoming(it != vmap.end() ? static_cast<Value*>(it->second) : v, cast<BasicBlock>(vmap[from]));
        }
      }
    };
    clone_incoming(exit);
    for (BasicBlock* p : panics_) clone_incoming(p);
    formDedicatedExitBlocks(&loop_, &dt_, &li_, nullptr, true);
    formDedicatedExitBlocks(slow, &dt_, &li_, nullptr, true);

    // The original loop is the fast copy: every guard goes to its working side, and the
    // conditions go (a dead i64 comparison left in the loop can make the vectorizer's cost model
    // refuse it).
    SmallVector<WeakTrackingVH, 4> conds;
    for (Guard& g : guards_) {
      BasicBlock* bb = g.br->getParent();
      BasicBlock* keep = g.br->getSuccessor(g.fast);
      g.br->getSuccessor(1 - g.fast)->removePredecessor(bb);
      conds.push_back(g.br->getCondition());
      BranchInst::Create(keep, g.br->getIterator());
      g.br->eraseFromParent();
    }
    for (WeakTrackingVH& c : conds)
      if (c) RecursivelyDeleteTriviallyDeadInstructions(c);
  }

  // True when the fast copy may run: the predicates hold and every leaf is `want` at both ends.
  // Combined with selects, so that an end value computed under a failed predicate (poison,
  // perhaps) is never looked at.
  auto CheckValue(IRBuilder<>& b) -> Value* {
    SCEVExpander& exp = exp_;
    Instruction* at = &*b.GetInsertPoint();
    SmallVector<const SCEVPredicate*, 8> preds{&pse_.getPredicate()};
    preds.append(wraps_.begin(), wraps_.end());
    SCEVUnionPredicate all(preds);
    Value* failed = exp.expandCodeForPredicate(&all, at);  // 1 when some predicate does not hold
    Value* ok = b.CreateNot(failed, "guards.nowrap");
    for (const Guard& g : guards_) {
      for (const Leaf& l : g.leaves) {
        const Ends& x = l.lhs;
        const Ends& y = l.rhs;
        Type* ty = l.cmp->getOperand(0)->getType();
        if (l.cmp->isEquality() && (x.varies || y.varies)) {
          // Never equal: the invariant side lies below both ends or above both (unsigned; the
          // varying side is monotonic between them).
          const Ends& v = x.varies ? x : y;
          Value* k = exp.expandCodeFor((x.varies ? y : x).first, ty, at);
          Value* first = exp.expandCodeFor(v.first, ty, at);
          Value* last = exp.expandCodeFor(v.last, ty, at);
          Value* below = b.CreateAnd(b.CreateICmpULT(k, first), b.CreateICmpULT(k, last));
          Value* above = b.CreateAnd(b.CreateICmpUGT(k, first), b.CreateICmpUGT(k, last));
          ok = b.CreateSelect(ok, b.CreateOr(below, above), b.getFalse(), "guards.ok");
          continue;
        }
        for (bool last : {false, true}) {
          Value* lhs = exp.expandCodeFor(last ? x.last : x.first, ty, at);
          Value* rhs = exp.expandCodeFor(last ? y.last : y.first, ty, at);
          Value* c = b.CreateICmp(l.cmp->getPredicate(), lhs, rhs);
          if (!l.want) c = b.CreateNot(c);
          ok = b.CreateSelect(ok, c, b.getFalse(), "guards.ok");
        }
      }
    }
    return ok;
  }

  Loop& loop_;
  LoopInfo& li_;
  DominatorTree& dt_;
  ScalarEvolution& se_;
  AssumptionCache& ac_;
  PredicatedScalarEvolution pse_;
  SCEVExpander exp_;  // probes what can be expanded before the loop, then expands the check
  const SCEV* btc_ = nullptr;  // iterations - 1, when the loop leaves through the latch
  BasicBlock* exit_ = nullptr;  // where it goes then
  SmallVector<BasicBlock*, 4> panics_;  // the other exits: failed checks
  SmallVector<Guard, 2> guards_;
  SmallVector<const SCEVPredicate*, 4> wraps_;
};

struct BlockLoopGuardsPass : PassInfoMixin<BlockLoopGuardsPass> {
  auto run(Function& f, FunctionAnalysisManager& am) -> PreservedAnalyses {
    // The x loops, by header: a split kernel's block function has one per region. The copies
    // versioning makes (with the same mark) are not among them.
    SmallVector<WeakVH, 4> headers;
    for (Loop* l : am.getResult<LoopAnalysis>(f).getLoopsInPreorder())
      if (getBooleanLoopAttribute(l, kBlockLoopX)) headers.push_back(l->getHeader());
    bool changed = false, stale = false;
    for (WeakVH& h : headers) {
      if (stale) am.invalidate(f, PreservedAnalyses::none());  // fresh analyses after a change
      stale = false;
      auto* header = cast_or_null<BasicBlock>(h);
      if (!header) continue;
      auto& li = am.getResult<LoopAnalysis>(f);
      Loop* l = li.getLoopFor(header);
      if (!l || l->getHeader() != header) continue;
      auto& dt = am.getResult<DominatorTreeAnalysis>(f);
      auto& se = am.getResult<ScalarEvolutionAnalysis>(f);
      auto& ac = am.getResult<AssumptionAnalysis>(f);
      stale = GuardVersioning(*l, li, dt, se, ac).Run();
      changed |= stale;
    }
    if (!changed) return PreservedAnalyses::all();
    removeUnreachableBlocks(f);
    return PreservedAnalyses::none();
  }
};

}  // namespace

void AddBlockLoopPasses(llvm::PassBuilder& pb) {
  pb.registerVectorizerStartEPCallback(
      [](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) { fpm.addPass(BlockLoopGuardsPass()); });
}

}  // namespace fusion::codegen
