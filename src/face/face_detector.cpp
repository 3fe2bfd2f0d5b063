#include "face/face_detector.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace hipp::face {
namespace F = torch::nn::functional;

namespace {

constexpr const char* kModel = "tiny_face_detector_model";
constexpr int kAnchors = 5;
constexpr double kAnchorW[kAnchors] = {1.603231, 6.041143, 2.882459, 4.266906, 9.041765};
constexpr double kAnchorH[kAnchors] = {2.094468, 7.080126, 3.518061, 5.178857, 10.66308};
constexpr double kIou = 0.4;

double iou(const FaceBox& a, const FaceBox& b) {
  double w = std::max(0.0, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
  double h = std::max(0.0, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
  return w * h / (a.width * a.height + b.width * b.height - w * h);
}

std::vector<FaceBox> non_max_suppression(std::vector<FaceBox> boxes) {
  std::stable_sort(boxes.begin(), boxes.end(), [](auto& a, auto& b) { return a.score > b.score; });
  std::vector<FaceBox> kept;
  for (auto& b : boxes)
    if (std::none_of(kept.begin(), kept.end(), [&](auto& k) { return iou(k, b) > kIou; })) kept.push_back(b);
  return kept;
}

}  // namespace

torch::Tensor resize_legacy(const torch::Tensor& img, int64_t out) {
  struct Axis {
    torch::Tensor lo, hi, frac;
  };
  auto axis = [&](int64_t in) {
    auto src = torch::arange(out, torch::kFloat64) * (static_cast<double>(in) / out);
    auto lo = src.floor();
    return Axis{lo.to(torch::kLong), src.ceil().clamp_max(in - 1).to(torch::kLong), (src - lo).to(torch::kFloat32)};
  };
  const Axis y = axis(img.size(1)), x = axis(img.size(2));
  auto rows = [&](const torch::Tensor& at) {
    auto r = img.index_select(1, at);
    auto left = r.index_select(2, x.lo), right = r.index_select(2, x.hi);
    return left + (right - left) * x.frac.view({1, 1, -1});
  };
  auto top = rows(y.lo), bottom = rows(y.hi);
  return top + (bottom - top) * y.frac.view({1, -1, 1});
}

Square square_around(double cx, double cy, double side, int64_t width, int64_t height) {
  const int64_t s = std::clamp<int64_t>(std::llround(side), 1, std::min(width, height));
  auto place = [&](double centre, int64_t extent) {
    return std::clamp<int64_t>(std::llround(centre - s / 2.0), 0, extent - s);
  };
  return {place(cx, width), place(cy, height), s};
}

Square chip_square(const FaceBox& box, int64_t width, int64_t height) {
  return square_around(box.x + box.width / 2, box.y + (0.5 + kChipShift) * box.height,
                       kChipScale * std::max(box.width, box.height), width, height);
}

FaceDetector::FaceDetector(const std::string& dir) : w_(dir, kModel, "face detector") {}

// face-api's runMobilenet: a plain 3x3 conv, five separable convs each followed by a 2x2 max
// pool ('same' padding: TensorFlow pads at the bottom/right), then a 1x1 conv to 5 anchors x 5.
torch::Tensor FaceDetector::forward(const torch::Tensor& x) const {
  auto leaky = [](const torch::Tensor& t) { return F::leaky_relu(t, F::LeakyReLUFuncOptions().negative_slope(0.1)); };
  auto separable = [&](const torch::Tensor& t, const std::string& p) {
    auto& dw = w_[p + "/depthwise_filter"];
    auto y = F::conv2d(t, dw, F::Conv2dFuncOptions().padding(1).groups(dw.size(0)));
    return leaky(F::conv2d(y, w_[p + "/pointwise_filter"], F::Conv2dFuncOptions().bias(w_[p + "/bias"])));
  };
  auto pool = [](const torch::Tensor& t) { return F::max_pool2d(t, F::MaxPool2dFuncOptions(2).stride(2).ceil_mode(true)); };
  auto y = leaky(F::conv2d(x, w_["conv0/filters"], F::Conv2dFuncOptions().bias(w_["conv0/bias"])));
  y = pool(y);
  for (auto p : {"conv1", "conv2", "conv3", "conv4"}) y = pool(separable(y, p));
  y = separable(y, "conv5");
  y = F::max_pool2d(torch::constant_pad_nd(y, {0, 1, 0, 1}, -INFINITY), F::MaxPool2dFuncOptions(2).stride(1));
  return F::conv2d(y, w_["conv8/filters"], F::Conv2dFuncOptions().bias(w_["conv8/bias"]));
}

void FaceDetector::check(const torch::Tensor& rgb, const DetectOptions& o) const {
  if (rgb.dim() != 3 || rgb.size(0) != 3 || rgb.scalar_type() != torch::kUInt8 || rgb.size(1) < 1 || rgb.size(2) < 1)
    throw Error("detect: expected a uint8 [3,H,W] image");
  if (o.input_size < 32 || o.input_size % 32 != 0) throw Error("detect: the input size must be a multiple of 32");
}

std::vector<FaceBox> FaceDetector::pass(const torch::Tensor& rgb, int64_t border, const DetectOptions& o) const {
  auto boxes = candidates(border > 0 ? torch::constant_pad_nd(rgb, {border, border, border, border}) : rgb,
                          o.input_size, o.min_score);
  for (auto& f : boxes) f.x -= border, f.y -= border;
  return boxes;
}

std::vector<int64_t> FaceDetector::borders(const torch::Tensor& rgb, const DetectOptions& o) {
  std::vector<int64_t> out{0};
  for (double border : o.borders)
    if (const int64_t b = std::llround(border * std::max(rgb.size(1), rgb.size(2))); b > 0) out.push_back(b);
  return out;
}

std::vector<FaceBox> FaceDetector::detect(const torch::Tensor& rgb, const DetectOptions& o) const {
  check(rgb, o);
  std::vector<FaceBox> boxes;
  for (int64_t b : borders(rgb, o))
    for (auto& f : pass(rgb, b, o)) boxes.push_back(f);
  return non_max_suppression(std::move(boxes));
}

std::optional<FaceBox> FaceDetector::first_face(const torch::Tensor& rgb, const DetectOptions& o,
                                                const std::function<bool(const FaceBox&)>& accept) const {
  check(rgb, o);
  for (int64_t b : borders(rgb, o))
    for (auto& f : non_max_suppression(pass(rgb, b, o)))
      if (accept(f)) return f;
  return std::nullopt;
}

std::vector<FaceBox> FaceDetector::candidates(const torch::Tensor& rgb, int input_size, double min_score) const {
  const int64_t h = rgb.size(1), w = rgb.size(2), side = std::max(h, w);
  torch::NoGradGuard no_grad;
  // Zero-pad to a square at the bottom/right, resize, subtract face-api's mean RGB, scale.
  auto img = torch::constant_pad_nd(rgb.cpu().to(torch::kFloat32), {0, side - w, 0, side - h});
  if (side != input_size) img = resize_legacy(img, input_size);
  auto mean = torch::tensor({117.001f, 114.697f, 97.404f}).view({3, 1, 1});
  auto out = forward(((img - mean) / 255.0f).unsqueeze(0))[0];
  const int64_t cells = out.size(1);
  auto t = out.view({kAnchors, 5, cells, cells}).to(torch::kFloat64).contiguous();
  auto a = t.accessor<double, 4>();
  // Boxes are relative to the image's part of the square, then scaled to its pixels.
  const double scale = static_cast<double>(input_size) / side;
  const double fx = input_size / std::round(w * scale), fy = input_size / std::round(h * scale);
  auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  std::vector<FaceBox> boxes;
  for (int64_t row = 0; row < cells; ++row)
    for (int64_t col = 0; col < cells; ++col)
      for (int k = 0; k < kAnchors; ++k) {
        double score = sigmoid(a[k][4][row][col]);
        if (score <= min_score) continue;
        double cx = (col + sigmoid(a[k][0][row][col])) / cells * fx, cy = (row + sigmoid(a[k][1][row][col])) / cells * fy;
        double bw = std::exp(a[k][2][row][col]) * kAnchorW[k] / cells * fx;
        double bh = std::exp(a[k][3][row][col]) * kAnchorH[k] / cells * fy;
        boxes.push_back({score, (cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h});
      }
  return boxes;
}

}  // namespace hipp::face
