#pragma once
// "tpe-ideal": the sum-preserving TPE of Tajik et al. (NDSS 2019). Each round re-encrypts
// pixel pairs of a block so that every pair keeps its sum, then permutes the block; block
// sums, hence the thumbnail, stay exact and the image restores bit-exactly with the key.
#include "scheme/scheme.h"

namespace hipp::baselines {

using scheme::Scheme;
using scheme::SideData;

class TpeIdeal : public Scheme {
 public:
  TpeIdeal(int block, int rounds) : block_(block), rounds_(rounds) {}
  std::string name() const override { return "tpe-ideal"; }
  torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&,
                        SideData* side = nullptr) const override;
  torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key&, const crypto::Nonce&,
                        const SideData& side = {}) const override;

 private:
  torch::Tensor apply(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&, bool inverse) const;
  int block_;
  int rounds_;
};

// One sum-preserving step on a pixel value p whose pair sums to s (0..510), with r drawn
// uniformly below the pair's range size (s+1 for s <= 255, else 511-s). Exposed for tests.
uint8_t sum_preserving_forward(int p, int s, uint32_t r);
uint8_t sum_preserving_inverse(int p, int s, uint32_t r);
inline uint32_t sum_preserving_range(int s) { return s <= 255 ? s + 1 : 511 - s; }

}  // namespace hipp::baselines
