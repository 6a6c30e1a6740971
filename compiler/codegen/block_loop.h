// The CPU executor's block loops (lower_gpu.cpp: `NAME.block` runs every thread of a block, x
// fastest) and the one pass that shapes them for the vectorizer: guard versioning.
//
// A kernel written for a GPU guards its work with the thread's global index (`if i < n { … }`).
// Inside the block loop that guard is a conditional store, which LLVM cannot vectorise without
// masked stores. For every block but the last the guard holds for all threads, so the pass
// versions the loop: a copy with the guards folded to "taken" runs when a check before the loop
// proves they hold for the block's first and last thread (and, the index being monotonic in the
// thread, for every thread between); otherwise the original loop runs. Bounds checks are guards
// too (their failing side panics). See docs/internals.md.
#pragma once

namespace llvm {
class PassBuilder;
}  // namespace llvm

namespace fusion::codegen {

// The loop metadata string that marks a block loop's x loop (the innermost generated loop).
inline constexpr const char* kBlockLoopX = "fusion.block.x";

// Adds guard versioning to the pipeline `pb` builds (before the loop vectorizer, -O2 and up).
void AddBlockLoopPasses(llvm::PassBuilder& pb);

}  // namespace fusion::codegen
