#pragma once
// What the JPEG-domain baselines (drpe, tpe-lsb) share: the image as JPEG would code it
// (full-range BT.601 YCbCr, no chroma subsampling, 8x8 DCT, IJG quality-scaled tables), and
// a Scheme that encrypts its quantized coefficients group by group, a group being one
// channel's coefficients at one position across the 8x8 blocks of one thumbnail block
// (Marohn et al. 2017). Only complete 8x8 blocks are coded: the last H%8 rows and W%8
// columns are left as they are, since the protected PNG could not carry their padding.
#include <array>
#include <vector>

#include "scheme/scheme.h"

namespace hipp::baselines {

using scheme::Scheme;
using scheme::SideData;

namespace jpeg {

// The standard luminance (or chrominance) table scaled to `quality` (1..100) as libjpeg's
// jpeg_quality_scaling does, entries clamped to 1..255; row-major (not zigzag) order.
std::array<int, 64> quant_table(int quality, bool chroma);

// Quantized coefficients of the image's complete 8x8 blocks: channel c (Y, Cb, Cr), block
// (r, k) and frequency f = 8*v + u at coef[c][(r * cols + k) * 64 + f].
struct Coefficients {
  int64_t rows = 0, cols = 0;
  std::array<std::vector<int>, 3> coef;
};

Coefficients forward(const torch::Tensor& rgb, int quality);
// Decodes the coefficients into `rgb`'s complete blocks (rounded, clipped); edges untouched.
void inverse(const Coefficients& c, int quality, torch::Tensor& rgb);

}  // namespace jpeg

// pixels -> coefficients -> encrypt every group -> pixels, and back. Subclasses transform one
// group; each (channel, thumbnail block) draws from its own keyed stream, named
// "<scheme>/<channel>/<block>", in group order, so protect and restore see the same bytes.
class DctGroupScheme : public Scheme {
 public:
  // block: the thumbnail block, a multiple of 8 and at least 16 (at 8 a group holds a single
  // coefficient, which has no range to encrypt in, so the image would go out in the clear).
  DctGroupScheme(int block, int quality);
  torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&,
                        SideData* side = nullptr) const override;
  torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key&, const crypto::Nonce&,
                        const SideData& side = {}) const override;

 protected:
  // One group in place; `freq` 0 is the DC. `fixup` is a second stream of the same
  // (channel, thumbnail block), named "<scheme>/fixup/<channel>/<block>", for randomness only
  // protect needs, so restore's stream stays aligned without drawing it.
  virtual void encrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks, crypto::KeyStream& fixup) const = 0;
  virtual void decrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks) const = 0;

 private:
  torch::Tensor apply(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&, bool inverse) const;
  int block_;
  int quality_;
};

}  // namespace hipp::baselines
