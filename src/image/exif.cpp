// The one EXIF field hipp reads: the orientation a camera records instead of turning the pixels.
#include <cstring>

#include "image/codecs.h"

namespace hipp::image::codec {

int exif_orientation(const uint8_t* app1, size_t size) {
  // "Exif\0\0", then a TIFF header: byte order, 42, the first IFD's offset from the TIFF start.
  if (size < 14 || std::memcmp(app1, "Exif\0\0", 6) != 0) return 1;
  const uint8_t* tiff = app1 + 6;
  const size_t n = size - 6;
  const bool big = tiff[0] == 'M' && tiff[1] == 'M';
  if (!big && !(tiff[0] == 'I' && tiff[1] == 'I')) return 1;
  auto u16 = [&](size_t at) { return big ? uint32_t(tiff[at]) << 8 | tiff[at + 1] : uint32_t(tiff[at + 1]) << 8 | tiff[at]; };
  auto u32 = [&](size_t at) { return big ? u16(at) << 16 | u16(at + 2) : u16(at + 2) << 16 | u16(at); };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd > n || n - ifd < 2) return 1;
  const size_t entries = u16(ifd);
  for (size_t k = 0; k < entries; ++k) {
    const size_t e = ifd + 2 + 12 * k;
    if (e > n || n - e < 12) return 1;
    if (u16(e) != 0x0112) continue;
    const uint32_t value = u16(e + 2) == 3 /* SHORT */ && u32(e + 4) == 1 ? u16(e + 8) : 0;
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

torch::Tensor apply_orientation(const torch::Tensor& rgb, int orientation) {
  switch (orientation) {
    case 2: return rgb.flip({2}).contiguous();                     // mirrored
    case 3: return rgb.flip({1, 2}).contiguous();                  // upside down
    case 4: return rgb.flip({1}).contiguous();                     // mirrored upside down
    case 5: return rgb.transpose(1, 2).contiguous();               // transposed
    case 6: return rgb.transpose(1, 2).flip({2}).contiguous();     // turned a quarter clockwise
    case 7: return rgb.transpose(1, 2).flip({1, 2}).contiguous();  // transversed
    case 8: return rgb.transpose(1, 2).flip({1}).contiguous();     // a quarter anticlockwise
    default: return rgb;
  }
}

}  // namespace hipp::image::codec
