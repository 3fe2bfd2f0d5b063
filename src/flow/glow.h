#pragma once
// Multi-scale Glow. Level i squeezes, runs `steps` FlowSteps, then (except at the top) splits
// off half its channels as latent z_i, whose Gaussian prior is predicted from the kept half.
// z[0] is the finest (detail) level, z.back() the top (contour) level. Fully convolutional:
// any H, W divisible by 2^levels works.
#include <string>
#include <vector>

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
};

struct Encoding {
  std::vector<torch::Tensor> z;  // per level, finest first
  torch::Tensor logdet;          // [N], the flow's log|det|
  torch::Tensor logp;            // [N], log density of z under the learned prior
};

class Glow : public Invertible {
 public:
  explicit Glow(const GlowConfig& config);
  const GlowConfig& config() const { return config_; }

  // x: [N, C, H, W] in [-0.5, 0.5] (dequantized, see preprocess()).
  Encoding encode(const torch::Tensor& x);
  torch::Tensor decode(const std::vector<torch::Tensor>& z);
  // Draws from the prior with its standard deviations scaled by `temperature`.
  torch::Tensor sample(int64_t n, int64_t height, int64_t width, double temperature);

  // Invertible view: all latents packed into one tensor shaped like x squeezed `levels` times.
  FlowResult forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  std::vector<torch::Tensor> unpack(const torch::Tensor& packed) const;
  torch::Tensor pack(const std::vector<torch::Tensor>& z) const;

  // Latent shapes (without batch) for an image of height x width.
  std::vector<std::vector<int64_t>> latent_shapes(int64_t height, int64_t width) const;
  // Throws hipp::Error unless height and width are positive multiples of 2^levels.
  void check_size(int64_t height, int64_t width) const;

 private:
  torch::Tensor reverse(torch::Tensor h, const std::vector<torch::Tensor>* z, double temperature);
  std::pair<torch::Tensor, torch::Tensor> split_prior(size_t level, const torch::Tensor& kept);
  std::vector<int64_t> packed_channels() const;

  GlowConfig config_;
  std::vector<std::vector<std::shared_ptr<FlowStep>>> steps_;
  std::vector<std::shared_ptr<ZeroConv2d>> priors_;  // one per split level
  torch::Tensor top_mean_, top_logs_;
};

// uint8 [N,C,H,W] -> float in [-0.5, 0.5] at n_bits, plus uniform dequantization noise
// when `noise` (training, bits/dim); without it, bin centres.
torch::Tensor preprocess(const torch::Tensor& images, int n_bits, bool noise);
// Inverse of preprocess: float in [-0.5, 0.5] -> uint8 (nearest n-bit level, rescaled to 8 bits).
torch::Tensor postprocess(const torch::Tensor& x, int n_bits);
// Bits per dimension of the discrete n-bit data from an encoding of dequantized input.
torch::Tensor bits_per_dim(const Encoding& enc, int64_t dims, int n_bits);
// Mean bits/dim of uint8 images [N,C,H,W] in batches, with dequantization noise from a fixed
// seed so repeated evaluations agree. Leaves the model in eval mode.
double mean_bits_per_dim(Glow& glow, const torch::Tensor& images, int64_t batch, torch::Device device);

}  // namespace hipp::flow
