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
    throw Error("detail scale must be in (0, 1], got " + std::to_string(scale));
  int j = static_cast<int>(std::ceil(-2.0 * std::log2(scale) - 1e-9));
  if (j > kMaxRangeCode)
    throw Error("detail scale " + std::to_string(scale) + " is below the smallest, 2^-7.5 (" +
                std::to_string(code_scale(kMaxRangeCode)) + ")");
  return j;
}

double code_scale(int code) { return std::pow(2.0, -0.5 * code); }

torch::Tensor range_codes(const torch::Tensor& y, int block, int min_code) {
  torch::NoGradGuard ng;
  auto v = y.detach().to(torch::kFloat64);
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
}

torch::Tensor scale_details(const torch::Tensor& y, const torch::Tensor& codes, int block, bool undo) {
  TORCH_CHECK(codes.dim() == 4 && codes.size(0) == y.size(0) && codes.size(1) == y.size(1) &&
                  codes.size(2) * block == y.size(2) && codes.size(3) * block == y.size(3),
              "range codes do not match the images");
  auto factor = torch::pow(2.0, codes.to(y.device(), torch::kFloat64) * (undo ? 0.5 : -0.5));
  auto mean = spread(block_mean(y, block), block);
  return mean + (y - mean) * spread(factor, block).to(y.scalar_type());
}

}  // namespace hipp::protect
