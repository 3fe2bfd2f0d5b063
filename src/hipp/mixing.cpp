#include "hipp/mixing.h"

#include "common/error.h"

namespace hipp::protect {

KeyedMixing::KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::vector<std::string>& domains,
                         int64_t n, int rounds) {
  if (n < 1) throw Error("keyed mixing needs a non-empty vector");
  if (domains.empty()) throw Error("keyed mixing needs at least one domain");
  const int64_t groups = static_cast<int64_t>(domains.size());
  std::vector<torch::Tensor> perms(rounds * groups), signs(rounds * groups);
  for (int64_t g = 0; g < groups; ++g) {
    // One stream per domain, drawn round by round: permutation, then sign bits.
    crypto::KeyStream ks(key, nonce, domains[g]);
    for (int r = 0; r < rounds; ++r) {
      perms[r * groups + g] = torch::tensor(ks.permutation(n), torch::kLong);
      auto s = torch::empty({n}, torch::kFloat64);
      auto* sp = s.data_ptr<double>();
      uint32_t bits = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (i % 32 == 0) bits = ks.next_u32();
        sp[i] = (bits >> (i % 32)) & 1 ? 1.0 : -1.0;
      }
      signs[r * groups + g] = s;
    }
  }
  std::vector<torch::Tensor> perm_rounds, sign_rounds;
  for (int r = 0; r < rounds; ++r) {
    auto slice = [&](std::vector<torch::Tensor>& v) {
      return torch::stack(std::vector<torch::Tensor>(v.begin() + r * groups, v.begin() + (r + 1) * groups));
    };
    perm_rounds.push_back(slice(perms));
    sign_rounds.push_back(slice(signs));
  }
  set(std::move(perm_rounds), std::move(sign_rounds));
}

}  // namespace hipp::protect
