#pragma once
// "tpe-lsb": the LSB variant of Marohn, Wright et al. (2017), their tool's default "drpe-lsb"
// mode. AC groups are DRPE-encrypted (drpe.h). DC groups, which alone set the thumbnail, are
// bit-reversed inside their varying bits before the DRPE XOR, so that the plaintext's least
// significant bits sit at the top; then the sum of the group is pulled back towards the
// plaintext's by flipping those top bits of randomly chosen coefficients, up to `lsb_bits`
// bit planes (bits the range already fixes count towards that quota). Decryption undoes the
// XOR and the reversal, so the sum correction lands in the plaintext's low bits as a small,
// lasting error: the restored image is approximate by design.
#include "baselines/drpe.h"

namespace hipp::baselines {

// Reverses the order of v's low `bits` bits; higher bits stay.
int reverse_low_bits(int v, int bits);
// The DC step of a group: encrypt draws v.size() words from `ks` and a permutation from
// `fixup`; decrypt draws the same words from `ks` only.
void lsb_encrypt(std::vector<int>& v, int lsb_bits, crypto::KeyStream& ks, crypto::KeyStream& fixup);
void lsb_decrypt(std::vector<int>& v, crypto::KeyStream& ks);

class TpeLsb : public DctGroupScheme {
 public:
  TpeLsb(int block, int quality, int lsb_bits);
  std::string name() const override { return "tpe-lsb"; }

 protected:
  void encrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks, crypto::KeyStream& fixup) const override;
  void decrypt_group(std::vector<int>& v, int freq, crypto::KeyStream& ks) const override;

 private:
  int lsb_bits_;
};

}  // namespace hipp::baselines
