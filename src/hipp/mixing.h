#pragma once
// The key's part in HIPP: a secret orthogonal mixing of latent vectors, drawn from a libsodium
// keystream. Rounds of (permutation, random signs, orthonormal Walsh-Hadamard transform on
// power-of-two chunks) spread every coordinate over all others. Orthogonal maps keep a standard
// normal vector standard normal, so mixed latents are as natural to the flow as the originals;
// they also keep its length, so rounding errors are not amplified by the mixing itself.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "crypto/keystream.h"

namespace hipp::protect {

// Orthonormal fast Walsh-Hadamard transform along the last dimension of v (1-D or 2-D), applied
// to consecutive chunks whose lengths are the powers of two in the binary expansion of that
// dimension's length. Its own inverse.
torch::Tensor chunked_hadamard(const torch::Tensor& v);

// One mixing per domain, all of length n, applied together: row g of a [G, n] tensor gets the
// mixing drawn from (key, nonce, domains[g]). With one domain, a 1-D vector of length n works too.
class KeyedMixing {
 public:
  KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::vector<std::string>& domains,
              int64_t n, int rounds = 3);
  KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::string& domain, int64_t n,
              int rounds = 3)
      : KeyedMixing(key, nonce, std::vector<std::string>{domain}, n, rounds) {}
  int64_t size() const { return n_; }
  torch::Tensor apply(const torch::Tensor& v) const;  // [G, n] (or [n] for one domain), any float dtype
  torch::Tensor undo(const torch::Tensor& v) const;

 private:
  torch::Tensor rows(const torch::Tensor& v) const;  // checked float64 [G, n] view of v
  int64_t n_, groups_;
  std::vector<torch::Tensor> perms_, inverse_perms_, signs_;  // per round: [G, n]
};

}  // namespace hipp::protect
