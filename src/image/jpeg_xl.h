#pragma once
// Lossless recompression of a JPEG file by JPEG XL (libjxl): the same DCT coefficients coded
// with a stronger entropy coder, smaller (docs/jpeg.md), decoded back to the very same bytes.
// How a protected JPEG keeps its original since format version 6 (docs/format.md).
#include <cstdint>
#include <optional>
#include <vector>

namespace hipp::image {

// `jpeg` recompressed, or nothing where this build or libjxl cannot (a JPEG it does not model,
// such as an arithmetic-coded one) or where decoding the result does not give `jpeg` back bit
// for bit: every result is decoded and compared before it is returned.
std::optional<std::vector<uint8_t>> jpeg_xl_pack(const std::vector<uint8_t>& jpeg);

// The JPEG file a jpeg_xl_pack result holds. Throws hipp::Error: damaged when `jxl` is not
// one, unsupported in a build without libjxl.
std::vector<uint8_t> jpeg_xl_unpack(const std::vector<uint8_t>& jxl);

}  // namespace hipp::image
