#include "baselines/tpe_ideal.h"

namespace hipp::baselines {

// p ranges over the m = sum_preserving_range(s) values that keep both p and s-p in 0..255:
// [0, s] when s <= 255, else [s-255, 255]. Both cases rotate p's offset inside that range by
// r (mod m), so the pair's sum is kept and subtracting r undoes it. For s > 255 the offset is
// measured from the top (255 - p), which lies in 0..m-1.
uint8_t sum_preserving_forward(int p, int s, uint32_t r) {
  const int m = static_cast<int>(sum_preserving_range(s));
  if (s <= 255) return static_cast<uint8_t>((p + r) % m);
  return static_cast<uint8_t>(255 - (255 - p + r) % m);
}

uint8_t sum_preserving_inverse(int p, int s, uint32_t r) {
  const int m = static_cast<int>(sum_preserving_range(s));
  if (s <= 255) return static_cast<uint8_t>((p + m - static_cast<int>(r)) % m);
  return static_cast<uint8_t>(255 - (255 - p + m - static_cast<int>(r)) % m);
}

torch::Tensor TpeIdeal::protect(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                                SideData* side) const {
  if (side) side->clear();
  return apply(rgb, key, nonce, false);
}

torch::Tensor TpeIdeal::restore(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                                const SideData& side) const {
  scheme::expect_no_side(side, name());
  return apply(rgb, key, nonce, true);
}

torch::Tensor TpeIdeal::apply(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                              bool inverse) const {
  auto img = scheme::checked_copy(rgb);
  const int64_t hw = img.size(1) * img.size(2);
  uint8_t* px = img.data_ptr<uint8_t>();
  const scheme::BlockGrid grid(img.size(1), img.size(2), block_);
  // Block b's run in the working copy starts at offsets[b].
  std::vector<int64_t> offsets{0};
  for (int64_t b = 0; b < grid.blocks(); ++b) offsets.push_back(offsets.back() + grid.view(b).n);
  // Moves every channel between the image and the block-major working copy.
  auto transfer = [&](uint8_t* buf, bool gather) {
    for (int c = 0; c < 3; ++c)
      for (int64_t b = 0; b < grid.blocks(); ++b) {
        const auto v = grid.view(b);
        uint8_t* run = buf + c * hw + offsets[b];
        for (int64_t j = 0; j < v.n; ++j) {
          uint8_t& pixel = px[c * hw + v.idx(j)];
          if (gather)
            run[j] = pixel;
          else
            pixel = run[j];
        }
      }
  };

  // Block-major working copy: each channel's block is a contiguous run in its current order.
  std::vector<uint8_t> buf(static_cast<size_t>(3 * hw)), scratch;
  transfer(buf.data(), true);

  for (int step = 0; step < rounds_; ++step) {
    const int round = inverse ? rounds_ - 1 - step : step;
    // Separate streams per round (so restore can replay rounds backwards) and for the pair
    // values vs. the permutations (restore needs the permutation before the pair values).
    crypto::KeyStream pairs(key, nonce, "tpe-ideal/pairs/" + std::to_string(round));
    crypto::KeyStream perms(key, nonce, "tpe-ideal/perm/" + std::to_string(round));
    for (int c = 0; c < 3; ++c)
      for (int64_t b = 0; b < grid.blocks(); ++b) {
        uint8_t* v = buf.data() + c * hw + offsets[b];
        const int64_t n = offsets[b + 1] - offsets[b];
        auto perm = perms.permutation(n);
        scratch.assign(v, v + n);
        if (inverse)  // undo "v[i] = old[perm[i]]" first, then the pair step
          for (int64_t i = 0; i < n; ++i) v[perm[i]] = scratch[i];
        // An odd block leaves its last value unpaired; the permutation moves it next round.
        for (int64_t k = 0; k + 1 < n; k += 2) {
          const int s = v[k] + v[k + 1];
          const uint32_t r = pairs.uniform(sum_preserving_range(s));  // s is invariant: replayable
          const uint8_t p = inverse ? sum_preserving_inverse(v[k], s, r) : sum_preserving_forward(v[k], s, r);
          v[k] = p;
          v[k + 1] = static_cast<uint8_t>(s - p);
        }
        if (!inverse) {
          scratch.assign(v, v + n);
          for (int64_t i = 0; i < n; ++i) v[i] = scratch[perm[i]];
        }
      }
  }

  transfer(buf.data(), false);
  return img;
}

}  // namespace hipp::baselines
