#pragma once
// "drpe": dynamic-range-preserving encryption of Marohn, Wright et al. (2017). In every group
// of JPEG coefficients (jpeg_dct.h) the high bits that all values share are kept and the low
// bits that vary are XORed with the keystream, so the ciphertext stays in the group's range.
// The decryptor recomputes the range from the ciphertext, as the authors' code does; where
// the ciphertext happens to span fewer bits, that group decrypts wrongly, which is part of
// why restoration is approximate (besides JPEG quantization and pixel rounding).
#include "baselines/jpeg_dct.h"

namespace hipp::baselines {

// The bits DRPE encrypts in a group spanning [lo, hi]: the low `bits` bits up to the highest
// one where lo and hi differ when both have one sign, or every bit through the sign bit when
// they do not. `sign` is the sign bit's position in the narrowest two's complement width
// holding both. lo == hi leaves nothing to encrypt (bits 0).
struct DrpeRange {
  int bits = 0, sign = 0;
  int mask() const { return (1 << bits) - 1; }
};
DrpeRange drpe_range(int lo, int hi);
// v with bit `sign` copied into every higher bit.
int sign_extend(int v, int sign);
// One DRPE step on a group: v[i] ^= keystream bits under the group's mask, sign-extended.
// Draws v.size() words whatever the range; an involution while the range stays the same.
void drpe_xor(std::vector<int>& v, crypto::KeyStream& ks);

class Drpe : public DctGroupScheme {
 public:
  Drpe(int block, int quality) : DctGroupScheme(block, quality) {}
  std::string name() const override { return "drpe"; }

 protected:
  void encrypt_group(std::vector<int>& v, int, crypto::KeyStream& ks, crypto::KeyStream&) const override {
    drpe_xor(v, ks);
  }
  void decrypt_group(std::vector<int>& v, int, crypto::KeyStream& ks) const override { drpe_xor(v, ks); }
};

}  // namespace hipp::baselines
