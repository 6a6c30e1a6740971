// torch_ops.fu in C++ against libtorch directly: the same operations in the same order, printed
// the same way (a tensor as `operator<<` prints it; numbers as Fusion's print does).
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <string>

static void show(const char* label, const at::Tensor& t) { std::cout << label << "\n" << t << "\n"; }

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

int main() {
  std::cout << std::boolalpha;
  // Making tensors
  torch::manual_seed(7);
  show("zeros", torch::zeros({2, 3}));
  show("ones", torch::ones({2, 3}));
  show("full", torch::full({2, 3}, 2.5));
  show("rand", torch::rand({2, 3}));
  show("randn", torch::randn({2, 3}));
  show("arange", torch::arange(0.0, 3.0, 0.5));
  show("arange_i64", torch::arange(0, 10, 3, torch::kLong));
  show("eye", torch::eye(3));
  show("zeros_dtype", torch::zeros({2, 3}, torch::kDouble));
  torch::manual_seed(7);
  show("rand again", torch::rand({2, 3}));

  // Arithmetic
  at::Tensor a = torch::arange(1.0, 7.0, 1.0).reshape({2, 3});
  at::Tensor b = torch::full({2, 3}, 2.0);
  show("add", a.add(b));
  show("sub", a.sub(b));
  show("mul", a.mul(b));
  show("div", a.div(b));
  show("neg", a.neg());
  show("exp", a.exp());
  show("log", a.log());
  show("sqrt", a.sqrt());
  show("square", a.square());
  show("abs", a.neg().abs());
  show("add_scalar", a.add(0.5));
  show("mul_scalar", a.mul(3.0));
  show("pow_scalar", a.pow(2.0));
  show("maximum", a.maximum(torch::full({2, 3}, 3.5)));
  show("minimum", a.minimum(torch::full({2, 3}, 3.5)));
  show("matmul", a.matmul(a.t()));
  show("mm", a.t().mm(a));

  // Activations
  at::Tensor z = torch::arange(-3.0, 3.0, 1.0).reshape({2, 3});
  show("relu", z.relu());
  show("sigmoid", z.sigmoid());
  show("tanh", z.tanh());
  show("softmax", z.softmax(1));
  show("log_softmax", z.log_softmax(1));

  // Reductions
  show("sum", a.sum());
  show("sum_dim", a.sum(0, false));
  show("mean", a.mean());
  show("mean_dim", a.mean(1, true));
  show("max", a.max());
  show("min", a.min());
  show("argmax", z.mul(z).argmax(1));
  std::cout << "item " << repr(a.sum().item<double>()) << " " << a.to(torch::kLong).sum().item<int64_t>() << "\n";

  // Shapes and views
  std::cout << "dim numel size stride " << a.dim() << " " << a.numel() << " " << a.size(0) << " " << a.size(1) << " "
            << a.stride(0) << " " << a.stride(1) << "\n";
  std::cout << "scalar_type " << static_cast<int>(a.scalar_type()) << " "
            << static_cast<int>(a.to(torch::kLong).scalar_type()) << "\n";
  show("reshape", a.reshape({3, 2}));
  show("t", a.t());
  show("transpose", a.transpose(0, 1));
  std::cout << "contiguous " << a.t().is_contiguous() << " " << a.t().contiguous().is_contiguous() << "\n";
  show("select", a.select(1, 2));
  show("slice", torch::arange(0.0, 10.0, 1.0).slice(0, 1, 9, 3));
  show("clone", a.clone().reshape({6}));
  show("to", a.to(torch::kInt));

  // In place
  at::Tensor c = torch::zeros({2, 3});
  c.fill_(4.0);
  show("fill_", c);
  c.copy_(a);
  show("copy_", c);
  c.zero_();
  show("zero_", c);
}
