#pragma once
// The learned encoder E of HIPP (the paper's trained part): per detail level, a small
// conditional invertible network applied to the key-mixed latents before the frozen flow G
// decodes them, so the protected details are z'' = E_k(M_k(z) | protected low-pass). It is
// trained (train/encoder_trainer.h) with the protected image's 8-bit rounding simulated, to
// make restoration robust to it while keeping z'' in G's typical set. Each level is affine
// couplings with bounded scales, conditioned on features of that level's low-pass, and
// starts as the identity (zero-initialized outputs), i.e. as HIPP without E.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flow/layers.h"

namespace hipp::protect {

struct EncoderConfig {
  int levels = 3;            // detail levels it covers (the finest `levels` of G)
  int steps = 4;             // coupling steps per level
  int hidden = 64;           // coupling channels
  int cond_hidden = 32;      // features of the low-pass image
  double scale_bound = 1.0;  // |log scale| per coupling stays below this
};
nlohmann::json config_to_json(const EncoderConfig& c);
EncoderConfig encoder_config_from_json(const nlohmann::json& j, const std::string& where);

// E_k for one level: latents [N, 3C, h, w] given the low-pass [N, C, h, w].
class LevelEncoder : public torch::nn::Module {
 public:
  LevelEncoder(int image_channels, const EncoderConfig& c);
  flow::FlowResult forward(const torch::Tensor& z, const torch::Tensor& low);
  torch::Tensor inverse(const torch::Tensor& y, const torch::Tensor& low);

 private:
  torch::Tensor features(const torch::Tensor& low);
  torch::nn::Conv2d cond1_{nullptr}, cond2_{nullptr};
  std::vector<std::shared_ptr<flow::Coupling>> steps_;
};

class Encoder : public torch::nn::Module {
 public:
  explicit Encoder(const EncoderConfig& config, int image_channels = 3);
  const EncoderConfig& config() const { return config_; }
  // Level k (0 = finest); levels beyond config().levels pass through unchanged.
  torch::Tensor forward(int k, const torch::Tensor& z, const torch::Tensor& low);
  torch::Tensor inverse(int k, const torch::Tensor& y, const torch::Tensor& low);
  LevelEncoder& level(int k) { return *levels_.at(k); }

 private:
  EncoderConfig config_;
  std::vector<std::shared_ptr<LevelEncoder>> levels_;
};

inline constexpr const char* kEncoderWeightsName = "encoder.weights";

// An encoder file: weights plus metadata naming the flow it was trained on ("flow": the flow's
// model folder name; "flow_fingerprint": flow_fingerprint() of its weights, checked on use), the
// block size it was trained at and its training record.
struct EncoderFile {
  std::shared_ptr<Encoder> encoder;
  std::string flow_name;
  double flow_fingerprint = 0;
  int block = 0;
  nlohmann::json record;
};
void save_encoder(const std::string& file, Encoder& encoder, const std::string& flow_name, double flow_fingerprint,
                  int block, const nlohmann::json& record);
EncoderFile load_encoder(const std::string& file, torch::Device device = torch::kCPU);

// Sum of |w| over a module's parameters in float64: ties an encoder to the exact flow it was
// trained with (a cryptographic id is not needed for that, and needs no libsodium).
double flow_fingerprint(const torch::nn::Module& flow);

}  // namespace hipp::protect
