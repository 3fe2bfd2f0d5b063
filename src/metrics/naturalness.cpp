#include "metrics/naturalness.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#ifdef HIPP_WITH_OPENCV
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/quality/qualitybrisque.hpp>
#endif

namespace hipp::metrics {

#ifdef HIPP_WITH_OPENCV
struct NaturalnessMeter::Impl {
  cv::Ptr<cv::quality::QualityBRISQUE> brisque;
  mutable cv::CascadeClassifier faces;
};

namespace {

cv::Mat gray_of(const torch::Tensor& rgb) {
  auto hwc = rgb.permute({1, 2, 0}).contiguous().cpu();
  cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3, hwc.data_ptr<uint8_t>());
  cv::Mat gray;
  cv::cvtColor(m, gray, cv::COLOR_RGB2GRAY);  // copies: hwc may go
  return gray;
}

}  // namespace

NaturalnessMeter::NaturalnessMeter() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("HIPP_OPENCV_DATA");
  const fs::path dir = env && *env ? env : "/usr/share/opencv4";
  const auto model = dir / "quality/brisque_model_live.yml", range = dir / "quality/brisque_range_live.yml",
             cascade = dir / "haarcascades/haarcascade_frontalface_default.xml";
  for (auto& f : {model, range, cascade})
    if (!fs::exists(f)) {
      missing_ = f.string() + " is missing (Debian package opencv-data)";
      return;
    }
  auto impl = std::make_unique<Impl>();
  impl->brisque = cv::quality::QualityBRISQUE::create(model.string(), range.string());
  if (!impl->faces.load(cascade.string())) {
    missing_ = cascade.string() + " could not be read";
    return;
  }
  impl_ = std::move(impl);
}

double NaturalnessMeter::brisque(const torch::Tensor& rgb) const {
  if (!impl_) return NAN;
  return impl_->brisque->compute(gray_of(rgb))[0];
}

double NaturalnessMeter::face_found(const torch::Tensor& rgb) const {
  if (!impl_) return NAN;
  cv::Mat gray = gray_of(rgb);
  cv::equalizeHist(gray, gray);
  std::vector<cv::Rect> found;
  // OpenCV's usual settings; the cascade's own 24x24 window is the smallest face it sees.
  impl_->faces.detectMultiScale(gray, found, 1.1, 3, 0, cv::Size(24, 24));
  return found.empty() ? 0.0 : 1.0;
}
#else
struct NaturalnessMeter::Impl {};
NaturalnessMeter::NaturalnessMeter() : missing_("this build has no OpenCV") {}
double NaturalnessMeter::brisque(const torch::Tensor&) const { return NAN; }
double NaturalnessMeter::face_found(const torch::Tensor&) const { return NAN; }
#endif

NaturalnessMeter::~NaturalnessMeter() = default;

}  // namespace hipp::metrics
