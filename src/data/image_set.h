#pragma once
// Images held in memory as one uint8 [N,3,S,S] tensor, and packed sets: a hipp tensor file with
// such a tensor ("images"), already cropped and resized. Packed sets need no image decoder, so
// the trainer-only GPU build reads them (see scripts/gpu/).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace hipp::data {

enum class Split { All, Train, Test };
Split parse_split(const std::string& name);

struct ImageSet {
  torch::Tensor images;  // uint8 [N,3,S,S]
  std::vector<std::string> paths;
};

// A random batch, each image flipped horizontally with probability 1/2 when `flip`.
torch::Tensor random_batch(const ImageSet& set, int64_t batch, bool flip);
// A random patch x patch window of each image of a [N,C,H,W] uint8 batch (patch <= H, W). With
// `zoom` each window is a random square of side patch..min(H, W) (log-uniform), area-resized to
// patch and rounded: every scale of detail from the whole image down to its own pixels.
torch::Tensor random_patches(const torch::Tensor& batch, int64_t patch, bool zoom = false);

bool is_packed(const std::string& path);  // by its ".tensors" name
ImageSet load_packed(const std::string& path);
void save_packed(const std::string& path, const ImageSet& set);

}  // namespace hipp::data
