// libFuzzer: image decoding (PNG and JPEG through libpng and libjpeg-turbo, other formats
// through OpenCV), with the pixel limit checked from the header first, and the segment walk
// that finds a JPEG's EXIF orientation, end and colour profile.
#include <cstdint>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "image/image.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings (converted images, key file modes) on every input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    hipp::image::set_max_pixels(1 << 22);
    return true;
  }();
  (void)once;
  std::vector<uint8_t> bytes(data, data + size);
  (void)hipp::image::icc_profile(hipp::image::jpeg_extras(bytes));
  try {
    hipp::image::decode(bytes, "fuzz");
  } catch (const hipp::Error&) {
  }
  return 0;
}
