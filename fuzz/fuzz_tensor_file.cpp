// libFuzzer: the weights container parser (docs/weights-format.md).
#include <cstdint>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "io/tensor_file.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings (converted images, key file modes) on every input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    hipp::io::parse_tensor_file(std::vector<uint8_t>(data, data + size), "fuzz");
  } catch (const hipp::Error&) {
  }
  return 0;
}
