#pragma once
// "shuffle": a keyed permutation of pixel positions inside each thumbnail block (one
// permutation per block, shared by a pixel's 3 channels). Exact thumbnail and lossless,
// but it leaks every block's colour histogram: the insecure floor of the comparison, and
// HIPP's own cover for the image's edge strips narrower than a block.
#include "scheme/scheme.h"

namespace hipp::scheme {

class Shuffle : public Scheme {
 public:
  explicit Shuffle(int block) : block_(block) {}
  std::string name() const override { return "shuffle"; }
  torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&,
                        SideData* side = nullptr) const override;
  torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key&, const crypto::Nonce&,
                        const SideData& side = {}) const override;

 private:
  torch::Tensor apply(const torch::Tensor& rgb, const crypto::Key&, const crypto::Nonce&, bool inverse) const;
  int block_;
};

}  // namespace hipp::scheme
