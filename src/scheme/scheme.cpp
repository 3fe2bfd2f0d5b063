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

BlockLayout::BlockLayout(int64_t height, int64_t width, int block) {
  order.reserve(static_cast<size_t>(height * width));
  offsets.push_back(0);
  for (int64_t by = 0; by < height; by += block)
    for (int64_t bx = 0; bx < width; bx += block) {
      for (int64_t y = by; y < std::min<int64_t>(by + block, height); ++y)
        for (int64_t x = bx; x < std::min<int64_t>(bx + block, width); ++x) order.push_back(y * width + x);
      offsets.push_back(static_cast<int64_t>(order.size()));
    }
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
