#pragma once
// The key's part in HIPP: a secret orthogonal mixing of a latent vector, drawn from a libsodium
// keystream. Rounds of (permutation, random signs, orthonormal Walsh-Hadamard transform on
// power-of-two chunks) spread every coordinate over all others. Orthogonal maps keep a standard
// normal vector standard normal, so mixed latents are as natural to the flow as the originals;
// they also keep its length, so rounding errors are not amplified by the mixing itself.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "crypto/keystream.h"

namespace hipp::protect {

// Orthonormal fast Walsh-Hadamard transform of v (1-D), applied to consecutive chunks whose
// lengths are the powers of two in the binary expansion of v's length. Its own inverse.
torch::Tensor chunked_hadamard(const torch::Tensor& v);

class KeyedMixing {
 public:
  KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::string& domain, int64_t n,
              int rounds = 3);
  int64_t size() const { return n_; }
  torch::Tensor apply(const torch::Tensor& v) const;  // 1-D of length n, any float dtype
  torch::Tensor undo(const torch::Tensor& v) const;

 private:
  int64_t n_;
  std::vector<torch::Tensor> perms_, inverse_perms_, signs_;
};

}  // namespace hipp::protect
