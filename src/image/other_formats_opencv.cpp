// The full build: formats other than PNG and JPEG (WebP, TIFF, BMP, ...) and resampling come
// from OpenCV.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>

#include "common/error.h"
#include "image/codecs.h"

namespace hipp::image::codec {

namespace {

// An 8-bit, 3-channel, continuous Mat as a [3,H,W] tensor of its own.
torch::Tensor to_tensor(const cv::Mat& m) {
  auto t = torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kUInt8);
  return t.permute({2, 0, 1}).contiguous();  // contiguous() copies out of the Mat
}

torch::Tensor from_mat(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return to_tensor(rgb);
}

// The photo formats hipp hands to OpenCV, by signature. OpenCV would try every codec it was
// built with (DICOM, JPEG 2000, OpenEXR, GDAL, ...), some through temporary files, and the
// fuzzer found one (gdcm) that aborts the process on a 135-byte input: a server must not offer
// that to anyone who can send it a body.
bool photo_format(const std::vector<uint8_t>& b) {
  auto at = [&](size_t i, const char* sig, size_t n) { return b.size() >= i + n && std::equal(sig, sig + n, b.begin() + i); };
  return at(0, "BM", 2) || at(0, "II*\0", 4) || at(0, "MM\0*", 4) || (at(0, "RIFF", 4) && at(8, "WEBP", 4)) ||
         (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6');
}

}  // namespace

torch::Tensor decode_other(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted) {
  if (!photo_format(bytes))
    throw Error(ErrorKind::damaged, name + ": not a readable image (not PNG, JPEG, WebP, TIFF, BMP or PNM)");
  cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<uint8_t*>(bytes.data()));
  cv::Mat m = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw Error(ErrorKind::damaged, name + ": not a readable image (corrupt, truncated or unsupported format)");
  if (m.depth() != CV_8U) {
    converted.deep = true;
    m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 257.0 : 255.0);
  }
  cv::Mat bgr;
  switch (m.channels()) {
    case 3: bgr = m; break;
    case 1:
      cv::cvtColor(m, bgr, cv::COLOR_GRAY2BGR);
      break;
    case 4:
      converted.alpha = true;
      cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
      break;
    default: throw Error(name + ": unsupported channel count " + std::to_string(m.channels()));
  }
  return from_mat(bgr);
}

torch::Tensor resize(const torch::Tensor& rgb, int width, int height) {
  auto hwc = rgb.permute({1, 2, 0}).contiguous().cpu();
  cv::Mat m(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3, hwc.data_ptr<uint8_t>()), out;
  const bool shrink = width <= m.cols && height <= m.rows;
  cv::resize(m, out, cv::Size(width, height), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  return to_tensor(out);
}

}  // namespace hipp::image::codec
