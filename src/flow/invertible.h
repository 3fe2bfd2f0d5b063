#pragma once
// The one interface every invertible module shares (as in FrEIA / glow-pytorch):
// forward returns the output and the per-sample log-determinant of its Jacobian,
// inverse undoes forward exactly (up to floating-point rounding).
#include <torch/torch.h>

#include <memory>

namespace hipp::flow {

struct FlowResult {
  torch::Tensor y;
  torch::Tensor logdet;  // [N]: log |det dy/dx| for each sample
};

class Invertible : public torch::nn::Module {
 public:
  virtual FlowResult forward(const torch::Tensor& x) = 0;
  virtual torch::Tensor inverse(const torch::Tensor& y) = 0;
};

using InvertiblePtr = std::shared_ptr<Invertible>;

}  // namespace hipp::flow
