#pragma once
// Running a convolutional map over a big image in tiles, so that memory stays bounded whatever
// the image size: each tile carries a halo as wide as the map's receptive field, so its core
// comes out as the whole image's would (up to float rounding order). Inference only.
#include <torch/torch.h>

#include <functional>

namespace hipp::flow {

// Maps ([N,Ca,H,W], [N,Cb,H,W]) -> [N,Co,H,W]; output position (y, x) may depend only on inputs
// within `halo` of it (zero padding at the image's edges).
using PairMap = std::function<torch::Tensor(const torch::Tensor& a, const torch::Tensor& b)>;

struct Tiling {
  int64_t core = 256;        // tile side before the halo
  int64_t whole_below = 384 * 384;  // inputs with fewer positions run whole (the exact old path)
};

torch::Tensor map_in_tiles(const PairMap& f, const torch::Tensor& a, const torch::Tensor& b, int64_t halo,
                           const Tiling& tiling = {});

}  // namespace hipp::flow
