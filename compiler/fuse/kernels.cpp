// The fusion pass's kernels, written as Fusion source; the parameter lists and what each thread
// does are the runtime's kernel interface (runtime/include/fusion/rt_tensor.h).
#include "fuse/kernels.h"

#include <functional>

#include "base/check.h"

namespace fusion::fuse {

namespace {

using B = ast::Builtin;
using lex::TokenKind;

auto T(const sema::Type* t) -> std::string { return sema::ToString(t); }
auto V(int node) -> std::string { return "v" + std::to_string(node); }

constexpr const char* kThread = "block_idx.x as i64 * block_dim.x as i64 + thread_idx.x as i64";

// The statements computing every node of `g`; `load(k)` reads input k.
auto Chain(const Group& g, const std::function<std::string(int)>& load) -> std::string {
  std::string s;
  for (size_t i = 0; i < g.nodes.size(); i++) {
    const Node& n = g.nodes[i];
    std::string v = V(static_cast<int>(i)), t = T(n.type);
    auto a = [&](int k) { return V(n.args[k]); };
    std::string line;
    switch (n.kind) {
      case OpKind::Input: line = "let " + v + ": " + t + " = " + load(n.index); break;
      case OpKind::Scalar: line = "let " + v + ": " + t + " = s" + std::to_string(n.index); break;
      case OpKind::Unary: line = "let " + v + ": " + t + " = " + lex::Spelling(n.op) + a(0); break;
      case OpKind::Binary: line = "let " + v + ": " + t + " = " + a(0) + " " + lex::Spelling(n.op) + " " + a(1); break;
      case OpKind::Cast: {
        // bool converts to integers only: through i32 to floats.
        const sema::Type* from = g.nodes[n.args[0]].type;
        bool from_bool = from->kind == sema::TypeKind::Bool && n.type->IsFloat();
        if (n.type->kind == sema::TypeKind::Bool && from->kind != sema::TypeKind::Bool)
          line = "let " + v + ": bool = " + a(0) + " != 0 as " + T(from);  // non-zero
        else
          line = "let " + v + ": " + t + " = " + a(0) + (from_bool ? " as i32" : "") + " as " + t;
        break;
      }
      case OpKind::Where: line = "var " + v + ": " + t + " = " + a(2) + "\n if " + a(0) + " { " + v + " = " + a(1) + " }"; break;
      case OpKind::Relu: line = "var " + v + ": " + t + " = " + a(0) + "\n if " + v + " < 0 as " + t + " { " + v + " = 0 as " + t + " }"; break;
      case OpKind::Sigmoid: line = "let " + v + ": " + t + " = 1 as " + t + " / (1 as " + t + " + exp(-" + a(0) + "))"; break;
      case OpKind::Map: {
        line = "let " + v + ": " + t + " = " + n.map_fn->name + "(";
        const std::vector<int>& args = g.map_args[n.index];
        for (size_t k = 0; k < args.size(); k++) line += (k ? ", " : "") + V(args[k]);
        line += ")";
        break;
      }
      case OpKind::Math:
        if ((n.fn == B::Fmin || n.fn == B::Fmax) && !n.type->IsFloat()) {
          // Integers: the smaller or larger, as fmin/fmax give for floats.
          line = "var " + v + ": " + t + " = " + a(0) + "\n if " + a(1) + (n.fn == B::Fmin ? " < " : " > ") + v + " { " + v + " = " + a(1) + " }";
        } else {
          line = "let " + v + ": " + t + " = " + n.text + "(" + a(0) + (n.args[1] >= 0 ? ", " + a(1) : "") + ")";
        }
        break;
    }
    s += "            " + line + "\n";
  }
  return s;
}

// Parameters after the fixed ones: the inputs, then the scalars.
auto InputParams(const Group& g) -> std::string {
  std::string s;
  std::vector<const sema::Type*> in_types(g.inputs.size()), scalar_types(g.scalars.size());
  for (const Node& n : g.nodes) {
    if (n.kind == OpKind::Input) in_types[n.index] = n.type;
    if (n.kind == OpKind::Scalar) scalar_types[n.index] = n.type;
  }
  for (size_t k = 0; k < in_types.size(); k++) s += ", in" + std::to_string(k) + ": *" + T(in_types[k]);
  for (size_t k = 0; k < scalar_types.size(); k++) s += ", s" + std::to_string(k) + ": " + T(scalar_types[k]);
  return s;
}

// Offsets of operands first..first+count-1 of descriptor `d` for linear index `j`: o0, o1, ….
auto StridedOffsets(const std::string& j, int first, int count) -> std::string {
  std::string s = "            var rem = " + j + "\n";
  for (int k = 0; k < count; k++) s += "            var o" + std::to_string(k) + ": i64 = 0\n";
  s += "            var a = d[0] - 1\n            while a >= 0 {\n"
       "                let c = rem % d[1 + a]\n                rem = rem / d[1 + a]\n";
  for (int k = 0; k < count; k++)
    s += "                o" + std::to_string(k) + " = o" + std::to_string(k) + " + c * d[" +
         std::to_string(9 + 8 * (first + k)) + " + a]\n";
  s += "                a = a - 1\n            }\n";
  return s;
}

// The accumulation of value `v` (index `k`) into acc/best/have, for a reduction.
auto Accumulate(Reduce r, const std::string& v, const std::string& k, bool combine) -> std::string {
  switch (r) {
    case Reduce::Sum:
    case Reduce::Mean: return "acc = acc + " + v;
    case Reduce::Max: return "if !have || " + v + " > acc || " + v + " != " + v + " { acc = " + v + " }";
    case Reduce::Min: return "if !have || " + v + " < acc || " + v + " != " + v + " { acc = " + v + " }";
    case Reduce::Argmax:
    case Reduce::Argmin: {
      std::string better = r == Reduce::Argmax ? " > " : " < ";
      std::string tie = combine ? " || (" + v + " == acc && " + k + " < best)" : "";
      return "if !have || " + v + better + "acc || (" + v + " != " + v + " && acc == acc)" + tie + " { acc = " + v +
             "\n best = " + k + " }";
    }
    default: FUSION_UNREACHABLE("reduction");
  }
}

// sum and mean of f16 and bf16 accumulate in f32 and round once, in the combine kernel, which
// the runtime always runs for them (rtt_reduce_widens).
auto Widens(Reduce r, const sema::Type* chain) -> bool { return (r == Reduce::Sum || r == Reduce::Mean) && chain->IsHalf(); }

}  // namespace

auto KernelWriter::Elementwise(const Group& g, bool strided) -> std::string {
  int result = static_cast<int>(g.nodes.size()) - 1;
  std::string s = "@kernel fn @NAME@_" + std::string(strided ? "strided" : "flat") + "(n: i64" +
                  (strided ? ", d: *i64" : "") + ", out: *" + T(g.out_elem) + InputParams(g) + ") {\n";
  s += "    let i = " + std::string(kThread) + "\n    if i < n {\n        unsafe {\n";
  if (strided) s += StridedOffsets("i", 1, static_cast<int>(g.inputs.size()));
  s += Chain(g, [&](int k) { return "in" + std::to_string(k) + "[" + (strided ? "o" + std::to_string(k) : "i") + "]"; });
  s += "            out[i] = " + V(result) + "\n        }\n    }\n}\n";
  return s;
}

auto KernelWriter::Partial(const Group& g, bool strided) -> std::string {
  int result = static_cast<int>(g.nodes.size()) - 1;
  bool widen = Widens(g.reduce, g.chain_elem);
  std::string a = widen ? "f32" : T(g.chain_elem);
  std::string s = "@kernel fn @NAME@_" + std::string(strided ? "pstrided" : "pflat") +
                  "(outer: i64, len: i64, inner: i64, parts: i64, chunk: i64, div: i64" + (strided ? ", d: *i64" : "") +
                  ", pv: *" + a + ", pi: *i64" + InputParams(g) + ") {\n";
  s += "    let t = " + std::string(kThread) + "\n    if t < outer * inner * parts {\n        unsafe {\n";
  s += "            let p = t % parts\n            let q = t / parts\n            let c = q % inner\n"
       "            let o = q / inner\n            var acc: " + a + " = 0 as " + a + "\n"
       "            var have = false\n            var best: i64 = 0\n"
       "            var k = p\n            var step = parts\n            var end = len\n"
       "            if chunk > 0 {\n                k = p * chunk\n                step = 1\n"
       "                if k + chunk < len { end = k + chunk }\n            }\n"
       "            while k < end {\n            let j = (o * len + k) * inner + c\n";
  if (strided) s += StridedOffsets("j", 0, static_cast<int>(g.inputs.size()));
  s += Chain(g, [&](int k) { return "in" + std::to_string(k) + "[" + (strided ? "o" + std::to_string(k) : "j") + "]"; });
  s += "            " + Accumulate(g.reduce, V(result) + (widen ? " as f32" : ""), "k", false) + "\n";
  s += "            have = true\n            k = k + step\n            }\n";
  s += "            let w = (o * parts + p) * inner + c\n";
  if (g.reduce == Reduce::Mean)
    s += "            if div > 0 { pv[w] = acc / div as " + a + " } else { pv[w] = acc }\n";
  else
    s += "            pv[w] = acc\n";
  if (g.reduce == Reduce::Argmax || g.reduce == Reduce::Argmin) s += "            pi[w] = best\n";
  s += "        }\n    }\n}\n";
  return s;
}

auto KernelWriter::Combine(Reduce r, const sema::Type* elem) -> std::string {
  std::string out = T(elem);
  bool widen = Widens(r, elem);  // f32 partials, rounded once to the half type
  std::string a = widen ? "f32" : out, round = widen ? " as " + out : "";
  std::string name = std::string("__fu_combine_") + ReduceName(r) + "_" + out;
  std::string s = "@kernel fn " + name + "(outer: i64, parts: i64, inner: i64, div: i64, pv: *" + a +
                  ", pi: *i64, out_v: *" + out + ", out_i: *i64) {\n";
  s += "    let t = " + std::string(kThread) + "\n    if t < outer * inner {\n        unsafe {\n";
  s += "            let c = t % inner\n            let o = t / inner\n            var acc: " + a + " = 0 as " + a + "\n"
       "            var have = false\n            var best: i64 = 0\n            var p: i64 = 0\n"
       "            while p < parts {\n            let w = (o * parts + p) * inner + c\n"
       "            let v = pv[w]\n";
  bool arg = r == Reduce::Argmax || r == Reduce::Argmin;
  s += "            " + Accumulate(r, "v", arg ? "pi[w]" : "0", true) + "\n";
  s += "            have = true\n            p = p + 1\n            }\n";
  if (r == Reduce::Mean) s += "            out_v[t] = (acc / div as " + a + ")" + round + "\n";
  else if (arg) s += "            out_i[t] = best\n";
  else s += "            out_v[t] = acc" + round + "\n";
  s += "        }\n    }\n}\n";
  return s;
}

void KernelWriter::Assign(Group& g) {
  std::string text;
  if (g.reduce == Reduce::None) {
    text = Elementwise(g, false) + Elementwise(g, true);
  } else {
    text = Partial(g, false) + Partial(g, true);
    combines_[{static_cast<int>(g.reduce), DtypeOf(g.chain_elem)}] = g.chain_elem;
  }
  auto it = by_text_.find(text);
  if (it != by_text_.end()) {
    g.kernel = it->second;
    return;
  }
  std::string name = "__fu" + std::to_string(next_++);
  by_text_[text] = name;
  g.kernel = name;
  size_t pos;
  while ((pos = text.find("@NAME@")) != std::string::npos) text.replace(pos, 6, name);
  plan_.source += text;
}

void KernelWriter::Finish() {
  if (!plan_.uses_tensors) return;
  std::string& s = plan_.source;
  // Only what the program can call for: copies for the element types its tensors have (and i64,
  // which argmax gives), arange and rand for the types it creates with them.
  auto needs = [&](const std::string& what) { return plan_.needs.count(what) > 0; };
  Plan::Utility& u = plan_.utility;
  for (int dt = 0; dt < kDtypes; dt++) {
    std::string t = kDtypeNames[dt];
    if (!needs(t) && t != "i64") continue;
    std::string name = "__fu_copy_" + t;
    u.copy[dt] = name;
    s += "@kernel fn " + name + "(n: i64, d: *i64, out: *" + t + ", src: *" + t + ") {\n"
         "    let i = " + kThread + "\n    if i < n {\n        unsafe {\n" +
         StridedOffsets("i", 0, 2) + "            out[o0] = src[o1]\n        }\n    }\n}\n";
  }
  for (int dt = 0; dt < kDtypes; dt++) {
    std::string t = kDtypeNames[dt];
    if (!needs("arange." + t)) continue;
    std::string name = "__fu_arange_" + t;
    u.arange[dt] = name;
    s += "@kernel fn " + name + "(n: i64, out: *" + t + ", start: f64, step: f64) {\n"
         "    let i = " + kThread + "\n    if i < n {\n        unsafe { out[i] = (start + i as f64 * step) as " + t + " }\n    }\n}\n";
  }
  // Uniform in [0, 1) from (seed, index) alone: SplitMix64 of seed + index * golden ratio, its top
  // 24 (f32), 53 (f64), 11 (f16) or 8 (bf16) bits.
  for (int dt = 0; dt < kDtypes; dt++) {
    std::string t = kDtypeNames[dt];
    if (!needs("rand." + t)) continue;
    std::string name = "__fu_rand_" + t;
    u.rand[dt] = name;
    // The top p bits (p: the type's significand bits) times 2^-p: every value exact, below 1.
    const char* shift = t == "f32" ? "40" : t == "f64" ? "11" : t == "f16" ? "53" : "56";
    const char* scale = t == "f32"   ? "5.9604644775390625e-08"
                        : t == "f64" ? "1.1102230246251565e-16"
                        : t == "f16" ? "0.00048828125"
                                     : "0.00390625";
    s += "@kernel fn " + name + "(n: i64, out: *" + t + ", seed: u64) {\n"
         "    let i = " + kThread + "\n    if i < n {\n"
         "        var z: u64 = seed + i as u64 * 0x9E3779B97F4A7C15\n"
         "        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9\n"
         "        z = (z ^ (z >> 27)) * 0x94D049BB133111EB\n"
         "        z = z ^ (z >> 31)\n"
         "        unsafe { out[i] = (z >> " + shift + ") as " + t + " * " + scale + " }\n    }\n}\n";
  }
  for (auto& [key, elem] : combines_) {
    s += Combine(static_cast<Reduce>(key.first), elem);
    u.combine[key.first][key.second] = std::string("__fu_combine_") + ReduceName(static_cast<Reduce>(key.first)) + "_" + T(elem);
  }
}

}  // namespace fusion::fuse
