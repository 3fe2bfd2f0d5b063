#pragma once
// What an image shows, for HIPP's default model (hipp/models.h, nearest_model): a face photo
// when face-api's tiny face detector finds a face whose box spans at least kFaceShare of the
// image's shorter side. Face crops and portraits are face photos; scenes, group photos and
// people seen from afar are not. Without the detector's weights (scripts/setup.sh fetches them)
// nothing is judged and the model is chosen by size alone.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "hipp/models.h"

namespace hipp::face {
class FaceDetector;
}

namespace hipp::service {

inline constexpr double kFaceShare = 0.25;

class ContentJudge {
 public:
  ContentJudge();  // loads the detector when its weights are there
  ~ContentJudge();
  bool available() const { return detector_ != nullptr; }
  // faces or photos for uint8 [3,H,W]; unknown without the detector.
  protect::Content judge(const torch::Tensor& rgb) const;

 private:
  std::unique_ptr<face::FaceDetector> detector_;
};

// Whether the default model of an h x w image depends on what it shows (so judging is worth
// its time): only between kFacesUpTo and kFaceModelsUpTo px on the long side.
bool content_matters(int64_t height, int64_t width);

}  // namespace hipp::service
