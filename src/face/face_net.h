#pragma once
// dlib's ResNet-34 face recognition network (the one behind `face_recognition`), run in LibTorch
// with the weights face-api ships (npm @vladmandic/face-api@1.7.15, fetched by scripts/setup.sh).
// A 150x150 face chip maps to a 128-d descriptor; two faces are one person below kMatchDistance.
#include <torch/torch.h>

#include <string>

#include "face/weight_map.h"

namespace hipp::face {

constexpr double kMatchDistance = 0.6;  // dlib / face_recognition's threshold

// Where face-api's model files are: $HIPP_FACE_MODEL, else <repo>/third_party/face-api/model
// (fetched by scripts/setup.sh); "" if that folder lacks `model`'s manifest and weights.
std::string face_model_dir(const std::string& model = "face_recognition_model");

class FaceNet {
 public:
  // Throws hipp::Error naming scripts/setup.sh if the files are absent.
  explicit FaceNet(const std::string& dir = "");
  // uint8 [3,H,W] or [N,3,H,W] face crops (any size; resized to 150x150, area when shrinking)
  // -> float [N,128] descriptors (CPU).
  torch::Tensor describe(const torch::Tensor& rgb) const;

 private:
  torch::Tensor forward(const torch::Tensor& x) const;
  FaceApiWeights w_;
};

// Euclidean distance between descriptors, row by row: [N,128],[N,128] -> [N]
torch::Tensor descriptor_distance(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace hipp::face
