#include "hipp/range_fit.h"

#include <cmath>

#include "common/error.h"

namespace hipp::protect {
namespace {
namespace F = torch::nn::functional;

// Exclusive top: floor((y + 0.5) * 256) must stay <= 255.
constexpr double kLow = -0.5, kHigh = 0.5 - 1e-6;

torch::Tensor block_mean(const torch::Tensor& y, int block) { return F::avg_pool2d(y, F::AvgPool2dFuncOptions(block)); }
torch::Tensor spread(const torch::Tensor& t, int block) { return t.repeat_interleave(block, 2).repeat_interleave(block, 3); }

}  // namespace

int scale_code(double scale) {
  if (!(scale > 0 && scale <= 1))
    throw Error(ErrorKind::usage, "detail scale must be in (0, 1], got " + std::to_string(scale));
  int j = static_cast<int>(std::ceil(-2.0 * std::log2(scale) - 1e-9));
  if (j > kMaxRangeCode)
    throw Error("detail scale " + std::to_string(scale) + " is below the smallest, 2^-7.5 (" +
                std::to_string(code_scale(kMaxRangeCode)) + ")");
  return j;
}

double code_scale(int code) { return std::pow(2.0, -0.5 * code); }

namespace {
// Runs f over bands of block rows of y (about 2^22 values each) when no gradient is needed,
// each band's result written into its rows of the whole: the float64 temporaries of a 12 MP
// photo would take gigabytes at once. Per block the arithmetic is the same either way. `out`,
// if given, receives the bands (it may be y itself: each band is read whole before it is written).
template <class F>
torch::Tensor in_block_bands(const torch::Tensor& y, int block, F f, torch::Tensor out = {}) {
  const int64_t rows = y.size(2) / block;
  const int64_t band = std::max<int64_t>(1, (int64_t{1} << 22) / (y.size(0) * y.size(1) * y.size(3) * block));
  if (torch::GradMode::is_enabled() || (band >= rows && !out.defined())) return f(y, 0, rows);
  for (int64_t r0 = 0; r0 < rows; r0 += band) {
    const int64_t r1 = std::min(rows, r0 + band);
    auto r = f(y.slice(2, r0 * block, r1 * block), r0, r1);
    const int64_t per_row = r.size(2) / (r1 - r0);
    if (!out.defined()) out = torch::empty({r.size(0), r.size(1), rows * per_row, r.size(3)}, r.options());
    out.slice(2, r0 * per_row, r1 * per_row).copy_(r);
  }
  return out;
}
}  // namespace

torch::Tensor range_codes(const torch::Tensor& y, int block, int min_code) {
  torch::NoGradGuard ng;
  return in_block_bands(y.detach(), block, [&](const torch::Tensor& band, int64_t, int64_t) {
    auto v = band.to(torch::kFloat64);
    auto mean = block_mean(v, block);
    auto detail = v - spread(mean, block);
    auto up = F::max_pool2d(detail, F::MaxPool2dFuncOptions(block));
    auto down = F::max_pool2d(-detail, F::MaxPool2dFuncOptions(block));
    auto one = torch::ones_like(up);
    // The largest scale each side allows (a block mean outside the range allows none).
    auto fit_up = torch::where(up > 0, (kHigh - mean) / up.clamp_min(1e-300), one);
    auto fit_down = torch::where(down > 0, (mean - kLow) / down.clamp_min(1e-300), one);
    auto scale = torch::minimum(torch::minimum(fit_up, fit_down), one).clamp_min(1e-300);
    // Smallest j with 2^(-j/2) <= scale (kHigh's margin keeps float32 application inside).
    auto j = torch::ceil(-2.0 * torch::log2(scale) - 1e-9).clamp(min_code, kMaxRangeCode);
    return j.to(torch::kUInt8);
  });
}

namespace {
auto detail_scaler(const torch::Tensor& y, const torch::Tensor& codes, int block, bool undo) {
  TORCH_CHECK(codes.dim() == 4 && codes.size(0) == y.size(0) && codes.size(1) == y.size(1) &&
                  codes.size(2) * block == y.size(2) && codes.size(3) * block == y.size(3),
              "range codes do not match the images");
  return [&codes, &y, block, undo](const torch::Tensor& band, int64_t r0, int64_t r1) {
    auto factor = torch::pow(2.0, codes.slice(2, r0, r1).to(y.device(), torch::kFloat64) * (undo ? 0.5 : -0.5));
    auto mean = spread(block_mean(band, block), block);
    return mean + (band - mean) * spread(factor, block).to(y.scalar_type());
  };
}
}  // namespace

torch::Tensor scale_details(const torch::Tensor& y, const torch::Tensor& codes, int block, bool undo) {
  return in_block_bands(y, block, detail_scaler(y, codes, block, undo));
}

void scale_details_(torch::Tensor& y, const torch::Tensor& codes, int block, bool undo) {
  TORCH_CHECK(!torch::GradMode::is_enabled(), "scale_details_ works in place: no gradients");
  in_block_bands(y, block, detail_scaler(y, codes, block, undo), y);
}

}  // namespace hipp::protect
