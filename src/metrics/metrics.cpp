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

// Separable Gaussian windows over bands of rows, bands in parallel: the same numbers as one 2-D
// convolution over the whole image (up to summation order), in one pass over the pixels and a
// few rows of buffers, so time and memory stay small on 12 MP photos (the restoration check
// calls it several times per photo).
double ssim(const torch::Tensor& a, const torch::Tensor& b) { return ssim_in_bands(a, b, 0); }

namespace {
struct SsimWindow {
  int64_t win;
  std::vector<double> taps;
  double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
};

// Sum of the SSIM map over output rows [r0, r1) of one channel (row-major planes of width w).
double ssim_band_sum(const double* x, const double* y, int64_t w, int64_t r0, int64_t r1, const SsimWindow& s) {
  const int64_t win = s.win, ow = w - win + 1, rows = r1 - r0 + win - 1;
  // Horizontal pass: for each input row, the windowed x, y, xx, yy, xy.
  std::vector<double> hp(static_cast<size_t>(5 * rows * ow));
  for (int64_t i = 0; i < rows; ++i) {
    const double* xr = x + (r0 + i) * w;
    const double* yr = y + (r0 + i) * w;
    double* o = hp.data() + 5 * i * ow;
    for (int64_t j = 0; j < ow; ++j) {
      double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (int64_t t = 0; t < win; ++t) {
        const double g = s.taps[t], u = xr[j + t], v = yr[j + t];
        sx += g * u, sy += g * v, sxx += g * u * u, syy += g * v * v, sxy += g * u * v;
      }
      o[j] = sx, o[ow + j] = sy, o[2 * ow + j] = sxx, o[3 * ow + j] = syy, o[4 * ow + j] = sxy;
    }
  }
  double sum = 0;
  std::vector<double> v(static_cast<size_t>(5 * ow));
  for (int64_t r = 0; r < r1 - r0; ++r) {
    std::fill(v.begin(), v.end(), 0.0);
    for (int64_t t = 0; t < win; ++t) {
      const double g = s.taps[t];
      const double* in = hp.data() + 5 * (r + t) * ow;
      for (int64_t k = 0; k < 5 * ow; ++k) v[k] += g * in[k];
    }
    for (int64_t j = 0; j < ow; ++j) {
      const double mx = v[j], my = v[ow + j];
      const double sxx = v[2 * ow + j] - mx * mx, syy = v[3 * ow + j] - my * my, sxy = v[4 * ow + j] - mx * my;
      sum += ((2 * mx * my + s.c1) * (2 * sxy + s.c2)) / ((mx * mx + my * my + s.c1) * (sxx + syy + s.c2));
    }
  }
  return sum;
}
}  // namespace

double ssim_in_bands(const torch::Tensor& a, const torch::Tensor& b, int64_t band_rows) {
  check_pair(a, b);
  const int64_t h = a.size(1), w = a.size(2);
  SsimWindow s;
  s.win = std::min<int64_t>({11, h, w});
  double total = 0;
  for (int64_t i = 0; i < s.win; ++i) {
    s.taps.push_back(std::exp(-std::pow(i - (s.win - 1) / 2.0, 2) / (2 * 1.5 * 1.5)));
    total += s.taps.back();
  }
  for (double& g : s.taps) g /= total;
  const int64_t out_rows = h - s.win + 1;
  const int64_t band = band_rows > 0 ? band_rows : std::max<int64_t>(8, (int64_t{1} << 16) / w);
  const int64_t bands = (out_rows + band - 1) / band;
  // Per (channel, band) sums, added in a fixed order: the result does not depend on threads.
  std::vector<double> sums(static_cast<size_t>(a.size(0) * bands));
  for (int64_t c = 0; c < a.size(0); ++c) {
    at::parallel_for(0, bands, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t r0 = k * band, r1 = std::min(out_rows, r0 + band);
        auto cut = [&](const torch::Tensor& t) { return t[c].slice(0, r0, r1 + s.win - 1).to(torch::kFloat64).contiguous(); };
        auto x = cut(a), y = cut(b);
        sums[c * bands + k] = ssim_band_sum(x.data_ptr<double>(), y.data_ptr<double>(), w, 0, r1 - r0, s);
      }
    });
  }
  double sum = 0;
  for (double v : sums) sum += v;
  return sum / static_cast<double>(a.size(0) * out_rows * (w - s.win + 1));
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
