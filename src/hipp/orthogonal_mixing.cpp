#include "hipp/orthogonal_mixing.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

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
  perms_.clear(), signs_.clear(), inverse_perms_.clear();
  for (size_t r = 0; r < perms.size(); ++r) {
    perms_.push_back(perms[r].to(torch::kLong).contiguous());
    signs_.push_back(signs[r].to(torch::kFloat64).contiguous());
    // inverse[perm[i]] = i: a scatter, not a sort
    auto index = torch::arange(n_, perms_.back().options()).expand({groups_, n_});
    inverse_perms_.push_back(torch::empty_like(perms_.back()).scatter_(1, perms_.back(), index));
  }
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

namespace {

// chunked_hadamard on one row in place: the same butterflies in the same order, so the same bits.
void hadamard_row(double* x, int64_t n) {
  int64_t off = 0;
  for (int bit = 62; bit >= 0; --bit) {
    const int64_t m = int64_t{1} << bit;
    if (!(n & m)) continue;
    double* c = x + off;
    for (int64_t h = 1; h < m; h *= 2)
      for (int64_t q = 0; q < m; q += 2 * h)
        for (int64_t i = q; i < q + h; ++i) {
          const double a = c[i], b = c[i + h];
          c[i] = a + b;
          c[i + h] = a - b;
        }
    const double norm = std::sqrt(static_cast<double>(m));
    for (int64_t i = 0; i < m; ++i) c[i] /= norm;
    off += m;
  }
}

}  // namespace

bool OrthogonalMixing::fast_path(const torch::Tensor& x) const {
  return x.device().is_cpu() && perms_[0].device().is_cpu();
}

// Rows in parallel, each through every round in cache: the tensor path's gathers and
// Hadamard stages each sweep the whole level, which on a 12 MP photo is most of the mixing time.
torch::Tensor OrthogonalMixing::run_rows(const torch::Tensor& x, bool undo) const {
  auto out = x.contiguous().clone();
  double* base = out.data_ptr<double>();
  const int64_t n = n_;
  at::parallel_for(0, groups_, 16, [&](int64_t g0, int64_t g1) {
    std::vector<double> tmp(n);
    for (int64_t g = g0; g < g1; ++g) {
      double* row = base + g * n;
      for (size_t k = 0; k < perms_.size(); ++k) {
        const size_t r = undo ? perms_.size() - 1 - k : k;
        const double* sign = signs_[r].data_ptr<double>() + g * n;
        if (!undo) {
          const int64_t* perm = perms_[r].data_ptr<int64_t>() + g * n;
          for (int64_t i = 0; i < n; ++i) tmp[i] = row[perm[i]] * sign[i];
          hadamard_row(tmp.data(), n);
          std::copy(tmp.begin(), tmp.end(), row);
        } else {
          const int64_t* inv = inverse_perms_[r].data_ptr<int64_t>() + g * n;
          hadamard_row(row, n);
          for (int64_t i = 0; i < n; ++i) tmp[i] = row[inv[i]] * sign[inv[i]];
          std::copy(tmp.begin(), tmp.end(), row);
        }
      }
    }
  });
  return out;
}

torch::Tensor OrthogonalMixing::apply(const torch::Tensor& v) const {
  auto x = rows(v);
  if (fast_path(x)) return run_rows(x, false).view(v.sizes()).to(v.scalar_type());
  for (size_t r = 0; r < perms_.size(); ++r)
    x = chunked_hadamard(x.gather(1, perms_[r].to(x.device())) * signs_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

torch::Tensor OrthogonalMixing::undo(const torch::Tensor& v) const {
  auto x = rows(v);
  if (fast_path(x)) return run_rows(x, true).view(v.sizes()).to(v.scalar_type());
  for (size_t r = perms_.size(); r-- > 0;)
    x = (chunked_hadamard(x) * signs_[r].to(x.device())).gather(1, inverse_perms_[r].to(x.device()));
  return x.view(v.sizes()).to(v.scalar_type());
}

}  // namespace hipp::protect
