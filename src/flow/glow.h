#pragma once
// Multi-scale Glow. Level i squeezes, runs `steps` FlowSteps, then (except at the top) splits
// off half its channels as latent z_i, whose Gaussian prior is predicted from the kept half.
// z[0] is the finest (detail) level, z.back() the top (contour) level. Fully convolutional:
// any H, W divisible by 2^levels works.
#include <string>
#include <vector>

#include "flow/density.h"
#include "flow/layers.h"

namespace hipp::flow {

struct GlowConfig {
  int in_channels = 3;
  int levels = 3;
  int steps = 8;
  int hidden = 256;
  int n_bits = 8;
  CouplingType coupling = CouplingType::Additive;
  double scale_bound = 1.0;  // affine only: scales stay within exp(+-scale_bound)
  // Grid of the top latent's Gaussian prior. 0: one mean and scale per channel, the same
  // everywhere (Glow's). S > 0: its own per position on an S x S grid, the top latent's size
  // at the training size; on other sizes the grid is resized bilinearly. A face's layout
  // lives in the top latent, which a per-channel prior cannot hold: its samples are blobs.
  int top_prior_size = 0;
};

struct Encoding {
  std::vector<torch::Tensor> z;  // per level, finest first
  torch::Tensor logdet;          // [N], the flow's log|det|
  torch::Tensor logp;            // [N], log density of z under the learned prior
};

class Glow : public Invertible, public DensityFlow {
 public:
  explicit Glow(const GlowConfig& config);
  const GlowConfig& config() const { return config_; }

  // DensityFlow
  torch::nn::Module& module() override { return *this; }
  std::string kind() const override { return "glow"; }
  nlohmann::json config_json() const override;
  int n_bits() const override { return config_.n_bits; }
  torch::Tensor log_density(const torch::Tensor& x) override;
  torch::Tensor round_trip(const torch::Tensor& x) override { return decode(encode(x).z); }

  // x: [N, C, H, W] in [-0.5, 0.5] (dequantized, see preprocess()).
  Encoding encode(const torch::Tensor& x);
  torch::Tensor decode(const std::vector<torch::Tensor>& z);
  // Draws from the prior with its standard deviations scaled by `temperature`.
  torch::Tensor sample(int64_t n, int64_t height, int64_t width, double temperature) override;

  // Invertible view: all latents packed into one tensor shaped like x squeezed `levels` times.
  FlowResult forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  std::vector<torch::Tensor> unpack(const torch::Tensor& packed) const;
  torch::Tensor pack(const std::vector<torch::Tensor>& z) const;

  // Latent shapes (without batch) for an image of height x width.
  std::vector<std::vector<int64_t>> latent_shapes(int64_t height, int64_t width) const;
  // Throws hipp::Error unless height and width are positive multiples of 2^levels.
  void check_size(int64_t height, int64_t width) const override;

  // The top latent's prior (mean, log std), broadcastable to [N, C, h, w] for a top latent
  // of h x w positions.
  std::pair<torch::Tensor, torch::Tensor> top_prior(int64_t h, int64_t w) const;

 private:
  torch::Tensor reverse(torch::Tensor h, const std::vector<torch::Tensor>* z, double temperature);
  std::pair<torch::Tensor, torch::Tensor> split_prior(size_t level, const torch::Tensor& kept);
  std::vector<int64_t> packed_channels() const;

  GlowConfig config_;
  std::vector<std::vector<std::shared_ptr<FlowStep>>> steps_;
  std::vector<std::shared_ptr<ZeroConv2d>> priors_;  // one per split level
  torch::Tensor top_mean_, top_logs_;
};

// Glow's configuration as stored in weights files; from_json throws hipp::Error naming `where`.
nlohmann::json config_to_json(const GlowConfig& c);
GlowConfig config_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace hipp::flow
