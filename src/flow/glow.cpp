#include "flow/glow.h"

#include <cmath>

#include "common/error.h"

namespace hipp::flow {

Glow::Glow(const GlowConfig& config) : config_(config) {
  if (config.levels < 1 || config.steps < 1 || config.hidden < 1 || config.n_bits < 1 || config.n_bits > 8)
    throw Error("invalid Glow configuration (levels, steps, hidden >= 1; 1 <= n_bits <= 8)");
  int c = config.in_channels;
  for (int i = 0; i < config.levels; ++i) {
    c *= 4;
    std::vector<std::shared_ptr<FlowStep>> level;
    for (int k = 0; k < config.steps; ++k)
      level.push_back(register_module("level" + std::to_string(i) + "_step" + std::to_string(k),
                                      std::make_shared<FlowStep>(c, config.hidden, config.coupling, config.scale_bound)));
    steps_.push_back(level);
    if (i + 1 < config.levels) {
      priors_.push_back(register_module("prior" + std::to_string(i), std::make_shared<ZeroConv2d>(c / 2, c)));
      c /= 2;
    }
  }
  top_mean_ = register_parameter("top_mean", torch::zeros({1, c, 1, 1}));
  top_logs_ = register_parameter("top_logs", torch::zeros({1, c, 1, 1}));
}

void Glow::check_size(int64_t height, int64_t width) const {
  int64_t m = int64_t{1} << config_.levels;
  if (height < m || width < m || height % m || width % m)
    throw Error("image size " + std::to_string(width) + "x" + std::to_string(height) + " must be a multiple of " +
                std::to_string(m) + " (2^levels) in both directions");
}

std::pair<torch::Tensor, torch::Tensor> Glow::split_prior(size_t level, const torch::Tensor& kept) {
  auto p = priors_[level]->forward(kept).chunk(2, 1);
  return {p[0], p[1]};
}

Encoding Glow::encode(const torch::Tensor& x) {
  check_size(x.size(2), x.size(3));
  Encoding enc;
  auto h = x;
  enc.logdet = torch::zeros({x.size(0)}, x.options());
  enc.logp = torch::zeros({x.size(0)}, x.options());
  for (int i = 0; i < config_.levels; ++i) {
    h = squeeze2d(h);
    for (auto& step : steps_[i]) {
      auto r = step->forward(h);
      h = r.y;
      enc.logdet = enc.logdet + r.logdet;
    }
    if (i + 1 < config_.levels) {
      auto parts = h.chunk(2, 1);
      auto [mean, logs] = split_prior(i, parts[0]);
      enc.logp = enc.logp + gaussian_log_p(parts[1], mean, logs).sum({1, 2, 3});
      enc.z.push_back(parts[1]);
      h = parts[0];
    } else {
      enc.logp = enc.logp + gaussian_log_p(h, top_mean_, top_logs_).sum({1, 2, 3});
      enc.z.push_back(h);
    }
  }
  return enc;
}

// Runs the levels backwards from the top latent `h`. Split-off latents come from `z`, or are
// sampled from their priors at `temperature` when `z` is null.
torch::Tensor Glow::reverse(torch::Tensor h, const std::vector<torch::Tensor>* z, double temperature) {
  for (int i = config_.levels - 1; i >= 0; --i) {
    if (i + 1 < config_.levels) {
      torch::Tensor zi;
      if (z) {
        zi = (*z)[i];
      } else {
        auto [mean, logs] = split_prior(i, h);
        zi = mean + temperature * torch::exp(logs) * torch::randn_like(mean);
      }
      h = torch::cat({h, zi}, 1);
    }
    for (auto it = steps_[i].rbegin(); it != steps_[i].rend(); ++it) h = (*it)->inverse(h);
    h = unsqueeze2d(h);
  }
  return h;
}

torch::Tensor Glow::decode(const std::vector<torch::Tensor>& z) {
  if (z.size() != static_cast<size_t>(config_.levels))
    throw Error("decode needs " + std::to_string(config_.levels) + " latents, got " + std::to_string(z.size()));
  return reverse(z.back(), &z, 1.0);
}

torch::Tensor Glow::sample(int64_t n, int64_t height, int64_t width, double temperature) {
  check_size(height, width);
  auto shape = latent_shapes(height, width).back();
  auto opts = top_mean_.options();
  auto eps = torch::randn({n, shape[0], shape[1], shape[2]}, opts);
  return reverse(top_mean_ + temperature * torch::exp(top_logs_) * eps, nullptr, temperature);
}

std::vector<std::vector<int64_t>> Glow::latent_shapes(int64_t height, int64_t width) const {
  std::vector<std::vector<int64_t>> shapes;
  int64_t c = config_.in_channels;
  for (int i = 0; i < config_.levels; ++i) {
    c *= 4;
    height /= 2;
    width /= 2;
    if (i + 1 < config_.levels) {
      shapes.push_back({c / 2, height, width});
      c /= 2;
    } else {
      shapes.push_back({c, height, width});
    }
  }
  return shapes;
}

// Each z_i is squeezed down to the top resolution; channel counts then depend only on the config.
std::vector<int64_t> Glow::packed_channels() const {
  std::vector<int64_t> out;
  auto shapes = latent_shapes(int64_t{1} << config_.levels, int64_t{1} << config_.levels);
  for (int i = 0; i < config_.levels; ++i) out.push_back(shapes[i][0] << (2 * (config_.levels - 1 - i)));
  return out;
}

torch::Tensor Glow::pack(const std::vector<torch::Tensor>& z) const {
  std::vector<torch::Tensor> parts;
  for (int i = 0; i < config_.levels; ++i) {
    auto t = z[i];
    for (int k = i; k < config_.levels - 1; ++k) t = squeeze2d(t);
    parts.push_back(t);
  }
  return torch::cat(parts, 1);
}

std::vector<torch::Tensor> Glow::unpack(const torch::Tensor& packed) const {
  auto chans = packed_channels();
  auto parts = packed.split_with_sizes(chans, 1);
  std::vector<torch::Tensor> z;
  for (int i = 0; i < config_.levels; ++i) {
    auto t = parts[i];
    for (int k = i; k < config_.levels - 1; ++k) t = unsqueeze2d(t);
    z.push_back(t);
  }
  return z;
}

FlowResult Glow::forward(const torch::Tensor& x) {
  auto enc = encode(x);
  return {pack(enc.z), enc.logdet};
}

torch::Tensor Glow::inverse(const torch::Tensor& y) { return decode(unpack(y)); }

torch::Tensor preprocess(const torch::Tensor& images, int n_bits, bool noise) {
  double bins = std::pow(2.0, n_bits);
  auto x = images.to(torch::kFloat32);
  if (n_bits < 8) x = torch::floor(x / std::pow(2.0, 8 - n_bits));
  x = x / bins - 0.5;
  return noise ? x + torch::rand_like(x) / bins : x + 0.5 / bins;
}

torch::Tensor postprocess(const torch::Tensor& x, int n_bits) {
  double bins = std::pow(2.0, n_bits);
  auto level = torch::floor((x + 0.5) * bins).clamp(0, bins - 1);
  return (level * std::pow(2.0, 8 - n_bits)).to(torch::kUInt8);
}

torch::Tensor bits_per_dim(const Encoding& enc, int64_t dims, int n_bits) {
  // The dequantized density lives on bins of width 1/2^n: log P(discrete) = log p - D log 2^n.
  auto nll = -(enc.logp + enc.logdet) + dims * n_bits * std::log(2.0);
  return nll / (dims * std::log(2.0));
}

double mean_bits_per_dim(Glow& glow, const torch::Tensor& images, int64_t batch, torch::Device device) {
  torch::NoGradGuard ng;
  glow.eval();
  torch::manual_seed(1234);
  double total = 0;
  int64_t n = images.size(0);
  int64_t dims = images[0].numel();
  for (int64_t i = 0; i < n; i += batch) {
    auto x = preprocess(images.slice(0, i, std::min(n, i + batch)).to(device), glow.config().n_bits, true);
    total += bits_per_dim(glow.encode(x), dims, glow.config().n_bits).sum().item<double>();
  }
  return total / n;
}

}  // namespace hipp::flow
