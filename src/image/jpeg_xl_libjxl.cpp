// jpeg_xl.h on libjxl's JPEG transcoding (JxlEncoderAddJPEGFrame with the JPEG's metadata
// stored; the decoder's JPEG reconstruction), in the calling thread: a thread pool of its own
// made protect up to twice as slow on a busy machine, beside LibTorch's threads.
#include <jxl/decode_cxx.h>
#include <jxl/encode_cxx.h>

#include <algorithm>

#include "common/error.h"
#include "image/codecs.h"
#include "image/jpeg_xl.h"

namespace hipp::image {

namespace {

// What libjxl 0.7 can recompress: Huffman-coded 8-bit JPEGs of one or three components, each
// at full or half the resolution of the finest one across and down. Handed anything else it
// fails, after printing its reasons on stderr, so it is not asked.
bool recompressible(const std::vector<uint8_t>& jpeg) {
  codec::JpegTables t;
  try {
    t = codec::read_jpeg_tables(jpeg, "JPEG");
  } catch (const Error&) {
    return false;
  }
  if (t.arithmetic || t.precision != 8 || (t.components != 1 && t.components != 3)) return false;
  int max_h = 1, max_v = 1;
  for (auto [h, v] : t.sampling) max_h = std::max(max_h, h), max_v = std::max(max_v, v);
  auto half_or_full = [](int finest, int f) { return f == finest || 2 * f == finest; };
  for (auto [h, v] : t.sampling)
    if (!half_or_full(max_h, h) || !half_or_full(max_v, v)) return false;
  return true;
}

std::optional<std::vector<uint8_t>> encode(const std::vector<uint8_t>& jpeg) {
  auto enc = JxlEncoderMake(nullptr);
  if (!enc || JxlEncoderUseContainer(enc.get(), JXL_TRUE) != JXL_ENC_SUCCESS ||
      JxlEncoderStoreJPEGMetadata(enc.get(), JXL_TRUE) != JXL_ENC_SUCCESS)
    return std::nullopt;
  auto* settings = JxlEncoderFrameSettingsCreate(enc.get(), nullptr);
  if (!settings || JxlEncoderAddJPEGFrame(settings, jpeg.data(), jpeg.size()) != JXL_ENC_SUCCESS) return std::nullopt;
  JxlEncoderCloseInput(enc.get());
  std::vector<uint8_t> out(jpeg.size() / 2 + 4096);
  uint8_t* next = out.data();
  size_t avail = out.size();
  for (;;) {
    auto status = JxlEncoderProcessOutput(enc.get(), &next, &avail);
    if (status == JXL_ENC_SUCCESS) break;
    if (status != JXL_ENC_NEED_MORE_OUTPUT) return std::nullopt;
    size_t used = next - out.data();
    out.resize(out.size() * 2);
    next = out.data() + used, avail = out.size() - used;
  }
  out.resize(next - out.data());
  return out;
}

// The reconstructed JPEG, or nothing where `jxl` holds none.
std::optional<std::vector<uint8_t>> decode(const std::vector<uint8_t>& jxl) {
  auto dec = JxlDecoderMake(nullptr);
  if (!dec || JxlDecoderSubscribeEvents(dec.get(), JXL_DEC_JPEG_RECONSTRUCTION | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
      JxlDecoderSetInput(dec.get(), jxl.data(), jxl.size()) != JXL_DEC_SUCCESS)
    return std::nullopt;
  JxlDecoderCloseInput(dec.get());
  std::vector<uint8_t> out;
  size_t used = 0;  // bytes of `out` written before the buffer was last handed over
  bool reconstructing = false;
  auto hand_over = [&] { return JxlDecoderSetJPEGBuffer(dec.get(), out.data() + used, out.size() - used) == JXL_DEC_SUCCESS; };
  for (;;) {
    switch (JxlDecoderProcessInput(dec.get())) {
      case JXL_DEC_JPEG_RECONSTRUCTION:
        reconstructing = true;
        out.resize(jxl.size() * 2 + 4096);
        if (!hand_over()) return std::nullopt;
        break;
      case JXL_DEC_JPEG_NEED_MORE_OUTPUT:
        used = out.size() - JxlDecoderReleaseJPEGBuffer(dec.get());
        out.resize(out.size() * 2);
        if (!hand_over()) return std::nullopt;
        break;
      case JXL_DEC_FULL_IMAGE:
        if (!reconstructing) return std::nullopt;  // a JPEG XL image, but not a recompressed JPEG
        out.resize(out.size() - JxlDecoderReleaseJPEGBuffer(dec.get()));
        return out;
      default:  // an error, input ending early, or a request for pixel buffers: not ours
        return std::nullopt;
    }
  }
}

}  // namespace

std::optional<std::vector<uint8_t>> jpeg_xl_pack(const std::vector<uint8_t>& jpeg) {
  if (!recompressible(jpeg)) return std::nullopt;
  auto jxl = encode(jpeg);
  if (!jxl || jxl->size() >= jpeg.size()) return std::nullopt;
  auto back = decode(*jxl);
  if (!back || *back != jpeg) return std::nullopt;
  return jxl;
}

std::vector<uint8_t> jpeg_xl_unpack(const std::vector<uint8_t>& jxl) {
  auto jpeg = decode(jxl);
  if (!jpeg) throw Error(ErrorKind::damaged, "not a recompressed JPEG (JPEG XL)");
  return *jpeg;
}

}  // namespace hipp::image
