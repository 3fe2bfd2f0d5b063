#include "face/face_landmarks.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace hipp::face {
namespace F = torch::nn::functional;

namespace {

constexpr const char* kModel = "face_landmark_68_tiny_model";
constexpr int kInput = 112;
// face-api's alignDlib: the chip is the eye-mouth distance / kRelScale wide, with the mean of
// the eye and mouth centres at (kRelX, kRelY) of it.
constexpr double kRelX = 0.5, kRelY = 0.43, kRelScale = 0.45;

}  // namespace

LandmarkNet::LandmarkNet(const std::string& dir) : w_(dir, kModel, "face landmark") {}

// face-api's TinyFaceFeatureExtractor and fully connected head. TensorFlow's 'same' padding
// of a stride-2 3x3 conv on an even size pads only the bottom/right, by one.
torch::Tensor LandmarkNet::forward(const torch::Tensor& x) const {
  auto same = [](const torch::Tensor& t, int stride) {
    return stride == 1 ? torch::constant_pad_nd(t, {1, 1, 1, 1}) : torch::constant_pad_nd(t, {0, 1, 0, 1});
  };
  auto separable = [&](const torch::Tensor& t, const std::string& p, int stride) {
    auto& dw = w_[p + "/depthwise_filter"];
    auto y = F::conv2d(same(t, stride), dw, F::Conv2dFuncOptions().stride(stride).groups(dw.size(0)));
    return F::conv2d(y, w_[p + "/pointwise_filter"], F::Conv2dFuncOptions().bias(w_[p + "/bias"]));
  };
  auto dense = [&](const torch::Tensor& t, const std::string& p, bool first) {
    auto out1 = torch::relu(first ? F::conv2d(same(t, 2), w_[p + "/conv0/filters"],
                                              F::Conv2dFuncOptions().bias(w_[p + "/conv0/bias"]).stride(2))
                                  : separable(t, p + "/conv0", 2));
    auto out2 = separable(out1, p + "/conv1", 1);
    auto out3 = separable(torch::relu(out1 + out2), p + "/conv2", 1);
    return torch::relu(out1 + out2 + out3);
  };
  auto y = dense(dense(dense(x, "dense0", true), "dense1", false), "dense2", false);
  y = F::avg_pool2d(y, F::AvgPool2dFuncOptions(14).stride(2)).flatten(1);
  return y.matmul(w_["fc/weights"]) + w_["fc/bias"];
}

torch::Tensor LandmarkNet::locate(const torch::Tensor& rgb) const {
  if (rgb.dim() != 3 || rgb.size(0) != 3 || rgb.scalar_type() != torch::kUInt8 || rgb.size(1) < 1 || rgb.size(2) < 1)
    throw Error("landmarks: expected a uint8 [3,H,W] face crop");
  const int64_t h = rgb.size(1), w = rgb.size(2), side = std::max(h, w);
  torch::NoGradGuard no_grad;
  // Zero-pad to a centred square (the smaller half before), resize, normalize as face-api does.
  const int64_t pad_x = side - w, pad_y = side - h;
  auto img = torch::constant_pad_nd(rgb.cpu().to(torch::kFloat32),
                                    {pad_x - std::llround(pad_x * 0.5), std::llround(pad_x * 0.5),
                                     pad_y - std::llround(pad_y * 0.5), std::llround(pad_y * 0.5)});
  if (side != kInput) img = resize_legacy(img, kInput);
  auto mean = torch::tensor({122.782f, 117.001f, 104.298f}).view({3, 1, 1});
  auto out = forward(((img - mean) / 255.0f).unsqueeze(0))[0].to(torch::kFloat64).view({68, 2});
  // Points come relative to the square: back to the crop's pixels.
  const double scale = static_cast<double>(kInput) / side;
  auto offset = torch::tensor({std::abs(w * scale - h * scale) / 2 * (w < h), std::abs(w * scale - h * scale) / 2 * (h < w)},
                              torch::kFloat64);
  auto dims = torch::tensor({w * scale, h * scale}, torch::kFloat64), size = torch::tensor({double(w), double(h)}, torch::kFloat64);
  return (out * kInput - offset) / dims * size;
}

Square landmark_square(const torch::Tensor& points, int64_t width, int64_t height) {
  auto centre = [&](int from, int to) { return points.slice(0, from, to).mean(0); };
  auto left_eye = centre(36, 42), right_eye = centre(42, 48), mouth = centre(48, 68);
  const double eye_to_mouth = ((mouth - left_eye).norm().item<double>() + (mouth - right_eye).norm().item<double>()) / 2;
  const double side = eye_to_mouth / kRelScale;
  auto ref = (left_eye + right_eye + mouth) / 3;
  return square_around(ref[0].item<double>() + (0.5 - kRelX) * side, ref[1].item<double>() + (0.5 - kRelY) * side,
                       side, width, height);
}

std::optional<Square> find_face_square(const torch::Tensor& rgb, const FaceDetector& detector,
                                       const LandmarkNet* landmarks) {
  auto faces = detector.detect(rgb);
  if (faces.empty()) return std::nullopt;
  const int64_t h = rgb.size(1), w = rgb.size(2);
  auto& f = faces[0];
  if (!landmarks) return chip_square(f, w, h);
  // The box clipped to the image, in whole pixels, as face-api cuts it.
  const int64_t x0 = std::clamp<int64_t>(std::floor(f.x), 0, w - 1), y0 = std::clamp<int64_t>(std::floor(f.y), 0, h - 1);
  const int64_t x1 = std::clamp<int64_t>(std::floor(f.x + f.width), x0 + 1, w),
                y1 = std::clamp<int64_t>(std::floor(f.y + f.height), y0 + 1, h);
  auto points = landmarks->locate(rgb.slice(1, y0, y1).slice(2, x0, x1));
  points += torch::tensor({double(x0), double(y0)}, torch::kFloat64);
  return landmark_square(points, w, h);
}

}  // namespace hipp::face
