#pragma once
// The interface every protection scheme implements, HIPP and the thumbnail-preserving
// baselines alike, and the block geometry they share. scheme/registry.h builds any of them by
// name.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/keystream.h"

namespace hipp::scheme {

using SideData = std::vector<uint8_t>;

class Scheme {
 public:
  virtual ~Scheme() = default;
  virtual std::string name() const = 0;
  // uint8 [3,H,W] in and out, any H, W. A scheme may keep a few bytes beside the pixels
  // (HIPP's range fit), which the protected file stores in its header: protect fills `side`
  // when given one (without, the scheme keeps none and may restore less well), and restore
  // takes them back (empty: none were kept).
  virtual torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&,
                                SideData* side = nullptr) const = 0;
  virtual torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key&, const crypto::Nonce&,
                                const SideData& side = {}) const = 0;

  // A JPEG-native scheme protects a JPEG file's quantized coefficients, not pixels: JPEG bytes in,
  // JPEG bytes out, exactly invertible, and its pixel methods refuse. The others refuse these.
  // Side data as for the pixel methods.
  virtual bool jpeg_native() const { return false; }
  virtual std::vector<uint8_t> protect_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key&, const crypto::Nonce&,
                                            SideData* side) const;
  virtual std::vector<uint8_t> restore_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key&, const crypto::Nonce&,
                                            const SideData& side) const;
};

// Settings beyond the block size; the defaults are what `hipp restore` uses, since a protected
// file records only the scheme and block.
struct SchemeParams {
  int rounds = 10;        // tpe-ideal
  int jpeg_quality = 90;  // drpe, tpe-lsb: the JPEG tables their coefficients are quantized with
  int lsb_bits = 2;       // tpe-lsb: bit planes of the DC sum correction (the authors' default)
};

// One thumbnail block of an H x W plane: its n pixels, row-major inside the block in rows
// `width` wide, at plane indices (y*W + x) origin + rel[j].
struct BlockView {
  int64_t origin;
  const int64_t* rel;
  int64_t n, width;
  int64_t idx(int64_t j) const { return origin + rel[j]; }
};

// The thumbnail blocks of an H x W plane in raster order, edge blocks cut short, as BlockViews.
// Blocks of one shape share their relative indices, so a 12 MP photo needs no per-pixel table.
class BlockGrid {
 public:
  BlockGrid(int64_t height, int64_t width, int block);
  // How many blocks an H x W plane has, without building the views.
  static int64_t count(int64_t height, int64_t width, int block) {
    return ((height + block - 1) / block) * ((width + block - 1) / block);
  }
  int64_t blocks() const { return grid_h_ * grid_w_; }
  BlockView view(int64_t b) const;

 private:
  int64_t height_, width_, block_, grid_h_, grid_w_;
  std::vector<int64_t> rel_[4];  // by shape: + 1 for a cut-short last column, + 2 last row
};

// The kept thumbnail's longest side, in blocks, unless asked otherwise: a 12 MP photo with
// 16-px blocks would keep a 252x189 "thumbnail" that shows nearly everything.
inline constexpr int kDefaultThumbnail = 64;
// The block an h x w image gets: the smallest power-of-two multiple of `min_block` (the
// scheme's own default) that leaves at most `max_blocks` blocks along the longest side.
int thumbnail_block(int64_t height, int64_t width, int min_block, int max_blocks = kDefaultThumbnail);
// Throws hipp::Error if a scheme that keeps no side data is handed some (a damaged file).
void expect_no_side(const SideData& side, const std::string& scheme);

// Checks for a uint8 [3,H,W] image and returns a contiguous CPU copy the schemes may edit.
torch::Tensor checked_copy(const torch::Tensor& rgb);

}  // namespace hipp::scheme
