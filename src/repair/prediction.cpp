#include "repair/prediction.h"

#include <algorithm>
#include <vector>

namespace hipp::repair {

torch::Tensor smooth_prediction(const torch::Tensor& rgb, int block) {
  auto in = rgb.to(torch::kCPU, torch::kUInt8).contiguous();
  const int64_t h = in.size(1), w = in.size(2), gh = (h + block - 1) / block, gw = (w + block - 1) / block;
  auto out = torch::empty_like(in);
  const uint8_t* src = in.data_ptr<uint8_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int64_t b2 = 2 * block;
  std::vector<int64_t> mean(gh * gw);
  for (int64_t c = 0; c < 3; ++c) {
    const uint8_t* p = src + c * h * w;
    std::fill(mean.begin(), mean.end(), 0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) mean[(y / block) * gw + x / block] += p[y * w + x];
    for (int64_t by = 0; by < gh; ++by)
      for (int64_t bx = 0; bx < gw; ++bx) {
        int64_t n = (std::min(h, (by + 1) * block) - by * block) * (std::min(w, (bx + 1) * block) - bx * block);
        mean[by * gw + bx] = (2 * mean[by * gw + bx] + n) / (2 * n);
      }
    // Pixel centre y + 1/2 sits at (2y + 1 - block) / (2 block) in block-centre units.
    auto split = [&](int64_t v, int64_t cells, int64_t& i0, int64_t& i1, int64_t& f) {
      int64_t t = 2 * v + 1 - block;
      i0 = t < 0 ? -1 : t / b2;
      f = t - i0 * b2;
      i1 = std::min(i0 + 1, cells - 1);
      i0 = std::max<int64_t>(i0, 0);
    };
    for (int64_t y = 0; y < h; ++y) {
      int64_t y0, y1, fy;
      split(y, gh, y0, y1, fy);
      for (int64_t x = 0; x < w; ++x) {
        int64_t x0, x1, fx;
        split(x, gw, x0, x1, fx);
        int64_t v = mean[y0 * gw + x0] * (b2 - fy) * (b2 - fx) + mean[y0 * gw + x1] * (b2 - fy) * fx +
                    mean[y1 * gw + x0] * fy * (b2 - fx) + mean[y1 * gw + x1] * fy * fx;
        dst[c * h * w + y * w + x] = static_cast<uint8_t>((v + b2 * b2 / 2) / (b2 * b2));
      }
    }
  }
  return out;
}

}  // namespace hipp::repair
