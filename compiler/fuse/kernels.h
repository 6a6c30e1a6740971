// The fusion pass's kernels as Fusion source (kernels.cpp): one set per distinct group, shared by
// identical groups, and the utility kernels the tensor runtime needs (rt_tensor.h).
#pragma once

#include <map>
#include <string>

#include "fuse/fuse.h"

namespace fusion::fuse {

class KernelWriter {
 public:
  explicit KernelWriter(Plan& plan) : plan_(plan) {}
  // Gives `g` its kernels' base name, writing them when no identical group has them yet.
  void Assign(Group& g);
  // Writes the utility kernels (when the program uses tensors) into plan.source.
  void Finish();

 private:
  auto Elementwise(const Group& g, bool strided) -> std::string;
  auto Partial(const Group& g, bool strided) -> std::string;
  auto Combine(Reduce r, const sema::Type* elem) -> std::string;

  Plan& plan_;
  std::map<std::string, std::string> by_text_;  // a group's kernels, name left out → its base name
  std::map<std::pair<int, int>, const sema::Type*> combines_;  // (reduction, dtype) needed
  int next_ = 0;
};

}  // namespace fusion::fuse
