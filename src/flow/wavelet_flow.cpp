#include "flow/wavelet_flow.h"

#include <cmath>

#include "common/error.h"
#include "flow/tiling.h"

namespace hipp::flow {
using nlohmann::json;

std::pair<torch::Tensor, torch::Tensor> haar_split(const torch::Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), h2 = x.size(2) / 2, w2 = x.size(3) / 2;
  TORCH_CHECK(x.size(2) % 2 == 0 && x.size(3) % 2 == 0, "haar_split needs even height and width");
  // The four pixels of each 2x2 cell read in place, each band written straight into its place,
  // sums formed in place (the same operations in the same order): no full-size temporaries, and
  // at most one quarter-size one (a 12 MP level would otherwise hold several hundred MB more).
  auto at = x.view({n, c, h2, 2, w2, 2});
  auto a = at.select(5, 0).select(3, 0), b = at.select(5, 1).select(3, 0);
  auto cc = at.select(5, 0).select(3, 1), d = at.select(5, 1).select(3, 1);
  auto low = a + b;
  low.add_(cc).add_(d).mul_(0.25);
  auto detail = torch::empty({n, 3 * c, h2, w2}, x.options());
  auto band = [&](int64_t i, const torch::Tensor& t) { detail.slice(1, i * c, (i + 1) * c).copy_(t.mul_(0.25)); };
  band(0, (a - b).add_(cc).sub_(d));
  band(1, (a + b).sub_(cc).sub_(d));
  band(2, (a - b).sub_(cc).add_(d));
  return {low, detail};
}

torch::Tensor haar_merge(const torch::Tensor& low, const torch::Tensor& detail) {
  auto parts = detail.chunk(3, 1);
  auto &h = parts[0], &v = parts[1], &dd = parts[2];
  const int64_t n = low.size(0), c = low.size(1), lh = low.size(2), lw = low.size(3);
  // Each quarter is written straight into its strided place, its sums formed in place (the same
  // operations in the same order): no full-size temporaries and one quarter-size one at a time.
  auto out = torch::empty({n, c, 2 * lh, 2 * lw}, low.options());
  auto at = out.view({n, c, lh, 2, lw, 2});
  at.select(5, 0).select(3, 0).copy_((low + h).add_(v).add_(dd));
  at.select(5, 1).select(3, 0).copy_((low - h).add_(v).sub_(dd));
  at.select(5, 0).select(3, 1).copy_((low + h).sub_(v).sub_(dd));
  at.select(5, 1).select(3, 1).copy_((low - h).sub_(v).add_(dd));
  return out;
}

double haar_logdet(const torch::Tensor& low) {
  return -std::log(16.0) * static_cast<double>(low.size(1) * low.size(2) * low.size(3));
}

torch::Tensor standard_normal_log_p(const torch::Tensor& z) {
  static const double kLog2Pi = std::log(2 * M_PI);
  return (-0.5 * (kLog2Pi + z.pow(2))).flatten(1).sum(1);
}

// ---------------------------------------------------------------- DetailFlow
DetailFlow::DetailFlow(int c, int steps, int hidden, int cond_hidden) {
  cond1_ = register_module("cond1", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, cond_hidden, 3).padding(1)));
  cond2_ = register_module("cond2",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(cond_hidden, cond_hidden, 3).padding(1)));
  for (int k = 0; k < steps; ++k)
    steps_.push_back(register_module("step" + std::to_string(k),
                                     std::make_shared<FlowStep>(3 * c, hidden, CouplingType::Additive, 1.0, cond_hidden)));
}

torch::Tensor DetailFlow::features(const torch::Tensor& low) {
  return torch::relu(cond2_->forward(torch::relu(cond1_->forward(low))));
}

FlowResult DetailFlow::forward(const torch::Tensor& detail, const torch::Tensor& low) {
  auto f = features(low);
  auto h = detail;
  auto logdet = torch::zeros({detail.size(0)}, detail.options());
  for (auto& s : steps_) {
    auto r = s->forward(h, f);
    h = r.y;
    logdet = logdet + r.logdet;
  }
  return {h, logdet};
}

int64_t DetailFlow::receptive_radius() const { return 2 + 2 * static_cast<int64_t>(steps_.size()); }

torch::Tensor DetailFlow::logdet_per_position() {
  auto total = torch::zeros({}, cond1_->weight.options());
  for (auto& s : steps_) total = total + s->logdet_per_position();
  return total;
}

torch::Tensor DetailFlow::inverse(const torch::Tensor& z, const torch::Tensor& low) {
  auto f = features(low);
  auto h = z;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) h = (*it)->inverse(h, f);
  return h;
}

// ---------------------------------------------------------------- config
json config_to_json(const WaveletConfig& c) {
  return {{"levels", c.levels}, {"steps", c.steps},   {"hidden", c.hidden},
          {"cond_hidden", c.cond_hidden}, {"n_bits", c.n_bits}, {"base", config_to_json(c.base)}};
}

