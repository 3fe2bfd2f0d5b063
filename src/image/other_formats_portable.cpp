// The portable build (no OpenCV, e.g. the GPU machine): PNG and JPEG only, and LibTorch's
// resampling (area when shrinking, bicubic when enlarging), which differs from OpenCV's in the
// last grey level: it only makes test and benchmark inputs, never touches a restoration.
#include "common/error.h"
#include "image/codecs.h"

namespace hipp::image::codec {

torch::Tensor decode_other(const std::vector<uint8_t>&, const std::string& name, Converted&) {
  throw Error(name + ": not a readable image (this build of hipp reads PNG and JPEG only)");
}

torch::Tensor resize(const torch::Tensor& rgb, int width, int height) {
  namespace F = torch::nn::functional;
  const bool shrink = width <= rgb.size(2) && height <= rgb.size(1);
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{height, width});
  opts = shrink ? opts.mode(torch::kArea) : opts.mode(torch::kBicubic).align_corners(false);
  auto x = F::interpolate(rgb.unsqueeze(0).to(torch::kFloat32), opts);
  return x.squeeze(0).round().clamp(0, 255).to(torch::kUInt8);
}

}  // namespace hipp::image::codec
