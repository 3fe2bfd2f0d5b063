#include "flow/tiling.h"

#include <algorithm>

namespace hipp::flow {

torch::Tensor map_in_tiles(const PairMap& f, const torch::Tensor& a, const torch::Tensor& b, int64_t halo,
                           const Tiling& tiling) {
  const int64_t h = a.size(2), w = a.size(3);
  if (h * w <= tiling.whole_below) return f(a, b);
  torch::Tensor out;
  for (int64_t y0 = 0; y0 < h; y0 += tiling.core) {
    for (int64_t x0 = 0; x0 < w; x0 += tiling.core) {
      const int64_t y1 = std::min(h, y0 + tiling.core), x1 = std::min(w, x0 + tiling.core);
      const int64_t ty0 = std::max<int64_t>(0, y0 - halo), tx0 = std::max<int64_t>(0, x0 - halo);
      const int64_t ty1 = std::min(h, y1 + halo), tx1 = std::min(w, x1 + halo);
      auto cut = [&](const torch::Tensor& t) { return t.slice(2, ty0, ty1).slice(3, tx0, tx1).contiguous(); };
      auto r = f(cut(a), cut(b));
      if (!out.defined()) out = torch::empty({r.size(0), r.size(1), h, w}, r.options());
      out.slice(2, y0, y1).slice(3, x0, x1).copy_(r.slice(2, y0 - ty0, y1 - ty0).slice(3, x0 - tx0, x1 - tx0));
    }
  }
  return out;
}

}  // namespace hipp::flow