WaveletConfig wavelet_config_from_json(const json& j, const std::string& where) {
  WaveletConfig c;
  try {
    for (const char* f : {"levels", "steps", "hidden", "cond_hidden", "n_bits", "base"})
      if (!j.is_object() || !j.contains(f)) throw Error(where + ": model configuration lacks field '" + f + "'");
    c.levels = j.at("levels").get<int>();
    c.steps = j.at("steps").get<int>();
    c.hidden = j.at("hidden").get<int>();
    c.cond_hidden = j.at("cond_hidden").get<int>();
    c.n_bits = j.at("n_bits").get<int>();
  } catch (const json::exception& e) {
    throw Error(where + ": model configuration has a field of the wrong type (" + e.what() + ")");
  }
  c.base = config_from_json(j.at("base"), where + " (base)");
  if (c.levels < 1 || c.steps < 1 || c.hidden < 1 || c.cond_hidden < 1 || c.n_bits < 1 || c.n_bits > 8)
    throw Error(where + ": model configuration is out of range");
  return c;
}

// ---------------------------------------------------------------- WaveletFlow
WaveletFlow::WaveletFlow(const WaveletConfig& config) : config_(config) {
  if (config.levels < 1 || config.steps < 1 || config.hidden < 1 || config.cond_hidden < 1)
    throw Error("invalid wavelet flow configuration (levels, steps, hidden, cond_hidden >= 1)");
  config_.base.n_bits = config.n_bits;
  int c = config.base.in_channels;
  for (int k = 0; k < config.levels; ++k)
    details_.push_back(register_module("detail" + std::to_string(k),
                                       std::make_shared<DetailFlow>(c, config.steps, config.hidden, config.cond_hidden)));
  base_ = register_module("base", std::make_shared<Glow>(config_.base));
}

void WaveletFlow::check_size(int64_t height, int64_t width) const {
  int64_t m = int64_t{1} << (config_.levels + config_.base.levels);
  if (height < m || width < m || height % m || width % m)
    throw Error("image size " + std::to_string(width) + "x" + std::to_string(height) + " must be a multiple of " +
                std::to_string(m) + " (2^(levels + base levels)) in both directions");
}

DetailFlow& WaveletFlow::detail_flow(int k) {
  TORCH_CHECK(k >= 0, "negative wavelet level");
  return *details_[std::min<size_t>(k, details_.size() - 1)];
}

// Without gradients (protecting, restoring), big levels run in tiles: memory stays bounded and
// small images take the exact path they always took.
FlowResult WaveletFlow::detail_forward(int k, const torch::Tensor& detail, const torch::Tensor& low) {
  auto& d = detail_flow(k);
  if (torch::GradMode::is_enabled()) return d.forward(detail, low);
  auto y = map_in_tiles([&](const torch::Tensor& a, const torch::Tensor& b) { return d.forward(a, b).y; }, detail,
                        low, d.receptive_radius());
  auto logdet = (d.logdet_per_position() * static_cast<double>(detail.size(2) * detail.size(3))).expand({detail.size(0)});
  return {y, logdet};
}

torch::Tensor WaveletFlow::detail_inverse(int k, const torch::Tensor& z, const torch::Tensor& low) {
  auto& d = detail_flow(k);
  if (torch::GradMode::is_enabled()) return d.inverse(z, low);
  return map_in_tiles([&](const torch::Tensor& a, const torch::Tensor& b) { return d.inverse(a, b); }, z, low,
                      d.receptive_radius());
}

torch::Tensor WaveletFlow::log_density(const torch::Tensor& x) {
  check_size(x.size(2), x.size(3));
  auto low = x;
  auto total = torch::zeros({x.size(0)}, x.options());
  for (int k = 0; k < config_.levels; ++k) {
    auto [next, detail] = haar_split(low);
    auto r = details_[k]->forward(detail, next);
    total = total + r.logdet + standard_normal_log_p(r.y) + haar_logdet(next);
    low = next;
  }
  return total + base_->log_density(low);
}

torch::Tensor WaveletFlow::sample(int64_t n, int64_t height, int64_t width, double temperature) {
  check_size(height, width);
  auto low = base_->sample(n, height >> config_.levels, width >> config_.levels, temperature);
  for (int k = config_.levels - 1; k >= 0; --k) {
    auto z = temperature * torch::randn({n, 3 * low.size(1), low.size(2), low.size(3)}, low.options());
    low = haar_merge(low, details_[k]->inverse(z, low));
  }
  return low;
}

torch::Tensor WaveletFlow::round_trip(const torch::Tensor& x) {
  check_size(x.size(2), x.size(3));
  std::vector<torch::Tensor> z, lows;
  auto low = x;
  for (int k = 0; k < config_.levels; ++k) {
    auto [next, detail] = haar_split(low);
    z.push_back(details_[k]->forward(detail, next).y);
    lows.push_back(next);
    low = next;
  }
  low = base_->round_trip(low);
  for (int k = config_.levels - 1; k >= 0; --k) low = haar_merge(low, details_[k]->inverse(z[k], low));
  return low;
}

}  // namespace hipp::flow
