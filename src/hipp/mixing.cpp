#include "hipp/mixing.h"

#include <ATen/Parallel.h>

#include "common/error.h"

namespace hipp::protect {

KeyedMixing::KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::vector<std::string>& domains,
                         int64_t n, int rounds) {
  if (n < 1) throw Error("keyed mixing needs a non-empty vector");
  if (domains.empty()) throw Error("keyed mixing needs at least one domain");
  const int64_t groups = static_cast<int64_t>(domains.size());
  std::vector<torch::Tensor> perms, signs;
  for (int r = 0; r < rounds; ++r) {
    perms.push_back(torch::empty({groups, n}, torch::kLong));
    signs.push_back(torch::empty({groups, n}, torch::kFloat64));
  }
  // Domains in parallel, written in place: a 12 MP photo has thousands of blocks per level.
  at::parallel_for(0, groups, 8, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      // One stream per domain, drawn round by round: permutation, then sign bits.
      crypto::KeyStream ks(key, nonce, domains[g]);
      for (int r = 0; r < rounds; ++r) {
        auto p = ks.permutation(n);
        std::copy(p.begin(), p.end(), perms[r].data_ptr<int64_t>() + g * n);
        double* sp = signs[r].data_ptr<double>() + g * n;
        uint32_t bits = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (i % 32 == 0) bits = ks.next_u32();
          sp[i] = (bits >> (i % 32)) & 1 ? 1.0 : -1.0;
        }
      }
    }
  });
  set(std::move(perms), std::move(signs));
}

}  // namespace hipp::protect
