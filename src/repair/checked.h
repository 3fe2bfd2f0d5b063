#pragma once
// Protect and restore with the restoration check (repair.h): what `hipp protect`, `hipp serve`
// and `hipp eval` all run, so the numbers eval reports are the product's.
#include <torch/torch.h>

#include <functional>

#include "container/protected_png.h"
#include "image/image.h"
#include "repair/repair.h"
#include "scheme/scheme.h"

namespace hipp::repair {

// What becomes of the protected pixels on their way to `hipp restore`: identity for a PNG,
// an encode/decode round trip for a JPEG.
using Transmit = std::function<torch::Tensor(const torch::Tensor&)>;

// Protects `rgb` with `scheme` under (master, h.nonce), filling h.side and h.repair; returns the
// protected pixels. The check restores from what `transmit` makes of them (none: the pixels
// themselves, as a PNG holds them), exactly as `hipp restore` will.
torch::Tensor protect_checked(const scheme::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                              container::Header& h, const RepairOptions& options, RepairStats* stats = nullptr,
                              const Transmit& transmit = {});

// Restores a verified protected file: the scheme's restoration plus its repair data, if any. A
// JPEG-native scheme restores the original JPEG itself, and a file that carries the original
// (versions 5 to 7) gives it back; `restored_original` receives that file (a JPEG, or a HEIF
// from version 7) if given.
torch::Tensor restore_checked(const scheme::Scheme& scheme, const container::Parsed& p, const crypto::Key& master,
                              const std::string& where, std::vector<uint8_t>* restored_original = nullptr);

// The protected file's encoding: a lossless PNG, or a JPEG at these settings. A protected JPEG
// of a JPEG photo carries the photo itself, encrypted, unless keep_original is off (then restore
// works from the protected pixels plus repair data, as before version 5: 3-7x the size).
struct FileFormat {
  bool jpeg = false;
  image::JpegSettings settings;
  bool keep_original = true;
  // With a kept original: the largest file, as a multiple of the original's size, that lowering
  // the protected image's quality from settings.quality (down to kLowestFittedQuality) may
  // reach; 0: settings.quality as it is.
  double max_expansion = 0;
  // Whether a protected file of `input` keeps it: a JPEG or HEIF photo protected to a JPEG, or a
  // PNG with 16-bit samples or transparency protected to a PNG.
  bool keeps(const std::vector<uint8_t>& input) const {
    if (!keep_original) return false;
    return jpeg ? image::is_jpeg(input) || image::is_heif(input) : image::png_beyond_8bit_rgb(input);
  }
};

// The lowest quality max_expansion lowers a protected image to: below it JPEG's blocks show.
inline constexpr int kLowestFittedQuality = 30;

// protect_checked, then the file's bytes (container::write_protected_png or _jpeg): the
// caller sets h's scheme, model, block, key fields, nonce and origin. A JPEG-native scheme
// protects `original` (the input file, which must then be a JPEG, protected to a JPEG) and
// checks that it restores bit for bit; the others protect `rgb`. When format.keeps(original),
// the header carries `original` encrypted instead of repair data, and no check is run.
std::vector<uint8_t> protect_file(const scheme::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                                  container::Header h, const RepairOptions& options, const FileFormat& format,
                                  RepairStats* stats = nullptr, const std::vector<uint8_t>& original = {});

}  // namespace hipp::repair
