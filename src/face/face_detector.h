#pragma once
// face-api's tiny face detector (a Tiny-YOLOv2 with depthwise-separable convolutions, 190 KB),
// run in LibTorch with the weights npm @vladmandic/face-api@1.7.15 ships (fetched by
// scripts/setup.sh). It finds faces from about 1/10 of the image up to the whole frame.
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "face/weight_map.h"

namespace hipp::face {

struct FaceBox {
  double score;                // 0..1
  double x, y, width, height;  // pixels of the input image
};

// The square the recognizer (face_net.h) describes for a detected face: kChipScale times the
// box's larger side, centred kChipShift box heights below its centre, moved (then shrunk) to lie
// inside a width x height image: the framing without landmarks, chosen by `hipp face verify
// --crop detect` on aligned CelebA (docs/design.md, *Face detector*).
struct Square {
  int64_t x, y, side;
};
constexpr double kChipScale = 0.95, kChipShift = -0.05;
Square chip_square(const FaceBox& box, int64_t width, int64_t height);
// A square of about `side` centred at (cx, cy), moved (then shrunk) to lie inside the image.
Square square_around(double cx, double cy, double side, int64_t width, int64_t height);

// TensorFlow's legacy bilinear resize (no half-pixel centres) of float [C,H,W] to [C,out,out],
// as face-api calls it, so results match its JavaScript: source = destination * in / out.
torch::Tensor resize_legacy(const torch::Tensor& img, int64_t out);

struct DetectOptions {
  int input_size = 416;    // the square the image is padded and resized to (a multiple of 32)
  double min_score = 0.5;  // face-api's defaults, these two
  // The detector misses faces that fill the frame (its largest anchor spans 82% of it), as in
  // face crops: further passes see the image inside a black border of each of these fractions
  // of its longer side (the image then spans 62%, 40%, 29% of the square), and their faces join
  // the first pass's. Empty: face-api's single pass.
  std::vector<double> borders = {0.3, 0.75, 1.2};
};

class FaceDetector {
 public:
  // Throws hipp::Error naming scripts/setup.sh if the files are absent.
  explicit FaceDetector(const std::string& dir = "");
  // uint8 [3,H,W] -> faces scoring above min_score, overlaps removed (IoU 0.4), best first.
  std::vector<FaceBox> detect(const torch::Tensor& rgb, const DetectOptions& options = {}) const;
  // The same passes one at a time, in the same order (plain, then each border), overlaps removed
  // within a pass: the first face `accept` takes, or none. Stops as soon as one is found.
  std::optional<FaceBox> first_face(const torch::Tensor& rgb, const DetectOptions& options,
                                    const std::function<bool(const FaceBox&)>& accept) const;

 private:
  void check(const torch::Tensor& rgb, const DetectOptions& options) const;
  // Each pass's border in pixels: 0 (the plain pass), then the options' borders that are not empty.
  static std::vector<int64_t> borders(const torch::Tensor& rgb, const DetectOptions& options);
  // One pass over the image inside a black border of `border` pixels; boxes in the image's pixels.
  std::vector<FaceBox> pass(const torch::Tensor& rgb, int64_t border, const DetectOptions& options) const;
  std::vector<FaceBox> candidates(const torch::Tensor& rgb, int input_size, double min_score) const;
  torch::Tensor forward(const torch::Tensor& x) const;
  FaceApiWeights w_;
};

}  // namespace hipp::face
