#include "data/stress.h"

#include <opencv2/imgproc.hpp>
#include <cstring>
#include <random>

#include "common/error.h"

namespace hipp::data {
namespace {

using torch::Tensor;

Tensor luma(const Tensor& x) { return (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0); }

Tensor to_u8(const Tensor& x) { return x.round().clamp(0, 255).to(torch::kUInt8).contiguous(); }

// Saturation scaled about each pixel's grey, as a "vivid" slider pushed to the end.
Tensor saturated(const Tensor& x) { return luma(x) + 3.0 * (x - luma(x)); }

Tensor tinted(const Tensor& x) {  // a strong warm (sepia) cast
  auto m = torch::tensor({0.393, 0.769, 0.189, 0.349, 0.686, 0.168, 0.272, 0.534, 0.131}, torch::kFloat64).view({3, 3});
  return torch::einsum("ij,jhw->ihw", {m, x});
}

// A dark cave lit orange: the worst photo, made from any photo.
Tensor dark_orange(const Tensor& x) {
  auto w = torch::tensor({1.0, 0.45, 0.08}, torch::kFloat64).view({3, 1, 1});
  return 0.3 * luma(x).pow(1.4) / std::pow(255.0, 0.4) * w;
}

Tensor posterized(const Tensor& rgb) {  // flat colour areas with hard edges
  cv::Mat m(static_cast<int>(rgb.size(1)), static_cast<int>(rgb.size(2)), CV_8UC3);
  auto hwc = rgb.permute({1, 2, 0}).contiguous();
  std::memcpy(m.data, hwc.data_ptr<uint8_t>(), hwc.numel());
  cv::Mat smooth;
  cv::medianBlur(m, smooth, 5);
  auto t = torch::from_blob(smooth.data, {smooth.rows, smooth.cols, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat64);
  return torch::round(t / 85.0) * 85.0;
}

// Saturated shapes and text on a flat background: a badge, a slide, a screenshot.
Tensor graphics(int64_t height, int64_t width, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto colour = [&] {
    static const cv::Scalar palette[] = {{230, 20, 20}, {20, 40, 200}, {250, 250, 250}, {10, 10, 10},
                                          {250, 210, 0}, {0, 150, 60},  {200, 0, 120},  {255, 120, 0}};
    return palette[rng() % 8];
  };
  const int h = static_cast<int>(height), w = static_cast<int>(width), s = std::min(h, w);
  cv::Mat m(h, w, CV_8UC3, colour());
  for (int i = 0; i < 4; ++i) {
    cv::Point a(rng() % w, rng() % h), b(rng() % w, rng() % h);
    if (rng() % 2)
      cv::rectangle(m, a, b, colour(), cv::FILLED);
    else
      cv::circle(m, a, 1 + static_cast<int>(rng() % (s / 3 + 1)), colour(), cv::FILLED, cv::LINE_AA);
  }
  static const char* words[] = {"VOTE", "hipp", "2026", "SALE", "Photo", "OK", "Privacy", "#42"};
  for (int i = 0; i < 3; ++i)
    cv::putText(m, words[rng() % 8], cv::Point(rng() % (w / 2 + 1), h / 4 + rng() % (3 * h / 4 + 1)),
                cv::FONT_HERSHEY_SIMPLEX, s / 128.0 + 0.3, colour(), std::max(1, s / 64), cv::LINE_AA);
  return torch::from_blob(m.data, {h, w, 3}, torch::kUInt8).permute({2, 0, 1}).to(torch::kFloat64);
}

Tensor noisy(const Tensor& x, uint64_t seed) {  // sensor noise of a high-ISO shot, sigma 25
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 25.0);
  auto n = torch::empty(x.sizes(), torch::kFloat64);
  auto* p = n.data_ptr<double>();
  for (int64_t i = 0; i < n.numel(); ++i) p[i] = normal(rng);
  return x + n;
}

}  // namespace

const std::vector<std::string>& stress_names() {
  static const std::vector<std::string> names = {"saturated", "dark",     "bright",    "dark-orange", "contrast",
                                                 "mono",      "tinted",   "posterized", "graphics",   "noise"};
  return names;
}

Tensor stress_transform(const Tensor& rgb, const std::string& name, uint64_t seed) {
  TORCH_CHECK(rgb.dim() == 3 && rgb.size(0) == 3 && rgb.scalar_type() == torch::kUInt8, "stress_transform: uint8 [3,H,W]");
  auto x = rgb.cpu().to(torch::kFloat64);
  if (name == "saturated") return to_u8(saturated(x));
  if (name == "dark") return to_u8(0.1 * x);                            // 3.3 stops under
  if (name == "bright") return to_u8(255.0 - 0.12 * (255.0 - x));        // 3 stops over
  if (name == "dark-orange") return to_u8(dark_orange(x));
  if (name == "contrast") return to_u8((x - 128.0) * 3.0 + 128.0);       // crushed blacks, blown whites
  if (name == "mono") return to_u8(luma(x).expand({3, -1, -1}));
  if (name == "tinted") return to_u8(tinted(x));
  if (name == "posterized") return to_u8(posterized(rgb.cpu().contiguous()));
  if (name == "graphics") return to_u8(graphics(rgb.size(1), rgb.size(2), seed));
  if (name == "noise") return to_u8(noisy(x, seed));
  std::string known;
  for (auto& n : stress_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown stress transform '" + name + "' (known: " + known + ")");
}

}  // namespace hipp::data
