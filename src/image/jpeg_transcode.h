#pragma once
// A JPEG's quantized DCT coefficients, edited without decoding: libjpeg's lossless transcoding
// (what jpegtran does). What JPEG-native schemes protect and restore, exactly.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hipp::image {

// One component (Y, Cb, Cr, or grey): blocks_h x blocks_w blocks of 64 coefficients in natural
// (row-major) order, DC first, quantized by the file's table for this component.
struct CoefficientPlane {
  int blocks_w = 0, blocks_h = 0;
  int h_samp = 1, v_samp = 1;  // sampling factors: a block covers 8 * max / own pixels per side
  int dc_step = 1;             // the DC term's quantization step (read only)
  std::vector<int16_t> coef;
  int16_t* block(int by, int bx) { return coef.data() + (static_cast<size_t>(by) * blocks_w + bx) * 64; }
};

// Reads `jpeg`'s coefficients, lets `edit` change them (not their count), and writes them back
// with the same quantization, sampling and size: a baseline JPEG with optimized Huffman tables
// and no APP segments but JFIF's. Throws hipp::Error naming `name` on a JPEG it cannot read,
// and on CMYK or YCCK JPEGs (only YCbCr and grey ones are transcoded).
std::vector<uint8_t> transcode_jpeg(const std::vector<uint8_t>& jpeg, const std::string& name,
                                    const std::function<void(std::vector<CoefficientPlane>&)>& edit);

}  // namespace hipp::image
