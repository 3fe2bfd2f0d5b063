#pragma once
// The codecs behind image.h: PNG on libpng and JPEG on libjpeg(-turbo) in every build, so that
// hipp needs no OpenCV to read and write what it protects; other formats and resampling come
// from OpenCV where the build has it (other_formats_*.cpp). Internal to src/image.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hipp::image::codec {

// What a decoder had to give up to give 8-bit RGB, so the caller can say so once (grey needs no
// word: three equal channels lose nothing).
struct Converted {
  bool alpha = false, deep = false, cmyk = false;
  int orientation = 1;  // a JPEG's EXIF orientation, not yet applied to the pixels
};

// bytes -> uint8 [3,H,W]; throws hipp::Error "<name>: not a readable image (...)" on damage.
torch::Tensor decode_png(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted);
torch::Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted);

// EXIF orientation 1-8 from an APP1 segment's payload; 1 when it has none or cannot be read.
int exif_orientation(const uint8_t* app1, size_t size);
// rgb [3,H,W] turned and mirrored as EXIF orientation `orientation` says to show it.
torch::Tensor apply_orientation(const torch::Tensor& rgb, int orientation);

// zlib `level` 0-9 and `strategy` (Z_DEFAULT_STRATEGY, Z_FILTERED, ...), all row filters tried.
std::vector<uint8_t> encode_png(const torch::Tensor& rgb, int level, int strategy);
// Baseline JPEG with optimized Huffman tables (image.h's JpegSettings); `grey`: one component,
// the first channel's.
std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, int quality, int luma_h, int luma_v, bool grey = false);
// The quantization and sampling of a JPEG, from its header only.
struct JpegTables {
  std::vector<std::vector<uint16_t>> quant;  // per table used by a component, natural order
  int luma_h = 1, luma_v = 1;                // the first component's sampling over the others'
  int components = 3;
  std::vector<std::pair<int, int>> sampling;  // each component's h and v sampling factors
  bool arithmetic = false;                    // arithmetic-coded, not Huffman
  int precision = 8;                          // bits per sample
};
JpegTables read_jpeg_tables(const std::vector<uint8_t>& bytes, const std::string& name);
// IJG's quality-scaled luminance (0) and chrominance (1) tables, natural order.
std::vector<uint16_t> ijg_table(int quality, int which);

// Where OpenCV is built in: any other format it reads, and its area/cubic resampling; the
// portable build (no OpenCV) refuses other formats and resamples with LibTorch.
torch::Tensor decode_other(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted);
torch::Tensor resize(const torch::Tensor& rgb, int width, int height);

}  // namespace hipp::image::codec
