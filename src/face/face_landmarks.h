#pragma once
// face-api's tiny 68-point face landmark network (three dense blocks of separable convolutions,
// 77 KB) in LibTorch, with the weights npm @vladmandic/face-api@1.7.15 ships (fetched by
// scripts/setup.sh). It places dlib's 68 points (jaw, brows, nose, eyes, mouth) on a face crop.
#include <torch/torch.h>

#include <optional>
#include <string>

#include "face/face_detector.h"

namespace hipp::face {

class LandmarkNet {
 public:
  // Throws hipp::Error naming scripts/setup.sh if the files are absent.
  explicit LandmarkNet(const std::string& dir = "");
  // uint8 [3,H,W] face crop -> float64 [68,2] points (x, y) in its pixels.
  torch::Tensor locate(const torch::Tensor& face_rgb) const;

 private:
  torch::Tensor forward(const torch::Tensor& x) const;
  FaceApiWeights w_;
};

// The square the recognizer sees for a face with these landmarks, as face-api's dlib alignment
// places it (scaled by the eye-mouth distance, positioned by the eye and mouth centres; no
// rotation), moved (then shrunk) to lie inside a width x height image.
Square landmark_square(const torch::Tensor& points, int64_t width, int64_t height);

// Where the recognizer looks in uint8 [3,H,W]: the best face's landmark square, with landmarks
// found on the detector's box (its chip_square without a landmark network); none without a face.
std::optional<Square> find_face_square(const torch::Tensor& rgb, const FaceDetector& detector,
                                       const LandmarkNet* landmarks);

}  // namespace hipp::face
