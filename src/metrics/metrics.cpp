#include "metrics/metrics.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "image/image.h"

namespace hipp::metrics {
namespace F = torch::nn::functional;

namespace {
void check_pair(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.dim() != 3 || a.sizes() != b.sizes())
    throw Error("metrics need two images of the same size, got " + c10::str(a.sizes()) + " and " + c10::str(b.sizes()));
}
}  // namespace

double ssim(const torch::Tensor& a, const torch::Tensor& b) {
  check_pair(a, b);
  int64_t win = std::min<int64_t>({11, a.size(1), a.size(2)});
  auto g = torch::arange(win, torch::kFloat64) - (win - 1) / 2.0;
  g = torch::exp(-g.pow(2) / (2 * 1.5 * 1.5));
  g = g / g.sum();
  auto w = torch::outer(g, g).view({1, 1, win, win});
  auto x = a.to(torch::kFloat64).unsqueeze(1), y = b.to(torch::kFloat64).unsqueeze(1);  // channels as batch
  auto blur = [&](const torch::Tensor& t) { return F::conv2d(t, w); };
  auto mx = blur(x), my = blur(y);
  auto sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  auto map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  return map.mean({1, 2, 3}).mean().item<double>();
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
