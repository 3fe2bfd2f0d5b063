#include "metrics/metrics.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "image/image.h"

namespace hipp::metrics {

namespace {
void check_pair(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.dim() != 3 || a.sizes() != b.sizes())
    throw Error("metrics need two images of the same size, got " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()));
}
}  // namespace

// Separable Gaussian windows, as weighted sums of shifted slices, over bands of rows: the same
// numbers as one 2-D convolution over the whole image (up to summation order), without the
// convolution's unfolded copy (11x the band), so time and memory stay small on 12 MP photos.
double ssim(const torch::Tensor& a, const torch::Tensor& b) { return ssim_in_bands(a, b, 0); }

double ssim_in_bands(const torch::Tensor& a, const torch::Tensor& b, int64_t band_rows) {
  check_pair(a, b);
  const int64_t h = a.size(1), w = a.size(2);
  int64_t win = std::min<int64_t>({11, h, w});
  auto g = torch::arange(win, torch::kFloat64) - (win - 1) / 2.0;
  g = torch::exp(-g.pow(2) / (2 * 1.5 * 1.5));
  g = g / g.sum();
  std::vector<double> taps(g.data_ptr<double>(), g.data_ptr<double>() + win);
  auto pass = [&](const torch::Tensor& t, int64_t dim) {  // valid (unpadded) window along dim
    const int64_t n = t.size(dim) - win + 1;
    auto out = t.narrow(dim, 0, n) * taps[0];
    for (int64_t i = 1; i < win; ++i) out.add_(t.narrow(dim, i, n), taps[i]);
    return out;
  };
  auto blur = [&](const torch::Tensor& t) { return pass(pass(t, 1), 2); };
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const int64_t out_rows = h - win + 1, band = band_rows > 0 ? band_rows : std::max<int64_t>(1, (1 << 20) / w);
  double sum = 0;
  for (int64_t r0 = 0; r0 < out_rows; r0 += band) {
    const int64_t r1 = std::min(out_rows, r0 + band);
    auto cut = [&](const torch::Tensor& t) { return t.slice(1, r0, r1 + win - 1).to(torch::kFloat64); };
    auto x = cut(a), y = cut(b);
    auto mx = blur(x), my = blur(y);
    auto sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
    auto map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
    sum += map.sum().item<double>();
  }
  return sum / static_cast<double>(a.size(0) * out_rows * (w - win + 1));
}

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  check_pair(a, b);
  return psnr_255(a, b);
}

double thumbnail_psnr(const torch::Tensor& a, const torch::Tensor& b, int block) {
  check_pair(a, b);
  return psnr_255(image::thumbnail(a, block), image::thumbnail(b, block));
}

}  // namespace hipp::metrics
