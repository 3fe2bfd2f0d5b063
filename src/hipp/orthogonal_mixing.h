#pragma once
// The family of orthogonal mixings HIPP's key selects from: rounds of (permutation, random
// signs, orthonormal Walsh-Hadamard transform on power-of-two chunks), which spread every
// coordinate over all others. Orthogonal maps keep a standard normal vector standard normal,
// so mixed latents are as natural to the flow as the originals; they also keep its length,
// so rounding errors are not amplified by the mixing itself. The keyed draw is in mixing.h;
// this part needs no key (training draws random members of the family).
#include <torch/torch.h>

#include <vector>

namespace hipp::protect {

// Orthonormal fast Walsh-Hadamard transform along the last dimension of v (1-D or 2-D), applied
// to consecutive chunks whose lengths are the powers of two in the binary expansion of that
// dimension's length. Its own inverse.
torch::Tensor chunked_hadamard(const torch::Tensor& v);

// G mixings of length n applied together: row g of a [G, n] tensor gets its own. With one
// group, a 1-D vector of length n works too.
class OrthogonalMixing {
 public:
  // perms[r] (long) and signs[r] (float64, +-1) are [G, n] for each round r.
  OrthogonalMixing(std::vector<torch::Tensor> perms, std::vector<torch::Tensor> signs);
  // Drawn from torch's generator: for training, where every image needs a fresh mixing.
  static OrthogonalMixing random(int64_t groups, int64_t n, torch::Device device, int rounds = 3);
  int64_t size() const { return n_; }
  torch::Tensor apply(const torch::Tensor& v) const;  // [G, n] (or [n] for one group), any float dtype
  torch::Tensor undo(const torch::Tensor& v) const;

 protected:
  OrthogonalMixing() = default;
  void set(std::vector<torch::Tensor> perms, std::vector<torch::Tensor> signs);

 private:
  torch::Tensor rows(const torch::Tensor& v) const;  // checked float64 [G, n] view of v
  bool fast_path(const torch::Tensor& x) const;      // CPU: the row-by-row kernel, same bits
  torch::Tensor run_rows(const torch::Tensor& x, bool undo) const;
  int64_t n_ = 0, groups_ = 0;
  std::vector<torch::Tensor> perms_, inverse_perms_, signs_;  // per round: [G, n]
};

}  // namespace hipp::protect
