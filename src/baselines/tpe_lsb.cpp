#include "baselines/tpe_lsb.h"

#include <algorithm>
#include <cstdlib>

#include "common/error.h"

namespace hipp::baselines {

namespace {

std::vector<uint32_t> draw(crypto::KeyStream& ks, size_t n) {
  std::vector<uint32_t> k(n);
  for (auto& x : k) x = ks.next_u32();
  return k;
}

}  // namespace

int reverse_low_bits(int v, int bits) {
  int out = v & ~((1 << bits) - 1);
  for (int i = 0; i < bits; ++i) out |= ((v >> i) & 1) << (bits - 1 - i);
  return out;
}

void lsb_encrypt(std::vector<int>& v, int lsb_bits, crypto::KeyStream& ks, crypto::KeyStream& fixup) {
  const auto k = draw(ks, v.size());
  if (v.empty()) return;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto r = drpe_range(*lo, *hi);
  // A constant group has nothing to hide. (The authors' code sign-extends such a group from
  // bit 0 here, turning every value into 0 or -1; we leave it alone so that it restores.)
  if (r.bits == 0) return;
  // Bit planes the range already pins down count towards the correction quota.
  const int planes = std::max(0, std::min(lsb_bits, r.sign + 1) - (r.sign + 1 - r.bits));

  int64_t delta = 0;  // plaintext sum - ciphertext sum
  for (size_t i = 0; i < v.size(); ++i) {
    delta += v[i];
    v[i] = sign_extend(reverse_low_bits(v[i], r.bits) ^ static_cast<int>(k[i] & r.mask()), r.sign);
    delta -= v[i];
  }
  // Walk the coefficients in a keyed order so the correction is spread over the group, one
  // plane at a time from the top one, never touching the top varying bit (the authors found
  // embedding there ugly); stop once the sum is within half the current step.
  const auto order = fixup.permutation(static_cast<int64_t>(v.size()));
  for (int plane = 0; plane < planes; ++plane) {
    const int pos = r.bits - 2 - plane;
    if (pos < 0) return;
    const int step = 1 << pos;
    for (int64_t i : order) {
      if (std::llabs(delta) < step / 2) return;
      if (delta > 0 && !(v[i] & step)) {
        v[i] |= step;
        delta -= step;
      } else if (delta < 0 && (v[i] & step)) {
        v[i] &= ~step;
        delta += step;
      }
    }
  }
}

void lsb_decrypt(std::vector<int>& v, crypto::KeyStream& ks) {
  const auto k = draw(ks, v.size());
  if (v.empty()) return;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto r = drpe_range(*lo, *hi);
  if (r.bits == 0) return;
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = sign_extend(reverse_low_bits(v[i] ^ static_cast<int>(k[i] & r.mask()), r.bits), r.sign);
}

TpeLsb::TpeLsb(int block, int quality, int lsb_bits) : DctGroupScheme(block, quality), lsb_bits_(lsb_bits) {
  if (lsb_bits < 0 || lsb_bits > 16) throw Error("tpe-lsb needs 0..16 LSB bits, got " + std::to_string(lsb_bits));
}

void TpeLsb::encrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks, crypto::KeyStream& fixup) const {
  if (freq == 0)
    lsb_encrypt(v, lsb_bits_, ks, fixup);
  else
    drpe_xor(v, ks);
}

void TpeLsb::decrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks) const {
  if (freq == 0)
    lsb_decrypt(v, ks);
  else
    drpe_xor(v, ks);
}

}  // namespace hipp::baselines
