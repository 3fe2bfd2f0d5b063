#include "baselines/drpe.h"

#include <algorithm>

namespace hipp::baselines {

namespace {

// Bits of |x| above the sign in two's complement: 0 for 0 and -1, 3 for 5 and -6.
int magnitude_bits(int x) {
  auto u = static_cast<uint32_t>(x < 0 ? ~x : x);
  int w = 0;
  for (; u; u >>= 1) ++w;
  return w;
}

}  // namespace

DrpeRange drpe_range(int lo, int hi) {
  DrpeRange r;
  r.sign = std::max(magnitude_bits(lo), magnitude_bits(hi));
  if (lo == hi) return r;
  if ((lo < 0) == (hi < 0))
    r.bits = magnitude_bits(lo ^ hi);  // same sign: lo ^ hi >= 0, its top bit is the first that differs
  else
    r.bits = r.sign + 1;
  return r;
}

int sign_extend(int v, int sign) {
  const int shift = 31 - sign;
  return static_cast<int>(static_cast<uint32_t>(v) << shift) >> shift;
}

void drpe_xor(std::vector<int>& v, crypto::KeyStream& ks) {
  std::vector<uint32_t> k(v.size());
  for (auto& x : k) x = ks.next_u32();
  if (v.empty()) return;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const auto r = drpe_range(*lo, *hi);
  if (r.bits == 0) return;
  for (size_t i = 0; i < v.size(); ++i) v[i] = sign_extend(v[i] ^ static_cast<int>(k[i] & r.mask()), r.sign);
}

}  // namespace hipp::baselines
