// libFuzzer: the header parser. What parses must serialize back to the same bytes (the encoding
// is canonical, docs/format.md), since the MAC is computed over the re-serialized header.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "container/protected_png.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings (converted images, key file modes) on every input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  hipp::container::Header h;
  try {
    h = hipp::container::parse_header(bytes);
  } catch (const hipp::Error&) {
    return 0;
  }
  if (hipp::container::serialize(h) != bytes) std::abort();  // two encodings of one header
  return 0;
}
