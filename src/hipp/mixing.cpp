#include "hipp/mixing.h"

#include <cmath>

#include "common/error.h"

namespace hipp::protect {

torch::Tensor chunked_hadamard(const torch::Tensor& v) {
  TORCH_CHECK(v.dim() == 1, "chunked_hadamard takes a 1-D tensor");
  int64_t n = v.size(0);
  std::vector<torch::Tensor> out;
  int64_t off = 0;
  for (int bit = 62; bit >= 0; --bit) {
    int64_t m = int64_t{1} << bit;
    if (!(n & m)) continue;
    auto x = v.slice(0, off, off + m);
    for (int64_t h = 1; h < m; h *= 2) {
      auto y = x.reshape({m / (2 * h), 2, h});
      auto a = y.select(1, 0), b = y.select(1, 1);
      x = torch::stack({a + b, a - b}, 1).reshape({m});
    }
    out.push_back(x / std::sqrt(static_cast<double>(m)));
    off += m;
  }
  return torch::cat(out);
}

KeyedMixing::KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::string& domain, int64_t n,
                         int rounds)
    : n_(n) {
  if (n < 1) throw Error("keyed mixing needs a non-empty vector");
  crypto::KeyStream ks(key, nonce, domain);
  for (int r = 0; r < rounds; ++r) {
    auto p = torch::tensor(ks.permutation(n), torch::kLong);
    perms_.push_back(p);
    inverse_perms_.push_back(torch::argsort(p));
    auto s = torch::empty({n}, torch::kFloat64);
    auto* sp = s.data_ptr<double>();
    uint32_t bits = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (i % 32 == 0) bits = ks.next_u32();
      sp[i] = (bits >> (i % 32)) & 1 ? 1.0 : -1.0;
    }
    signs_.push_back(s);
  }
}

torch::Tensor KeyedMixing::apply(const torch::Tensor& v) const {
  TORCH_CHECK(v.dim() == 1 && v.size(0) == n_, "keyed mixing expects ", n_, " values");
  auto x = v.to(torch::kFloat64);
  for (size_t r = 0; r < perms_.size(); ++r)
    x = chunked_hadamard(x.index_select(0, perms_[r].to(x.device())) * signs_[r].to(x.device()));
  return x.to(v.scalar_type());
}

torch::Tensor KeyedMixing::undo(const torch::Tensor& v) const {
  TORCH_CHECK(v.dim() == 1 && v.size(0) == n_, "keyed mixing expects ", n_, " values");
  auto x = v.to(torch::kFloat64);
  for (size_t r = perms_.size(); r-- > 0;)
    x = (chunked_hadamard(x) * signs_[r].to(x.device())).index_select(0, inverse_perms_[r].to(x.device()));
  return x.to(v.scalar_type());
}

}  // namespace hipp::protect
