#pragma once
// The stress set: ordinary photos pushed to where a generator trained on faces is weakest and
// where the 8-bit range binds (near black and white, saturated, flat, synthetic, noisy), so
// restoration is tested on what a photo library really holds, not only on CelebA.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hipp::data {

// The transforms, in the order `hipp data stress` writes them.
const std::vector<std::string>& stress_names();

// uint8 [3,S,S] -> uint8 [3,S,S]. `seed` picks the layout of the synthetic "graphics" image
// (the only transform that does not depend on the photo) and the "noise". Throws hipp::Error
// for an unknown name.
torch::Tensor stress_transform(const torch::Tensor& rgb, const std::string& name, uint64_t seed);

}  // namespace hipp::data
