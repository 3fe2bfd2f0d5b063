#pragma once
// The identity-privacy metric: does a face recognizer (dlib's ResNet-34, face/face_net.h) still
// match an image to the original? Evaluations run without it, reporting n/a, where the face
// model files are absent (scripts/setup.sh fetches them).
#include <torch/torch.h>

#include <memory>

namespace hipp::face {
class FaceNet;
}

namespace hipp::eval {

class IdentityMeter {
 public:
  IdentityMeter();  // loads the face network if its files are there, else warns once
  ~IdentityMeter();
  bool available() const { return net_ != nullptr; }
  // Descriptors of uint8 [N,3,H,W] (or [3,H,W]) faces: float [N,128]; undefined if unavailable.
  torch::Tensor describe(const torch::Tensor& faces) const;
  // Distance of each face to the matching row of `reference` (descriptors from describe()):
  // float64 [N]; NaNs if unavailable.
  torch::Tensor distances(const torch::Tensor& reference, const torch::Tensor& faces) const;
  // 1 where a distance is below the recognizer's threshold, 0 above, NaN where unknown.
  static double matches(double distance);

 private:
  std::unique_ptr<face::FaceNet> net_;
};

}  // namespace hipp::eval
