// bench/cxx: the C++ twin of add.fu: N calls of at::Tensor::add on two 4-element f32 tensors, calling
// libtorch directly (built with lib/torch.spec's flags: -std=c++17, libtorch's include
// directories, -ltorch -ltorch_cpu -lc10). Prints: add N ELAPSED_NS SUM.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

static long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main() {
  long long n = 1000000;
  if (const char* e = std::getenv("CXX_CALLS_N")) n = std::atoll(e);
  at::Tensor a = torch::ones({4});
  at::Tensor c = torch::zeros({4});
  c = c.add(a);  // warm-up, as add.fu
  c = torch::zeros({4});
  long long t0 = now_ns();
  for (long long i = 0; i < n; i++) c = c.add(a);
  long long t1 = now_ns();
  std::printf("add %lld %lld %.1f\n", n, t1 - t0, c.sum().item<double>());
}
