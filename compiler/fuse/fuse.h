// The fusion pass: from the checked program's tensor expressions to groups of operations, each
// run by one generated kernel (docs/fusion.md, docs/internals.md "Tensors and fusion").
//
// Every tensor expression that computes (elementwise operations, reductions, softmax) becomes the
// root of a Run: the expressions it reads (its leaves: variables, and tensor values the pass does
// not fuse, such as a matmul's result) are evaluated once, then its groups run in order, each
// reading leaves and the results of earlier groups, and the last group's result is the value.
// Outside `@fuse` a group is one operation (eager). In a `@fuse` function a group is a maximal
// tree of elementwise operations, possibly ending in a reduction, and an immutable `let` whose
// value only feeds such trees is never stored: its expression is inlined where it is used.
//
// The kernels are Fusion source text (`@kernel` functions), parsed and checked with the program,
// so that they go through the same code generation as the user's kernels (PTX and the CPU body).
// No LLVM here.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/source.h"
#include "parse/ast.h"
#include "sema/check.h"

namespace fusion::fuse {

// One elementwise operation of a group's chain.
enum class OpKind : uint8_t {
  Input,    // tensor input `index` of the group
  Scalar,   // scalar `index` of the group (a kernel parameter)
  Unary,    // op: a TokenKind (Minus, Bang)
  Binary,   // op: a TokenKind
  Math,     // fn: sqrt, exp, …, pow, fmin, fmax
  Where,    // a ? b : c
  Relu,
  Sigmoid,
  Cast,     // to `type`
  Map,      // calls `map_fn`
};

struct Node {
  OpKind kind = OpKind::Input;
  lex::TokenKind op{};
  ast::Builtin fn = ast::Builtin::None;
  int args[3] = {-1, -1, -1};  // node indices
  int index = -1;              // Input, Scalar
  const sema::Type* type = nullptr;  // the element type the node computes
  const ast::FnDecl* map_fn = nullptr;
  const ast::Expr* expr = nullptr;   // where it was written (null for nodes the pass adds)
  const char* text = "";             // the operation, for messages: "+", "exp", …
};

// Where a group's input comes from: a leaf of its run, or an earlier step's result.
struct Input {
  int leaf = -1;
  int step = -1;
};

// What the runtime runs (rt_tensor_group): a chain over the broadcast shape of its inputs, maybe
// reduced. The numbers are rt_tensor_reduce's.
enum class Reduce : uint8_t { None, Sum, Max, Min, Mean, Argmax, Argmin };
inline constexpr int kReduces = 7;
// Element types in rt_dtype's order (DtypeOf gives the index).
inline constexpr int kDtypes = 7;
inline constexpr const char* kDtypeNames[kDtypes] = {"f32", "f64", "i32", "i64", "bool", "f16", "bf16"};

struct Group {
  std::vector<Node> nodes;         // in order; the last is the chain's result
  std::vector<Input> inputs;       // tensor inputs, in parameter order
  std::vector<int> scalars;        // run leaves (scalar expressions), in parameter order
  Reduce reduce = Reduce::None;
  int axis_leaf = -1;              // the reduced axis (a run leaf), or -1: every axis
  int axis_const = 0;              // … or a constant axis the pass added (softmax), when axis_fixed
  bool axis_fixed = false;
  bool keepdim = false;
  const sema::Type* chain_elem = nullptr;
  const sema::Type* out_elem = nullptr;
  std::string kernel;              // the kernels' base name: __fuN (shared by identical groups)
  SourceRange where;               // the root operation
  std::vector<SourceRange> ops;    // where each operation of the group was written, for --explain-fusion
  std::vector<std::vector<int>> map_args;  // a Map node's arguments (node indices), by its `index`
};

struct Run {
  std::vector<const ast::Expr*> leaves;  // evaluated once, in order, before the first step
  std::vector<std::unique_ptr<Group>> steps;
};

// Before a statement of a @fuse function: a deferred `let` that is needed now is computed into
// its variable.
struct Flush {
  const ast::Let* let = nullptr;
  const Run* run = nullptr;
  std::string why;  // for --explain-fusion
};

struct Plan {
  std::unordered_map<const ast::Expr*, std::unique_ptr<Run>> runs;      // expressions computed by a run
  std::unordered_set<const ast::Let*> deferred;                          // lets whose init is not lowered there
  std::unordered_set<const ast::Assign*> deferred_assigns;               // `x = e` not lowered there
  std::unordered_map<const ast::Stmt*, std::vector<Flush>> flush_before;
  std::vector<std::unique_ptr<Run>> flush_runs;                          // the runs of flushes
  std::unordered_map<const ast::Assign*, std::unique_ptr<Run>> compound;  // `t op= v`: the run of `t op v`
  std::string source;  // the generated kernels' Fusion source
  // Kernel functions by name, once the generated tree is checked (BindKernels).
  std::unordered_map<std::string, const ast::FnDecl*> kernel_fns;
  // The utility kernels of the runtime's table (rt_tensor_kernels), laid out as it is: generated
  // functions' names by rt_dtype (and reduction), empty where the program needs none.
  struct Utility {
    std::string copy[kDtypes], arange[kDtypes], rand[kDtypes];
    std::string combine[kReduces][kDtypes];
  } utility;
  std::string explain;                         // --explain-fusion's text
  bool uses_tensors = false;
  // What the utility kernels must cover: "f32", … for every element type the program's tensors
  // have, "arange.f32", "rand.f64", … for the creation functions it calls.
  std::set<std::string> needs;

  void BindKernels(const ast::Tree& generated);
  auto Kernel(const std::string& name) const -> const ast::FnDecl*;
};

// Plans every function (and the script's statements) of a checked program.
auto PlanModule(const sema::CheckedModule& m, const SourceManager& sources) -> std::unique_ptr<Plan>;

// The runtime's numbers (rt_tensor.h).
auto DtypeOf(const sema::Type* elem) -> int;
auto ReduceCode(Reduce r) -> int;
// "sum", "argmax", …; "none" for Reduce::None.
auto ReduceName(Reduce r) -> const char*;

}  // namespace fusion::fuse
