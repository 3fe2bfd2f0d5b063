// libFuzzer: key and passphrase files (keys::read_key_source reads a path, so each input is
// written to a file in /dev/shm first).
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "keys/key.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // warnings (converted images, key file modes) on every input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/dev/shm/hipp-fuzz-key-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    auto src = hipp::keys::read_key_source(path);
    (void)src;
  } catch (const hipp::Error&) {
  }
  return 0;
}
