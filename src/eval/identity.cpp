#include "eval/identity.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "face/face_net.h"

namespace hipp::eval {

IdentityMeter::IdentityMeter() {
  if (face::face_model_dir().empty()) {
    spdlog::warn("face recognition model not found (run scripts/setup.sh): identity metrics are n/a");
    return;
  }
  net_ = std::make_unique<face::FaceNet>();
}

IdentityMeter::~IdentityMeter() = default;

torch::Tensor IdentityMeter::describe(const torch::Tensor& faces) const {
  return net_ ? net_->describe(faces) : torch::Tensor();
}

torch::Tensor IdentityMeter::distances(const torch::Tensor& reference, const torch::Tensor& faces) const {
  if (!net_) return torch::full({faces.dim() == 4 ? faces.size(0) : 1}, NAN, torch::kFloat64);
  return face::descriptor_distance(reference, net_->describe(faces)).to(torch::kFloat64);
}

double IdentityMeter::matches(double distance) {
  return std::isnan(distance) ? NAN : distance < face::kMatchDistance ? 1.0 : 0.0;
}

}  // namespace hipp::eval
