#include "hipp/orthogonal_mixing.h"

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

OrthogonalMixing::OrthogonalMixing(std::vector<torch::Tensor> perms, std::vector<torch::Tensor> signs) {
  set(std::move(perms), std::move(signs));
}

void OrthogonalMixing::set(std::vector<torch::Tensor> perms, std::vector<torch::Tensor> signs) {
  if (perms.empty() || perms.size() != signs.size()) throw Error("mixing needs as many sign rows as permutations");
  groups_ = perms[0].size(0);
  n_ = perms[0].size(1);
  if (n_ < 1 || groups_ < 1) throw Error("keyed mixing needs a non-empty vector and at least one domain");
  perms_ = std::move(perms);
  signs_ = std::move(signs);
  inverse_perms_.clear();
  for (auto& p : perms_) inverse_perms_.push_back(torch::argsort(p, /*dim=*/int64_t{1}));
}

OrthogonalMixing OrthogonalMixing::random(int64_t groups, int64_t n, torch::Device device, int rounds) {
  if (n < 1 || groups < 1) throw Error("keyed mixing needs a non-empty vector and at least one domain");
  auto opts = torch::TensorOptions().device(device);
  std::vector<torch::Tensor> perms, signs;
  for (int r = 0; r < rounds; ++r) {
    perms.push_back(torch::rand({groups, n}, opts).argsort(int64_t{1}));
    signs.push_back(torch::randint(0, 2, {groups, n}, opts.dtype(torch::kFloat64)) * 2 - 1);
  }
  return OrthogonalMixing(std::move(perms), std::move(signs));
}

torch::Tensor OrthogonalMixing::rows(const torch::Tensor& v) const {
  bool one = v.dim() == 1 && groups_ == 1;
  TORCH_CHECK((one && v.size(0) == n_) || (v.dim() == 2 && v.size(0) == groups_ && v.size(1) == n_),
              "keyed mixing expects [", groups_, ", ", n_, "] values");
  return (one ? v.unsqueeze(0) : v).to(torch::kFloat64);
}

torch::Tensor OrthogonalMixing::apply(const torch::Tensor& v) const {
  auto x = rows(v);
  for (size_t r = 0; r < perms_.size(); ++r)
    x = chunked_hadamard(x.gather(1, perms_[r].to(x.device())) * signs_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

torch::Tensor OrthogonalMixing::undo(const torch::Tensor& v) const {
  auto x = rows(v);
  for (size_t r = perms_.size(); r-- > 0;)
    x = (chunked_hadamard(x) * signs_[r].to(x.device())).gather(1, inverse_perms_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

}  // namespace hipp::protect
