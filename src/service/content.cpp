#include "service/content.h"

#include <algorithm>

#include "face/face_detector.h"
#include "face/face_net.h"

namespace hipp::service {

ContentJudge::ContentJudge() {
  if (!face::face_model_dir("tiny_face_detector_model").empty()) detector_ = std::make_unique<face::FaceDetector>();
}

ContentJudge::~ContentJudge() = default;

protect::Content ContentJudge::judge(const torch::Tensor& rgb) const {
  if (!detector_) return protect::Content::unknown;
  const double least = kFaceShare * std::min(rgb.size(1), rgb.size(2));
  // The faces looked for span a quarter of the image at least: a 224 px input sees them as well
  // as the detector's default 416 (all 50 test portraits, none of 30 scenes) at a third of its
  // time, and the passes stop at the first such face (most face photos: the plain pass).
  face::DetectOptions o;
  o.input_size = 224;
  auto fills = [&](const face::FaceBox& f) { return std::max(f.width, f.height) >= least; };
  return detector_->first_face(rgb, o, fills) ? protect::Content::faces : protect::Content::photos;
}

bool content_matters(int64_t height, int64_t width) {
  const int64_t side = std::max(height, width);
  return side > protect::kFacesUpTo && side <= protect::kFaceModelsUpTo;
}

}  // namespace hipp::service
