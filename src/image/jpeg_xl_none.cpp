// jpeg_xl.h in the portable build, which has no libjxl: protect keeps originals as they are
// (format version 5) and restore refuses version 6 files that recompressed them.
#include "common/error.h"
#include "image/jpeg_xl.h"

namespace hipp::image {

std::optional<std::vector<uint8_t>> jpeg_xl_pack(const std::vector<uint8_t>&) { return std::nullopt; }

std::vector<uint8_t> jpeg_xl_unpack(const std::vector<uint8_t>&) {
  throw Error(ErrorKind::unsupported, "this hipp was built without JPEG XL (libjxl), which this file's kept original needs");
}

}  // namespace hipp::image
