#pragma once
// The identity-privacy metric: does a face recognizer (dlib's ResNet-34, face/face_net.h) still
// match an image to the original? The face is first found in the original by face-api's tiny
// face detector and framed by its 68 landmarks (face/face_landmarks.h); the recognizer sees that
// square, cut at the same place from the image compared, so whole portrait photos are judged by
// their face, not their frame.
// The detector also gives naturalness's face detection rate. Evaluations run without either,
// reporting n/a, where the face model files are absent (scripts/setup.sh fetches them).
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <vector>

#include "face/face_landmarks.h"

namespace hipp::face {
class FaceNet;
}

namespace hipp::eval {

// Per image: the square the recognizer sees, or none (then the whole image).
using FaceRegions = std::vector<std::optional<face::Square>>;

class IdentityMeter {
 public:
  IdentityMeter();  // loads the networks whose files are there, else warns once
  ~IdentityMeter();
  bool available() const { return net_ != nullptr; }
  bool detects() const { return detector_ != nullptr; }
  // The best face of each uint8 [N,3,H,W] image; none where the detector finds no face (all
  // none without the detector).
  FaceRegions locate(const torch::Tensor& images) const;
  // 1 when the detector finds a face in uint8 [3,H,W], 0 if not, NaN without the detector.
  double face_found(const torch::Tensor& rgb) const;
  // Descriptors of uint8 [N,3,H,W] (or [3,H,W]) images, each cut to its region (regions empty:
  // whole images): float [N,128]; undefined if unavailable.
  torch::Tensor describe(const torch::Tensor& images, const FaceRegions& regions = {}) const;
  // Distance of each image to the matching row of `reference` (descriptors from describe()):
  // float64 [N]; NaNs if unavailable.
  torch::Tensor distances(const torch::Tensor& reference, const torch::Tensor& images,
                          const FaceRegions& regions = {}) const;
  // 1 where a distance is below the recognizer's threshold, 0 above, NaN where unknown.
  static double matches(double distance);

 private:
  std::unique_ptr<face::FaceNet> net_;
  std::unique_ptr<face::FaceDetector> detector_;
  std::unique_ptr<face::LandmarkNet> landmarks_;  // optional: without it, the detector's box frames the face
};

}  // namespace hipp::eval
