#include "scheme/scheme.h"

#include "common/error.h"
#include "image/image.h"

namespace hipp::scheme {

std::vector<uint8_t> Scheme::protect_jpeg(const std::vector<uint8_t>&, const crypto::Key&, const crypto::Nonce&,
                                          SideData*) const {
  throw Error(name() + " protects pixels, not JPEG coefficients");
}
std::vector<uint8_t> Scheme::restore_jpeg(const std::vector<uint8_t>&, const crypto::Key&, const crypto::Nonce&,
                                          const SideData&) const {
  throw Error(name() + " restores pixels, not JPEG coefficients");
}

BlockGrid::BlockGrid(int64_t height, int64_t width, int block)
    : height_(height), width_(width), block_(block), grid_h_((height + block - 1) / block), grid_w_((width + block - 1) / block) {
  for (int shape = 0; shape < 4; ++shape) {
    const int64_t cols = shape & 1 ? width - (grid_w_ - 1) * block : block;
    const int64_t rows = shape & 2 ? height - (grid_h_ - 1) * block : block;
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) rel_[shape].push_back(y * width + x);
  }
}

BlockView BlockGrid::view(int64_t b) const {
  const int64_t by = b / grid_w_, bx = b % grid_w_;
  const int shape = (bx == grid_w_ - 1 ? 1 : 0) + (by == grid_h_ - 1 ? 2 : 0);
  const int64_t cols = std::min(block_, width_ - bx * block_);
  const auto& rel = rel_[shape];
  return {by * block_ * width_ + bx * block_, rel.data(), static_cast<int64_t>(rel.size()), cols};
}

int thumbnail_block(int64_t height, int64_t width, int min_block, int max_blocks) {
  if (min_block < 1 || max_blocks < 1) throw Error("block and thumbnail size must be positive");
  const int64_t longest = std::max(height, width);
  int64_t block = min_block;
  while ((longest + block - 1) / block > max_blocks) block *= 2;
  if (block > 65535) throw Error(ErrorKind::too_large, "a thumbnail of " + std::to_string(max_blocks) + " blocks needs blocks over 65535 px");
  return static_cast<int>(block);
}

void expect_no_side(const SideData& side, const std::string& scheme) {
  if (!side.empty()) throw Error(ErrorKind::damaged, "damaged hipp file (" + scheme + " keeps no side data, the file holds " +
                                 std::to_string(side.size()) + " bytes)");
}

torch::Tensor checked_copy(const torch::Tensor& rgb) {
  image::require_rgb(rgb, "TPE scheme");
  return rgb.to(torch::kCPU).contiguous().clone();
}

}  // namespace hipp::scheme
