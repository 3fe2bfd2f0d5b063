#include "scheme/shuffle.h"

namespace hipp::scheme {

torch::Tensor Shuffle::protect(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                               SideData* side) const {
  if (side) side->clear();
  return apply(rgb, key, nonce, false);
}

torch::Tensor Shuffle::restore(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                               const SideData& side) const {
  expect_no_side(side, name());
  return apply(rgb, key, nonce, true);
}

torch::Tensor Shuffle::apply(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                             bool inverse) const {
  auto in = checked_copy(rgb);
  auto out = torch::empty_like(in);
  const int64_t hw = in.size(1) * in.size(2);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  BlockGrid grid(in.size(1), in.size(2), block_);
  crypto::KeyStream ks(key, nonce, "shuffle");
  for (int64_t b = 0; b < grid.blocks(); ++b) {
    const auto v = grid.view(b);
    auto perm = ks.permutation(v.n);
    // Protect moves the block's pixel perm[i] to its pixel i; restore moves it back.
    for (size_t i = 0; i < perm.size(); ++i) {
      int64_t to = v.idx(static_cast<int64_t>(i)), from = v.idx(perm[i]);
      if (inverse) std::swap(to, from);
      for (int c = 0; c < 3; ++c) dst[c * hw + to] = src[c * hw + from];
    }
  }
  return out;
}

}  // namespace hipp::scheme
