#include "flow/density.h"

#include <cmath>

namespace hipp::flow {

torch::Tensor preprocess(const torch::Tensor& images, int n_bits, bool noise) {
  double bins = std::pow(2.0, n_bits);
  // In place on one copy: a 12 MP photo's float temporaries are 146 MB each.
  auto x = images.to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  if (n_bits < 8) x.div_(std::pow(2.0, 8 - n_bits)).floor_();
  x.div_(bins).sub_(0.5);
  return noise ? x.add_(torch::rand_like(x).div_(bins)) : x.add_(0.5 / bins);
}

torch::Tensor postprocess(const torch::Tensor& x, int n_bits) {
  double bins = std::pow(2.0, n_bits);
  auto level = x + 0.5;
  level.mul_(bins).floor_().clamp_(0, bins - 1);
  if (n_bits < 8) level.mul_(std::pow(2.0, 8 - n_bits));
  return level.to(torch::kUInt8);
}

torch::Tensor bits_per_dim(const torch::Tensor& log_density, int64_t dims, int n_bits) {
  // The dequantized density lives on bins of width 1/2^n: log P(discrete) = log p - D log 2^n.
  auto nll = -log_density + dims * n_bits * std::log(2.0);
  return nll / (dims * std::log(2.0));
}

double mean_bits_per_dim(DensityFlow& flow, const torch::Tensor& images, int64_t batch, torch::Device device) {
  torch::NoGradGuard ng;
  flow.module().eval();
  torch::manual_seed(1234);
  double total = 0;
  int64_t n = images.size(0);
  int64_t dims = images[0].numel();
  for (int64_t i = 0; i < n; i += batch) {
    auto x = preprocess(images.slice(0, i, std::min(n, i + batch)).to(device), flow.n_bits(), true);
    total += bits_per_dim(flow.log_density(x), dims, flow.n_bits()).sum().item<double>();
  }
  return total / n;
}

}  // namespace hipp::flow
