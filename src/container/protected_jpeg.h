#pragma once
// The protected JPEG: an ordinary JPEG of the protected pixels plus the hipp header
// (protected_png.h's Header, same bytes, same rules) split over APP11 segments right after the
// start of the image (after a JFIF APP0, which must come first). APP11 because it is where
// JPEG XT and C2PA content credentials live, the segments photo services are likeliest to keep.
//
// Each segment's payload: "hipp" 0x00 | index u8 (0-based) | count u8 | up to 65,526 header
// bytes; the header is the concatenation in index order, at most 255 segments (about 16 MB).
//
// JPEG is lossy, so the header's MAC covers the header alone and its pixel tag the pixels as
// hipp's decoder (libjpeg-turbo, islow DCT, fancy upsampling) gives them: restore tells a file
// as written (restored as protect checked it) from one re-encoded since (restored approximately).
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "container/protected_png.h"

namespace hipp::container {

// `jpeg` with `payload` in hipp APP11 segments (replacing any there were). Throws hipp::Error
// (no file name) on a damaged JPEG structure or a payload over the 255-segment limit.
std::vector<uint8_t> add_segments(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& payload);
// The payload of the hipp segments, or nullopt if there are none; incomplete or out-of-order
// segments are an error.
std::optional<std::vector<uint8_t>> find_segments(const std::vector<uint8_t>& jpeg);
// `jpeg` without its hipp segments: what a photo service that strips metadata keeps.
std::vector<uint8_t> strip_segments(const std::vector<uint8_t>& jpeg);

// `jpeg`: the protected pixels as encoded; `decoded`: what image::decode gives for it (the
// pixels restore will see, which protect's check restored from). Seals the header as
// write_protected_png does, with a pixel tag of `decoded`, and embeds it.
std::vector<uint8_t> write_protected_jpeg(const std::vector<uint8_t>& jpeg, const torch::Tensor& decoded, Header header,
                                          const crypto::Key& master);

}  // namespace hipp::container
