#include "hipp/mixing.h"

#include <cmath>

#include "common/error.h"

namespace hipp::protect {

torch::Tensor chunked_hadamard(const torch::Tensor& v) {
  TORCH_CHECK(v.dim() == 1 || v.dim() == 2, "chunked_hadamard takes a 1-D or 2-D tensor");
  auto rows = v.dim() == 1 ? v.unsqueeze(0) : v;
  const int64_t g = rows.size(0), n = rows.size(1);
  std::vector<torch::Tensor> out;
  int64_t off = 0;
  for (int bit = 62; bit >= 0; --bit) {
    int64_t m = int64_t{1} << bit;
    if (!(n & m)) continue;
    auto x = rows.slice(1, off, off + m);
    for (int64_t h = 1; h < m; h *= 2) {
      auto y = x.reshape({g, m / (2 * h), 2, h});
      auto a = y.select(2, 0), b = y.select(2, 1);
      x = torch::stack({a + b, a - b}, 2).reshape({g, m});
    }
    out.push_back(x / std::sqrt(static_cast<double>(m)));
    off += m;
  }
  auto r = torch::cat(out, 1);
  return v.dim() == 1 ? r.squeeze(0) : r;
}

KeyedMixing::KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::vector<std::string>& domains,
                         int64_t n, int rounds)
    : n_(n), groups_(static_cast<int64_t>(domains.size())) {
  if (n < 1) throw Error("keyed mixing needs a non-empty vector");
  if (domains.empty()) throw Error("keyed mixing needs at least one domain");
  std::vector<torch::Tensor> perms(rounds * groups_), signs(rounds * groups_);
  for (int64_t g = 0; g < groups_; ++g) {
    // One stream per domain, drawn round by round: permutation, then sign bits.
    crypto::KeyStream ks(key, nonce, domains[g]);
    for (int r = 0; r < rounds; ++r) {
      perms[r * groups_ + g] = torch::tensor(ks.permutation(n), torch::kLong);
      auto s = torch::empty({n}, torch::kFloat64);
      auto* sp = s.data_ptr<double>();
      uint32_t bits = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (i % 32 == 0) bits = ks.next_u32();
        sp[i] = (bits >> (i % 32)) & 1 ? 1.0 : -1.0;
      }
      signs[r * groups_ + g] = s;
    }
  }
  for (int r = 0; r < rounds; ++r) {
    auto slice = [&](std::vector<torch::Tensor>& v) {
      return torch::stack(std::vector<torch::Tensor>(v.begin() + r * groups_, v.begin() + (r + 1) * groups_));
    };
    perms_.push_back(slice(perms));
    inverse_perms_.push_back(torch::argsort(perms_.back(), /*dim=*/int64_t{1}));
    signs_.push_back(slice(signs));
  }
}

torch::Tensor KeyedMixing::rows(const torch::Tensor& v) const {
  bool one = v.dim() == 1 && groups_ == 1;
  TORCH_CHECK((one && v.size(0) == n_) || (v.dim() == 2 && v.size(0) == groups_ && v.size(1) == n_),
              "keyed mixing expects [", groups_, ", ", n_, "] values");
  return (one ? v.unsqueeze(0) : v).to(torch::kFloat64);
}

torch::Tensor KeyedMixing::apply(const torch::Tensor& v) const {
  auto x = rows(v);
  for (size_t r = 0; r < perms_.size(); ++r)
    x = chunked_hadamard(x.gather(1, perms_[r].to(x.device())) * signs_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

torch::Tensor KeyedMixing::undo(const torch::Tensor& v) const {
  auto x = rows(v);
  for (size_t r = perms_.size(); r-- > 0;)
    x = (chunked_hadamard(x) * signs_[r].to(x.device())).gather(1, inverse_perms_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

}  // namespace hipp::protect
