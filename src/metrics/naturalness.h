#pragma once
// Naturalness without a flow, with OpenCV's tools: BRISQUE (the contrib quality module with its
// LIVE model; lower is more natural: photos score about 10-25, noise 40 and up) and whether the
// frontal-face Haar cascade finds a face. Model files come from Debian's opencv-data
// (/usr/share/opencv4, or $HIPP_OPENCV_DATA); without them, or in a build without OpenCV, every
// score is NaN and available() says so.
#include <torch/torch.h>

#include <memory>
#include <string>

namespace hipp::metrics {

class NaturalnessMeter {
 public:
  NaturalnessMeter();
  ~NaturalnessMeter();
  bool available() const { return impl_ != nullptr; }
  // Why not, when not available.
  const std::string& missing() const { return missing_; }
  // uint8 RGB [3,H,W].
  double brisque(const torch::Tensor& rgb) const;
  // 1 when the cascade finds at least one face, else 0.
  double face_found(const torch::Tensor& rgb) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string missing_;
};

}  // namespace hipp::metrics
