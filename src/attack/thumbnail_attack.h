#pragma once
// The thumbnail attack: a network that rebuilds a face from the block-average thumbnail that
// every thumbnail-preserving scheme (HIPP included) leaves in the clear. It follows MTNet
// (Li et al., IEEE TMM, "Information Disclosure Risk of Thumbnail-Preserving Encryption") in
// task, loss (L1) and cascade (an intermediate output with its own supervision, then the
// final one), with its Mamba/Transformer blocks replaced by residual convolution blocks with
// channel attention so that it trains on a CPU. The output's block averages are projected
// back onto the known thumbnail: the attacker never contradicts what it knows.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace hipp::attack {

struct ReconConfig {
  int block = 8;       // thumbnail block size (a power of two)
  int channels = 64;   // feature channels at thumbnail resolution (halved per upsampling, >= 16)
  int res_blocks = 4;  // residual blocks at thumbnail resolution
};
nlohmann::json config_to_json(const ReconConfig& c);
ReconConfig config_from_json(const nlohmann::json& j, const std::string& where);

// Thumbnail float [N,3,h,w] in [-0.5, 0.5] -> image [N,3,h*block,w*block].
class ReconNetImpl : public torch::nn::Module {
 public:
  explicit ReconNetImpl(const ReconConfig& config);
  struct Output {
    torch::Tensor coarse;  // at half the output resolution
    torch::Tensor image;
  };
  Output forward(const torch::Tensor& thumb);
  const ReconConfig& config() const { return config_; }

 private:
  ReconConfig config_;
  torch::nn::Conv2d stem{nullptr}, coarse_head{nullptr}, head{nullptr};
  torch::nn::Sequential body{nullptr};
  std::vector<torch::nn::Sequential> ups;
};
TORCH_MODULE(ReconNet);

// Block averages of x [N,3,H,W] (H, W multiples of block).
torch::Tensor block_mean(const torch::Tensor& x, int block);
// Adds to `image` the per-block constant that makes its block averages equal `thumb`.
torch::Tensor match_thumbnail(const torch::Tensor& image, const torch::Tensor& thumb, int block);

// uint8 [N,3,H,W] images -> the attack's uint8 reconstructions from their thumbnails alone.
torch::Tensor reconstruct(ReconNet& net, const torch::Tensor& images);
// The trivial attack for comparison: the thumbnail upsampled bicubically, block means kept.
torch::Tensor upsample_thumbnail(const torch::Tensor& images, int block);

// A model file (hipp tensor file) with kind "thumbnail-attack", its config, and a record.
inline constexpr const char* kAttackWeightsName = "attack.weights";
struct AttackModel {
  ReconNet net{nullptr};
  int size = 0;  // training resolution
  nlohmann::json record;
  std::string path;
};
void save_attack(const std::string& file, ReconNet& net, int size, const nlohmann::json& record);
AttackModel load_attack(const std::string& path_or_folder, torch::Device device = torch::kCPU);

}  // namespace hipp::attack
