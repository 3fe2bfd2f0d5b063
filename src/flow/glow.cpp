#include "flow/glow.h"

#include <cmath>

#include "common/error.h"

namespace hipp::flow {

Glow::Glow(const GlowConfig& config) : config_(config) {
  if (config.levels < 1 || config.steps < 1 || config.hidden < 1 || config.n_bits < 1 || config.n_bits > 8 ||
      config.top_prior_size < 0)
    throw Error("invalid Glow configuration (levels, steps, hidden >= 1; 1 <= n_bits <= 8; top_prior_size >= 0)");
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
  int64_t grid = std::max(config.top_prior_size, 1);
  top_mean_ = register_parameter("top_mean", torch::zeros({1, c, grid, grid}));
  top_logs_ = register_parameter("top_logs", torch::zeros({1, c, grid, grid}));
}

std::pair<torch::Tensor, torch::Tensor> Glow::top_prior(int64_t h, int64_t w) const {
  if (config_.top_prior_size == 0 || (top_mean_.size(2) == h && top_mean_.size(3) == w)) return {top_mean_, top_logs_};
  namespace F = torch::nn::functional;
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false);
  return {F::interpolate(top_mean_, opts), F::interpolate(top_logs_, opts)};
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
      auto [mean, logs] = top_prior(h.size(2), h.size(3));
      enc.logp = enc.logp + gaussian_log_p(h, mean, logs).sum({1, 2, 3});
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
  auto [mean, logs] = top_prior(shape[1], shape[2]);
  auto eps = torch::randn({n, shape[0], shape[1], shape[2]}, mean.options());
  return reverse(mean + temperature * torch::exp(logs) * eps, nullptr, temperature);
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

torch::Tensor Glow::log_density(const torch::Tensor& x) {
  auto enc = encode(x);
  return enc.logp + enc.logdet;
}

using nlohmann::json;

json config_to_json(const GlowConfig& c) {
  return {{"in_channels", c.in_channels}, {"levels", c.levels},
          {"steps", c.steps},             {"hidden", c.hidden},
          {"n_bits", c.n_bits},           {"coupling", coupling_name(c.coupling)},
          {"scale_bound", c.scale_bound}, {"top_prior_size", c.top_prior_size}};
}

GlowConfig config_from_json(const json& j, const std::string& where) {
  auto field = [&](const char* name) -> const json& {
    if (!j.is_object() || !j.contains(name)) throw Error(where + ": model configuration lacks field '" + name + "'");
    return j.at(name);
  };
  GlowConfig c;
  try {
    c.in_channels = field("in_channels").get<int>();
    c.levels = field("levels").get<int>();
    c.steps = field("steps").get<int>();
    c.hidden = field("hidden").get<int>();
    c.n_bits = field("n_bits").get<int>();
    c.coupling = parse_coupling(field("coupling").get<std::string>());
    c.scale_bound = field("scale_bound").get<double>();
    c.top_prior_size = j.value("top_prior_size", 0);  // absent in files written before it existed
  } catch (const json::exception& e) {
    throw Error(where + ": model configuration has a field of the wrong type (" + e.what() + ")");
  }
  if (c.in_channels < 1 || c.levels < 1 || c.steps < 1 || c.hidden < 1 || c.n_bits < 1 || c.n_bits > 8 ||
      c.top_prior_size < 0)
    throw Error(where + ": model configuration is out of range");
  return c;
}

nlohmann::json Glow::config_json() const { return config_to_json(config_); }

}  // namespace hipp::flow
