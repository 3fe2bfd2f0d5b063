#pragma once
// Wavelet flow (after Yu et al., NeurIPS 2020) built from Glow steps. An averaging Haar step
// splits an image into its 2x2 block means (the low-pass, half size) and 3 detail bands per
// channel; a conditional flow per level maps the details, given the low-pass, to N(0, I)
// latents; an unconditional Glow models the final low-pass, which is the image's thumbnail.
//
//   x --haar--> (low_1, detail_0) --haar--> (low_2, detail_1) ... low_L = thumbnail (block 2^L)
//   z_k = detail_flow_k(detail_k | low_{k+1})
//
// HIPP keeps the low-pass at the block size and regenerates the details from mixed latents, so
// the thumbnail survives exactly. The couplings are additive: log|det| does not depend on the
// input, so the density of a protected image equals that of its original up to rounding.
#include <vector>

#include "flow/glow.h"

namespace hipp::flow {

// Averaging Haar step: [N,C,H,W] -> (low [N,C,H/2,W/2], detail [N,3C,H/2,W/2]). Exact in binary
// floating point (sums and quarters); log|det| is -log(16) per low-pass element.
std::pair<torch::Tensor, torch::Tensor> haar_split(const torch::Tensor& x);
torch::Tensor haar_merge(const torch::Tensor& low, const torch::Tensor& detail);
double haar_logdet(const torch::Tensor& low);

// Conditional flow of one level's detail bands given that level's low-pass image.
class DetailFlow : public torch::nn::Module {
 public:
  DetailFlow(int image_channels, int steps, int hidden, int cond_hidden);
  FlowResult forward(const torch::Tensor& detail, const torch::Tensor& low);
  torch::Tensor inverse(const torch::Tensor& z, const torch::Tensor& low);
  // How far (in this level's positions) an output may depend on its inputs: the halo tiles need.
  int64_t receptive_radius() const;
  torch::Tensor logdet_per_position();  // the couplings are additive: the log-det is this x area

 private:
  torch::Tensor features(const torch::Tensor& low);
  torch::nn::Conv2d cond1_{nullptr}, cond2_{nullptr};
  std::vector<std::shared_ptr<FlowStep>> steps_;
};

struct WaveletConfig {
  int levels = 3;       // detail levels: the thumbnail is the image averaged over 2^levels blocks
  int steps = 8;        // flow steps per detail level
  int hidden = 128;     // coupling channels
  int cond_hidden = 64; // features computed from the low-pass image
  int n_bits = 8;
  GlowConfig base{3, 2, 8, 128, 8, CouplingType::Additive, 1.0};  // the thumbnail's own Glow
};
nlohmann::json config_to_json(const WaveletConfig& c);
WaveletConfig wavelet_config_from_json(const nlohmann::json& j, const std::string& where);

class WaveletFlow : public torch::nn::Module, public DensityFlow {
 public:
  explicit WaveletFlow(const WaveletConfig& config);
  const WaveletConfig& config() const { return config_; }

  torch::nn::Module& module() override { return *this; }
  std::string kind() const override { return "wavelet"; }
  nlohmann::json config_json() const override { return config_to_json(config_); }
  int n_bits() const override { return config_.n_bits; }
  void check_size(int64_t height, int64_t width) const override;
  torch::Tensor log_density(const torch::Tensor& x) override;
  torch::Tensor sample(int64_t n, int64_t height, int64_t width, double temperature) override;
  torch::Tensor round_trip(const torch::Tensor& x) override;

  // One level's detail <-> latent, for level k (0 = finest), given that level's low-pass. Levels
  // beyond the trained ones share the coarsest trained level's flow: photos are roughly
  // scale-invariant, so a block can grow past 2^levels (big photos keep small thumbnails).
  DetailFlow& detail_flow(int k);
  FlowResult detail_forward(int k, const torch::Tensor& detail, const torch::Tensor& low);
  torch::Tensor detail_inverse(int k, const torch::Tensor& z, const torch::Tensor& low);
  Glow& base() { return *base_; }

 private:
  WaveletConfig config_;
  std::vector<std::shared_ptr<DetailFlow>> details_;
  std::shared_ptr<Glow> base_;
};

// log N(z; 0, I) summed per sample.
torch::Tensor standard_normal_log_p(const torch::Tensor& z);

}  // namespace hipp::flow
