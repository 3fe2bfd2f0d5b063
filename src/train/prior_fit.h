#pragma once
// `hipp flow fit-prior`: gives a trained Glow a per-position top prior (GlowConfig::top_prior_size)
// fitted in closed form. For a fixed flow, the maximum-likelihood Gaussian of each top-latent
// coordinate is its mean and standard deviation over the data, so no gradient steps are needed.
#include <torch/torch.h>

#include <memory>

#include "flow/glow.h"

namespace hipp::train {

struct TopPriorFit {
  torch::Tensor mean, logs;  // [1, C, S, S], float32, on the CPU
  int64_t images = 0;
};

// Encodes uint8 images [N, 3, S*2^L, S*2^L] (dequantized with noise from `seed`) and returns
// their top latent's per-position mean and log standard deviation.
TopPriorFit fit_top_prior(flow::Glow& glow, const torch::Tensor& images, int64_t batch, torch::Device device,
                          uint64_t seed = 0, bool show_progress = false);

// A copy of `glow` (every step and split prior) whose top prior is the fitted one.
std::shared_ptr<flow::Glow> with_top_prior(flow::Glow& glow, const TopPriorFit& fit);

}  // namespace hipp::train
