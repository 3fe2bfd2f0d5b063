#pragma once
// Image I/O and the pixel operations hipp needs. An image is a uint8 tensor [3, H, W] (RGB).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "common/files.h"

namespace hipp::image {

// Loads PNG and JPEG (and, in the full build, HEIF and anything else OpenCV reads) as 8-bit
// RGB, turned as a JPEG's EXIF orientation (a HEIF's rotation) says. Grey is expanded to three equal channels; CMYK, 16-bit and
// RGBA are converted with a warning. Throws hipp::Error naming the file when it is missing,
// empty, truncated or not an image.
torch::Tensor load(const std::string& path);

// What decode does with the orientation a JPEG's EXIF data records (cameras store the sensor's
// rows and a tag saying how to turn them): apply it, as viewers do, so that a protected image
// and its thumbnail stand as the photo does; or leave the pixels as stored, for what works on
// the JPEG's own blocks (the JPEG-native schemes).
enum class Orientation { apply, as_stored };
// Whether decode warns of what 8-bit RGB loses (16-bit, alpha, CMYK): not where the file itself
// is what the user gets back (a kept original).
enum class Conversions { warn, silent };
// Decodes an in-memory encoded image; `name` only labels errors.
torch::Tensor decode(const std::vector<uint8_t>& bytes, const std::string& name,
                     Orientation orientation = Orientation::apply, Conversions conversions = Conversions::warn);

// The most pixels (width x height) a decoded image may have, process-wide. PNG and JPEG are
// checked from their header before anything is decoded, so a small file that claims a huge
// image cannot exhaust memory; other formats (OpenCV's) after decoding. Over it: hipp::Error of
// kind too_large. `hipp --max-pixels` and `hipp serve --max-pixels` set it.
inline constexpr uint64_t kDefaultMaxPixels = uint64_t{1} << 27;  // 134 MP: a 108 MP phone photo fits
void set_max_pixels(uint64_t pixels);
uint64_t max_pixels();
// Throws unless width x height is within max_pixels(); `name` labels the error.
void check_pixels(uint64_t width, uint64_t height, const std::string& name);
// Width and height from a PNG's IHDR or a JPEG's frame header, without decoding; {0, 0} for
// other formats or a header that cannot be read (the decoder then says what is wrong).
std::pair<uint32_t, uint32_t> header_size(const std::vector<uint8_t>& bytes);

// What a JPEG file holds beside its image that only the file itself keeps: the EXIF
// orientation (1: none), the bytes after its end-of-image marker (a motion photo's video, an
// HDR gain map's second image), and its ICC colour profile: the APP2 segments that carry it,
// whole, and the profile's colour space ("RGB ", "GRAY", "CMYK"; empty without one). From a
// walk over its segments; nothing is decoded.
struct JpegExtras {
  int orientation = 1;
  size_t trailing_bytes = 0;
  std::vector<uint8_t> icc_segments;
  std::string icc_space;
};
JpegExtras jpeg_extras(const std::vector<uint8_t>& jpeg);
// The ICC profile those segments carry, their chunks joined in their numbers' order (empty
// when a chunk is missing or repeated).
std::vector<uint8_t> icc_profile(const JpegExtras& x);
// An ICC profile's colour space ("RGB ", "GRAY", "CMYK"; empty when too short to say).
std::string icc_space(const std::vector<uint8_t>& profile);
// `profile` as the APP2 segments that carry it in a JPEG (ICC.1, B.4); none when it would
// take more than 255.
std::vector<uint8_t> icc_segments(const std::vector<uint8_t>& profile);
// `jpeg` with `segments` (whole marker segments) after its start and its JFIF segment.
std::vector<uint8_t> insert_segments(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& segments);

// Throws hipp::Error (prefixed with `who`) unless `rgb` is a uint8 [3,H,W] image tensor.
void require_rgb(const torch::Tensor& rgb, const std::string& who);
// True when `bytes` start with the JPEG signature.
bool is_jpeg(const std::vector<uint8_t>& bytes);
// True when `bytes` start with the PNG signature.
bool is_png(const std::vector<uint8_t>& bytes);
// True for a PNG that 8-bit RGB would lose something of: 16-bit samples or transparency (an
// alpha channel or a tRNS chunk). From its header and chunk list; nothing is decoded.
bool png_beyond_8bit_rgb(const std::vector<uint8_t>& bytes);
// True for a file extension (lower case, with its dot) that names a HEIF file: .heic, .heif,
// .hif, .avif.
bool is_heif_extension(const std::string& ext);
// True when `bytes` are an ISO media file whose brand says HEIF (HEIC from phones, AVIF), which
// the full build reads through libheif (image/heif.h).
bool is_heif(const std::vector<uint8_t>& bytes);

// What a PNG holds decides how zlib should work on it.
enum class PngContent {
  Photo,      // originals and restorations: zlib's strongest level (its default strategy)
  Protected,  // protected images, whose details are noise-like: level 4 with filtered matching
              // is 6% smaller than level 9 there, and 2-7x faster (docs/big-photos.md)
};
// Lossless PNG encoding of a uint8 [3,H,W] tensor.
std::vector<uint8_t> encode_png(const torch::Tensor& rgb, PngContent content = PngContent::Photo);
// How a JPEG is (or is to be) encoded: IJG quality scaling and the luma's sampling factors over
// the chroma's (2x2: 4:2:0, libjpeg's default; 1x1: 4:4:4).
struct JpegSettings {
  int quality = 90;
  int luma_h = 2, luma_v = 2;
  bool valid() const {
    auto factor_ok = [](int f) { return f == 1 || f == 2; };
    return quality >= 1 && quality <= 100 && factor_ok(luma_h) && factor_ok(luma_v);
  }
};
// Baseline JPEG with optimized Huffman tables (smaller, the same pixels).
std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, const JpegSettings& settings);
std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, int quality);  // 4:2:0
// A grey image: its three channels equal everywhere (as decoded from a grey JPEG or PNG).
bool is_grey(const torch::Tensor& rgb);
// The rounded mean of the channels, in all three.
torch::Tensor to_grey(const torch::Tensor& rgb);
// A grey image (is_grey) as a one-component JPEG: no chroma to store or to tint it.
std::vector<uint8_t> encode_grey_jpeg(const torch::Tensor& rgb, int quality);
// The settings that reproduce a JPEG's own: the IJG quality whose tables are nearest its
// quantization tables (summed absolute difference; cameras' own tables land on the nearest),
// and its sampling. Reads the header only; throws hipp::Error naming `name` if it is no JPEG.
JpegSettings jpeg_settings_of(const std::vector<uint8_t>& bytes, const std::string& name);

// Writes atomically (temporary file, then rename): a failure never leaves half a file.
void save_png(const std::string& path, const torch::Tensor& rgb);

// uint8 [3,H,W] <-> float [3,H,W] in [0,1].
torch::Tensor to_float(const torch::Tensor& rgb);
torch::Tensor from_float(const torch::Tensor& x);  // rounds and clamps

// Block-average thumbnail at block size `block`: float [3, ceil(H/B), ceil(W/B)] on the
// 0..255 scale. Edge blocks that are cut short average only their own pixels.
torch::Tensor thumbnail(const torch::Tensor& rgb, int block);

// Center square crop of side `crop_fraction * min(H,W)`, then area-resize to size x size.
torch::Tensor center_crop_resize(const torch::Tensor& rgb, int size, double crop_fraction = 1.0);

// Resize to exactly width x height (area when shrinking, cubic when enlarging).
torch::Tensor resize(const torch::Tensor& rgb, int width, int height);

// Tiles images [N,3,H,W] (uint8) into a grid with `cols` columns and a `pad`-pixel border.
torch::Tensor make_grid(const torch::Tensor& batch, int cols, int pad = 2, uint8_t fill = 255);

}  // namespace hipp::image
