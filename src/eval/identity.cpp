#include "eval/identity.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "common/error.h"
#include "face/face_net.h"

namespace hipp::eval {

IdentityMeter::IdentityMeter() {
  if (face::face_model_dir().empty())
    spdlog::warn("face recognition model not found (run scripts/setup.sh): identity metrics are n/a");
  else
    net_ = std::make_unique<face::FaceNet>();
  if (face::face_model_dir("tiny_face_detector_model").empty())
    spdlog::warn("face detector not found (run scripts/setup.sh): face detection is n/a, identity uses whole images");
  else
    detector_ = std::make_unique<face::FaceDetector>();
  if (detector_ && face::face_model_dir("face_landmark_68_tiny_model").empty())
    spdlog::warn("face landmark model not found (run scripts/setup.sh): faces are framed by the detector's box");
  else if (detector_)
    landmarks_ = std::make_unique<face::LandmarkNet>();
}

IdentityMeter::~IdentityMeter() = default;

FaceRegions IdentityMeter::locate(const torch::Tensor& images) const {
  FaceRegions out(images.size(0));
  if (!detector_) return out;
  for (int64_t i = 0; i < images.size(0); ++i) out[i] = face::find_face_square(images[i], *detector_, landmarks_.get());
  return out;
}

double IdentityMeter::face_found(const torch::Tensor& rgb) const {
  if (!detector_) return NAN;
  return detector_->detect(rgb).empty() ? 0.0 : 1.0;
}

torch::Tensor IdentityMeter::describe(const torch::Tensor& images, const FaceRegions& regions) const {
  if (!net_) return torch::Tensor();
  auto batch = images.dim() == 3 ? images.unsqueeze(0) : images;
  if (regions.empty()) return net_->describe(batch);
  if (regions.size() != static_cast<size_t>(batch.size(0))) throw Error("describe: one region per image");
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < batch.size(0); ++i) {
    auto img = batch[i];
    if (auto& r = regions[i]) img = img.slice(1, r->y, r->y + r->side).slice(2, r->x, r->x + r->side);
    out.push_back(net_->describe(img));
  }
  return torch::cat(out);
}

torch::Tensor IdentityMeter::distances(const torch::Tensor& reference, const torch::Tensor& images,
                                       const FaceRegions& regions) const {
  if (!net_) return torch::full({images.dim() == 4 ? images.size(0) : 1}, NAN, torch::kFloat64);
  return face::descriptor_distance(reference, describe(images, regions)).to(torch::kFloat64);
}

double IdentityMeter::matches(double distance) {
  return std::isnan(distance) ? NAN : distance < face::kMatchDistance ? 1.0 : 0.0;
}

}  // namespace hipp::eval
