#pragma once
// What training, evaluation and sampling need from a face flow, whatever its architecture
// (plain multi-scale Glow, or the wavelet flow that HIPP protects with).
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace hipp::flow {

class DensityFlow {
 public:
  virtual ~DensityFlow() = default;
  virtual torch::nn::Module& module() = 0;
  virtual std::string kind() const = 0;  // stored in the weights file: "glow" or "wavelet"
  virtual nlohmann::json config_json() const = 0;
  virtual int n_bits() const = 0;
  // Throws hipp::Error unless the model can take an image of this size.
  virtual void check_size(int64_t height, int64_t width) const = 0;
  // log p(x) in nats per sample, for dequantized x in [-0.5, 0.5] (see preprocess()).
  virtual torch::Tensor log_density(const torch::Tensor& x) = 0;
  // Draws n images in [-0.5, 0.5], with the prior's standard deviations scaled by `temperature`.
  virtual torch::Tensor sample(int64_t n, int64_t height, int64_t width, double temperature) = 0;
  // inverse(forward(x)): the whole flow there and back, to measure its numerical error.
  virtual torch::Tensor round_trip(const torch::Tensor& x) = 0;
};

// uint8 [N,C,H,W] -> float in [-0.5, 0.5] at n_bits, plus uniform dequantization noise
// when `noise` (training, bits/dim); without it, bin centres.
torch::Tensor preprocess(const torch::Tensor& images, int n_bits, bool noise);
// Inverse of preprocess: float in [-0.5, 0.5] -> uint8 (nearest n-bit level, rescaled to 8 bits).
torch::Tensor postprocess(const torch::Tensor& x, int n_bits);
// Bits per dimension of the discrete n-bit data, from log p of its dequantized version.
torch::Tensor bits_per_dim(const torch::Tensor& log_density, int64_t dims, int n_bits);
// Mean bits/dim of uint8 images [N,C,H,W] in batches, with dequantization noise from a fixed
// seed so repeated evaluations agree. Leaves the model in eval mode.
double mean_bits_per_dim(DensityFlow& flow, const torch::Tensor& images, int64_t batch, torch::Device device);

}  // namespace hipp::flow
