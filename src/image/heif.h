#pragma once
// HEIF photos (HEIC from phones, AVIF), read through libheif where the build has it: decoded to
// 8-bit RGB as viewers show them (the file's rotation and mirroring applied), and kept whole
// in the protected JPEG (format version 7, docs/format.md). Internal to src/image and what
// keeps originals (repair/checked.cpp).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hipp::image {

// The primary image of a HEIF file as uint8 [3,H,W]; its size is checked against
// --max-pixels before decoding. Alpha is dropped and deeper samples reduced to 8 bits, with a
// warning naming `name` if `warn`. Throws hipp::Error: damaged when libheif cannot read it, unsupported
// in a build without libheif.
torch::Tensor decode_heif(const std::vector<uint8_t>& bytes, const std::string& name, bool warn = true);

// The primary image's ICC colour profile ("prof" or "rICC"), empty without one or without libheif.
std::vector<uint8_t> heif_icc_profile(const std::vector<uint8_t>& bytes);

}  // namespace hipp::image
