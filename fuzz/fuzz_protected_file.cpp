// libFuzzer: the protected-file reader (PNG chunk or JPEG segments, header, pixels), the key
// checks with a fixed key, and the colour chunks restore copies. Every failure must be a
// hipp::Error, never a crash, a hang or another exception.
#include <cstdint>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "container/protected_png.h"
#include "image/image.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings (converted images, key file modes) on every input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    hipp::image::set_max_pixels(1 << 22);  // a small file may claim a big image: keep the fuzzer's memory bounded
    return true;
  }();
  (void)once;
  std::vector<uint8_t> bytes(data, data + size);
  // What restore copies into a restored PNG: png_colour_of never throws, whatever the file.
  auto colour = hipp::container::png_colour_of(bytes);
  try {
    if (!colour.empty()) (void)hipp::container::insert_after_ihdr(bytes, colour);  // into a JPEG: an Error
  } catch (const hipp::Error&) {
  }
  try {
    auto p = hipp::container::read_protected(bytes, "fuzz");
    hipp::crypto::Key key{};
    key[0] = 1;
    hipp::container::verify(p, key, "fuzz");
  } catch (const hipp::Error&) {
  }
  return 0;
}
