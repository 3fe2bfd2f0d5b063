// heif.h in the portable build, which has no libheif: HEIF photos are refused.
#include "common/error.h"
#include "image/heif.h"

namespace hipp::image {

torch::Tensor decode_heif(const std::vector<uint8_t>&, const std::string& name, bool) {
  throw Error(ErrorKind::unsupported, name + ": a HEIF image (HEIC, AVIF), which this build of hipp does not read (no libheif): convert it to JPEG first");
}

std::vector<uint8_t> heif_icc_profile(const std::vector<uint8_t>&) { return {}; }

}  // namespace hipp::image
