// examples/torch_mlp/main.fu in C++ against libtorch directly: the same model, data, seed and optimiser, printed the
// same way, so that the two programs' losses can be compared line for line.
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <string>

// A double as Fusion prints it: the shortest digits that read back, with `.0` on whole numbers.
static std::string repr(double x) {
  char buf[32];
  for (int p = 1; p <= 17; p++) {
    std::snprintf(buf, sizeof buf, "%.*g", p, x);
    if (std::stod(buf) == x) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

constexpr int64_t kSamples = 256, kInputs = 4, kHidden = 16;
constexpr double kTargetLoss = 0.002;

static at::Tensor forward(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1, const at::Tensor& w2,
                          const at::Tensor& b2) {
  return x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
}

static double evaluate(const at::Tensor& w_true, const at::Tensor& w1, const at::Tensor& b1, const at::Tensor& w2,
                       const at::Tensor& b2) {
  torch::NoGradGuard g;
  at::Tensor xt = torch::randn({kSamples, kInputs});
  at::Tensor err = torch::mse_loss(forward(xt, w1, b1, w2, b2), xt.matmul(w_true).tanh());
  std::cout << "while evaluating: grad enabled " << torch::autograd::GradMode::is_enabled() << " requires_grad "
            << err.requires_grad() << "\n";
  return err.item<double>();
}

int main() {
  std::cout << std::boolalpha;
  torch::manual_seed(42);
  at::Tensor x = torch::randn({kSamples, kInputs});
  at::Tensor w_true = torch::randn({kInputs, 1});
  at::Tensor y = x.matmul(w_true).tanh();
  at::Tensor w1 = torch::randn({kInputs, kHidden}).mul(0.5);
  at::Tensor b1 = torch::zeros({kHidden});
  at::Tensor w2 = torch::randn({kHidden, 1}).mul(0.5);
  at::Tensor b2 = torch::zeros({1});
  for (auto* p : {&w1, &b1, &w2, &b2}) p->requires_grad_(true);
  torch::optim::Adam opt({w1, b1, w2, b2}, torch::optim::AdamOptions(0.01));
  int step = 0;
  double loss = 1.0;
  while (loss >= kTargetLoss && step < 2000) {
    opt.zero_grad();
    at::Tensor l = torch::mse_loss(forward(x, w1, b1, w2, b2), y);
    l.backward();
    opt.step();
    loss = l.item<double>();
    if (step % 50 == 0) std::cout << "step " << step << " loss " << repr(loss) << "\n";
    step += 1;
  }
  std::cout << "step " << step - 1 << " loss " << repr(loss) << "\n";
  if (loss >= kTargetLoss) return 1;
  double eval_loss = evaluate(w_true, w1, b1, w2, b2);
  std::cout << "evaluation loss " << repr(eval_loss) << "\n";
  std::cout << "afterwards: grad enabled " << torch::autograd::GradMode::is_enabled() << "\n";
}
