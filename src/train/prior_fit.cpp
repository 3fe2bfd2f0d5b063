#include "train/prior_fit.h"

#include <memory>

#include "common/error.h"
#include "common/progress.h"
#include "flow/density.h"
#include "io/tensor_file.h"

namespace hipp::train {

TopPriorFit fit_top_prior(flow::Glow& glow, const torch::Tensor& images, int64_t batch, torch::Device device,
                          uint64_t seed, bool show_progress) {
  if (!images.defined() || images.size(0) < 2) throw Error("fitting a prior needs at least two images");
  glow.check_size(images.size(2), images.size(3));
  if (images.size(2) != images.size(3)) throw Error("fitting a prior needs square images");
  torch::NoGradGuard ng;
  glow.eval();
  glow.to(device);
  torch::manual_seed(seed);
  // Sums in float64: a million-image mean of float32 latents would lose digits.
  torch::Tensor sum, sum_sq;
  const int64_t n = images.size(0);
  std::unique_ptr<Progress> progress;
  if (show_progress) progress = std::make_unique<Progress>("fitting the top prior", n);
  for (int64_t i = 0; i < n; i += batch) {
    auto x = flow::preprocess(images.slice(0, i, std::min(n, i + batch)).to(device), glow.config().n_bits, true);
    auto z = glow.encode(x).z.back().to(torch::kCPU, torch::kFloat64);
    auto s = z.sum(0, true), s2 = z.pow(2).sum(0, true);
    sum = sum.defined() ? sum + s : s;
    sum_sq = sum_sq.defined() ? sum_sq + s2 : s2;
    if (progress) progress->update(std::min(n, i + batch));
  }
  if (progress) progress->finish();
  auto mean = sum / n;
  auto var = (sum_sq / n - mean.pow(2)).clamp_min(1e-12);
  return {mean.to(torch::kFloat32), (0.5 * torch::log(var)).to(torch::kFloat32), n};
}

std::shared_ptr<flow::Glow> with_top_prior(flow::Glow& glow, const TopPriorFit& fit) {
  auto config = glow.config();
  config.top_prior_size = static_cast<int>(fit.mean.size(2));
  auto out = std::make_shared<flow::Glow>(config);
  auto state = io::module_state(glow);
  auto device = state.at("top_mean").device();
  state["top_mean"] = fit.mean.to(device);
  state["top_logs"] = fit.logs.to(device);
  io::load_module_state(*out, state, "the fitted prior");
  return out;
}

}  // namespace hipp::train
