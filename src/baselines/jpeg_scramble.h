#pragma once
// "jpeg-scramble": a JPEG-native scheme that never decodes the photo. In the JPEG's quantized
// DCT coefficients:
//   - the DC terms (the 8x8 blocks' means) of each thumbnail block are all set to their mean,
//     remainder spread over the first blocks, so the thumbnail is kept and nothing finer; the
//     original DC terms go to the side data (zstd, encrypted), a few percent of the file;
//   - the blocks' AC vectors are permuted by the key across the image (the AC terms do not touch
//     the thumbnail), in groups of 64 blocks of about the same original brightness (so texture
//     does not land where it would overshoot black or white), and every AC coefficient's sign
//     is flipped by a key bit: exact bijections on the integers.
// Restoration gives back the original's coefficients bit for bit, and the protected file keeps
// about its size (a sign is a raw bit of JPEG's entropy code; each block's AC run is coded on
// its own). It survives recompression that keeps the image size and block grid: signs and
// positions carry over to the new quantizer, and the stored DC terms are rescaled to its step.
// What leaks beyond the thumbnail: the blocks' AC magnitudes (texture energy per frequency) as a
// set, not where each was, only among which blocks of similar brightness. Protected images look like noise over the thumbnail's colours, not
// like photos.
#include "scheme/scheme.h"

namespace hipp::baselines {

using scheme::Scheme;
using scheme::SideData;

class JpegScramble : public Scheme {
 public:
  explicit JpegScramble(int block);
  std::string name() const override { return "jpeg-scramble"; }
  torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&,
                        SideData* side = nullptr) const override;
  torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key&, const crypto::Nonce&,
                        const SideData& side = {}) const override;
  bool jpeg_native() const override { return true; }
  std::vector<uint8_t> protect_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key&, const crypto::Nonce&,
                                    SideData* side) const override;
  // Empty side data (a guess without the key) leaves the thumbnail blocks' flat DC terms.
  std::vector<uint8_t> restore_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key&, const crypto::Nonce&,
                                    const SideData& side) const override;

 private:
  int block_;
};

}  // namespace hipp::baselines
