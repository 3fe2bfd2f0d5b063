#include "image/image.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <zlib.h>

#include "common/error.h"
#include "image/codecs.h"
#include "image/heif.h"
#include "image/jpeg_segments.h"

namespace hipp::image {
namespace fs = std::filesystem;

namespace {

// A PNG ends with its IEND chunk (some writers pad after it); checked here so a truncated file
// gets one clear message instead of libpng's own line on stderr as well.
bool png_complete(const std::vector<uint8_t>& b) {
  static const uint8_t kEnd[8] = {'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  auto from = b.size() > 64 ? b.end() - 64 : b.begin();
  return std::search(from, b.end(), kEnd, kEnd + 8) != b.end();
}

void say(const codec::Converted& c, const std::string& name) {
  if (c.deep) spdlog::warn("{}: 16-bit image converted to 8 bits", name);
  if (c.alpha) spdlog::warn("{}: alpha channel dropped (RGBA converted to RGB)", name);
  if (c.cmyk) spdlog::warn("{}: CMYK image converted to RGB", name);
}

std::atomic<uint64_t> g_max_pixels{kDefaultMaxPixels};

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// The first start-of-frame marker's size (SOF0-SOF15 but DHT, JPG and DAC), from the segments
// before the first scan.
std::pair<uint32_t, uint32_t> jpeg_size(const std::vector<uint8_t>& b) {
  std::pair<uint32_t, uint32_t> size{0, 0};
  walk_jpeg_segments(b, [&](const JpegSegment& s) {
    const uint8_t m = s.marker;
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (s.end - s.body >= 5) size = {uint32_t(b[s.body + 3]) << 8 | b[s.body + 4], uint32_t(b[s.body + 1]) << 8 | b[s.body + 2]};
      return false;
    }
    return m != 0xDA;  // a scan before any frame: not a JPEG we read
  });
  return size;
}

// An APP2 segment of an ICC profile (ICC.1, B.4): "ICC_PROFILE\0", its chunk's number from 1
// and the chunk count, then the chunk; the first chunk opens with the profile's header, whose
// bytes 16-19 name its colour space.
constexpr char kIcc[] = "ICC_PROFILE";  // with its terminating zero: 12 bytes
void note_icc(const std::vector<uint8_t>& b, const JpegSegment& s, JpegExtras& x) {
  const uint8_t* body = &b[s.body];
  const size_t n = s.end - s.body;
  if (n < sizeof kIcc + 2 || !std::equal(kIcc, kIcc + sizeof kIcc, body)) return;
  x.icc_segments.insert(x.icc_segments.end(), body - 4, body + n);  // from the marker, fill bytes left out
  const uint8_t* chunk = body + sizeof kIcc + 2;
  if (body[sizeof kIcc] == 1 && n >= sizeof kIcc + 2 + 20) x.icc_space.assign(chunk + 16, chunk + 20);
}

// Where a JPEG's image ends: past the end-of-image marker that follows its last scan; 0 if the
// walk finds no end. Notes the EXIF orientation and the ICC profile's segments on the way.
size_t jpeg_image_end(const std::vector<uint8_t>& b, JpegExtras& x) {
  auto walk = walk_jpeg_segments(b, [&](const JpegSegment& s) {
    if (s.marker == 0xE1 && x.orientation == 1) x.orientation = codec::exif_orientation(&b[s.body], s.end - s.body);
    if (s.marker == 0xE2) note_icc(b, s, x);
    return true;
  });
  return walk.stop == JpegWalk::end_of_image ? walk.pos : 0;
}

std::string megapixels(uint64_t n) {
  if (n < 100000) return std::to_string(n) + " pixels";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MP", n / 1e6);
  return buf;
}

}  // namespace

void set_max_pixels(uint64_t pixels) { g_max_pixels = pixels; }
uint64_t max_pixels() { return g_max_pixels; }

void check_pixels(uint64_t width, uint64_t height, const std::string& name) {
  const uint64_t limit = g_max_pixels;
  if (width * height > limit)
    throw Error(ErrorKind::too_large, name + ": " + std::to_string(width) + "x" + std::to_string(height) + " (" +
                megapixels(width * height) + ") is over the limit of " + megapixels(limit) + " (--max-pixels raises it)");
}

std::pair<uint32_t, uint32_t> header_size(const std::vector<uint8_t>& b) {
  if (is_png(b) && b.size() >= 24 && std::equal(b.begin() + 12, b.begin() + 16, "IHDR"))
    return {be32(&b[16]), be32(&b[20])};
  if (is_jpeg(b)) return jpeg_size(b);
  return {0, 0};
}

JpegExtras jpeg_extras(const std::vector<uint8_t>& jpeg) {
  JpegExtras x;
  const size_t end = jpeg_image_end(jpeg, x);
  if (end) x.trailing_bytes = jpeg.size() - end;
  return x;
}

std::vector<uint8_t> icc_profile(const JpegExtras& x) {
  std::map<int, std::vector<uint8_t>> chunks;  // by number
  size_t count = 0;
  for (size_t i = 0; i + 4 <= x.icc_segments.size();) {
    const size_t len = size_t(x.icc_segments[i + 2]) << 8 | x.icc_segments[i + 3];
    const uint8_t* body = &x.icc_segments[i + 4];  // note_icc kept whole ICC segments only
    count = body[sizeof kIcc + 1];
    if (!chunks.emplace(body[sizeof kIcc], std::vector<uint8_t>(body + sizeof kIcc + 2, body + len - 2)).second) return {};
    i += 2 + len;
  }
  if (chunks.size() != count) return {};
  std::vector<uint8_t> out;
  for (size_t n = 1; n <= count; ++n) {
    auto it = chunks.find(static_cast<int>(n));
    if (it == chunks.end()) return {};
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

std::string icc_space(const std::vector<uint8_t>& profile) {
  return profile.size() >= 20 ? std::string(profile.begin() + 16, profile.begin() + 20) : std::string();
}

std::vector<uint8_t> icc_segments(const std::vector<uint8_t>& profile) {
  constexpr size_t kChunk = 65535 - 2 - sizeof kIcc - 2;  // a segment's length counts itself
  const size_t count = (profile.size() + kChunk - 1) / kChunk;
  if (count > 255) return {};  // more than a JPEG can number
  std::vector<uint8_t> out;
  for (size_t n = 0; n < count; ++n) {
    const size_t from = n * kChunk, size = std::min(kChunk, profile.size() - from), len = 2 + sizeof kIcc + 2 + size;
    out.insert(out.end(), {0xFF, 0xE2, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
    out.insert(out.end(), kIcc, kIcc + sizeof kIcc);
    out.insert(out.end(), {static_cast<uint8_t>(n + 1), static_cast<uint8_t>(count)});
    out.insert(out.end(), profile.begin() + static_cast<std::ptrdiff_t>(from),
               profile.begin() + static_cast<std::ptrdiff_t>(from + size));
  }
  return out;
}

std::vector<uint8_t> insert_segments(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& segments) {
  if (!is_jpeg(jpeg)) throw Error("insert_segments: not a JPEG");
  size_t at = 2;
  if (jpeg.size() >= 6 && jpeg[2] == 0xFF && jpeg[3] == 0xE0) at += 2 + (size_t(jpeg[4]) << 8 | jpeg[5]);
  if (at > jpeg.size()) throw Error("insert_segments: a damaged JFIF segment");
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(at));
  out.insert(out.end(), segments.begin(), segments.end());
  out.insert(out.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(at), jpeg.end());
  return out;
}

bool is_heif(const std::vector<uint8_t>& b) {
  if (b.size() < 12 || !std::equal(b.begin() + 4, b.begin() + 8, "ftyp")) return false;
  static const char* kBrands[] = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"};
  return std::any_of(std::begin(kBrands), std::end(kBrands), [&](const char* k) { return std::equal(k, k + 4, b.begin() + 8); });
}

bool is_heif_extension(const std::string& ext) {
  return ext == ".heic" || ext == ".heif" || ext == ".hif" || ext == ".avif";
}

bool is_png(const std::vector<uint8_t>& b) {
  static const uint8_t kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return b.size() >= 8 && std::equal(kSig, kSig + 8, b.begin());
}

bool png_beyond_8bit_rgb(const std::vector<uint8_t>& b) {
  if (!is_png(b) || b.size() < 33) return false;
  if (b[24] == 16 || b[25] == 4 || b[25] == 6) return true;  // IHDR: bit depth, colour type (grey or RGB with alpha)
  for (size_t i = 8; i + 8 <= b.size();) {  // a tRNS chunk before the image data: transparency
    const size_t len = be32(&b[i]);
    if (std::equal(&b[i + 4], &b[i + 8], "tRNS")) return true;
    if (std::equal(&b[i + 4], &b[i + 8], "IDAT") || len > b.size()) return false;
    i += 12 + len;
  }
  return false;
}

bool is_jpeg(const std::vector<uint8_t>& b) {
  return b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

void require_rgb(const torch::Tensor& rgb, const std::string& who) {
  if (!rgb.defined() || rgb.dim() != 3 || rgb.size(0) != 3 || rgb.scalar_type() != torch::kUInt8)
    throw Error(who + ": expected a uint8 RGB image [3,H,W]");
}

torch::Tensor decode(const std::vector<uint8_t>& bytes, const std::string& name, Orientation orientation,
                     Conversions conversions) {
  if (bytes.empty()) throw Error(name + ": empty file");
  if (is_png(bytes) && !png_complete(bytes)) throw Error(ErrorKind::damaged, name + ": truncated PNG (no end chunk)");
  const bool warn = conversions == Conversions::warn;
  if (is_heif(bytes)) return decode_heif(bytes, name, warn);  // libheif applies its rotation itself
  auto [w, h] = header_size(bytes);
  check_pixels(w, h, name);
  codec::Converted c;
  auto rgb = is_png(bytes)    ? codec::decode_png(bytes, name, c)
             : is_jpeg(bytes) ? codec::decode_jpeg(bytes, name, c)
                              : codec::decode_other(bytes, name, c);
  check_pixels(static_cast<uint64_t>(rgb.size(2)), static_cast<uint64_t>(rgb.size(1)), name);  // other formats
  if (warn) say(c, name);
  return orientation == Orientation::apply ? codec::apply_orientation(rgb, c.orientation) : rgb;
}

torch::Tensor load(const std::string& path) { return decode(read_file(path), path); }

std::vector<uint8_t> encode_png(const torch::Tensor& rgb, PngContent content) {
  // Above 4 MP level 9 costs many seconds (13 s at 12 MP) for a few percent over level 6.
  const bool big = rgb.dim() == 3 && rgb.size(1) * rgb.size(2) > (int64_t{4} << 20);
  require_rgb(rgb, "PNG encoding");
  return content == PngContent::Protected ? codec::encode_png(rgb, 4, Z_FILTERED)
                                          : codec::encode_png(rgb, big ? 6 : 9, Z_DEFAULT_STRATEGY);
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, const JpegSettings& s) {
  require_rgb(rgb, "JPEG encoding");
  if (!s.valid())
    throw Error("JPEG quality must be 1..100 and sampling factors 1 or 2, got quality " + std::to_string(s.quality) +
                ", " + std::to_string(s.luma_h) + "x" + std::to_string(s.luma_v));
  return codec::encode_jpeg(rgb, s.quality, s.luma_h, s.luma_v);
}

bool is_grey(const torch::Tensor& rgb) {
  require_rgb(rgb, "is_grey");
  return torch::equal(rgb[0], rgb[1]) && torch::equal(rgb[1], rgb[2]);
}

torch::Tensor to_grey(const torch::Tensor& rgb) {
  require_rgb(rgb, "to_grey");
  auto sum = rgb.to(torch::kInt32).sum(0, true);
  return torch::floor_divide(sum + 1, 3).to(torch::kUInt8).expand({3, -1, -1}).contiguous();  // rounded mean
}

std::vector<uint8_t> encode_grey_jpeg(const torch::Tensor& rgb, int quality) {
  if (!is_grey(rgb)) throw Error("encode_grey_jpeg: the image has colour");
  if (quality < 1 || quality > 100) throw Error("JPEG quality must be 1..100, got " + std::to_string(quality));
  return codec::encode_jpeg(rgb, quality, 1, 1, true);
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, int quality) {
  JpegSettings s;
  s.quality = quality;
  return encode_jpeg(rgb, s);
}

JpegSettings jpeg_settings_of(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (!is_jpeg(bytes)) throw Error(name + ": not a JPEG");
  auto t = codec::read_jpeg_tables(bytes, name);
  JpegSettings s;
  s.luma_h = std::min(t.luma_h, 2), s.luma_v = std::min(t.luma_v, 2);
  long best = -1;
  for (int q = 100; q >= 1; --q) {  // ties go to the higher quality
    long d = 0;
    for (size_t k = 0; k < t.quant.size(); ++k) {
      auto ref = codec::ijg_table(q, k == 0 ? 0 : 1);
      for (size_t i = 0; i < 64; ++i) d += std::labs(long{t.quant[k][i]} - long{ref[i]});
    }
    if (best < 0 || d < best) best = d, s.quality = q;
  }
  return s;
}

void save_png(const std::string& path, const torch::Tensor& rgb) { write_file_atomic(path, encode_png(rgb)); }

torch::Tensor to_float(const torch::Tensor& rgb) { return rgb.to(torch::kFloat32) / 255.0; }

torch::Tensor from_float(const torch::Tensor& x) {
  return (x * 255.0).round().clamp(0, 255).to(torch::kUInt8);
}

torch::Tensor thumbnail(const torch::Tensor& rgb, int block) {
  if (block < 1) throw Error("block size must be at least 1");
  auto x = rgb.to(torch::kFloat64).unsqueeze(0);
  // ceil_mode with no padding divides edge windows by their in-image pixel count.
  auto t = torch::nn::functional::avg_pool2d(
      x, torch::nn::functional::AvgPool2dFuncOptions(block).stride(block).ceil_mode(true));
  return t.squeeze(0).to(torch::kFloat32);
}

torch::Tensor resize(const torch::Tensor& rgb, int width, int height) {
  if (width < 1 || height < 1) throw Error("resize to an empty image");
  require_rgb(rgb, "resize");
  return codec::resize(rgb, width, height);
}

torch::Tensor center_crop_resize(const torch::Tensor& rgb, int size, double crop_fraction) {
  int h = static_cast<int>(rgb.size(1)), w = static_cast<int>(rgb.size(2));
  int side = std::max(1, static_cast<int>(std::min(h, w) * crop_fraction + 0.5));
  side = std::min({side, h, w});
  int top = (h - side) / 2, left = (w - side) / 2;
  auto crop = rgb.slice(1, top, top + side).slice(2, left, left + side);
  if (side == size) return crop.contiguous();
  return resize(crop, size, size);
}

torch::Tensor make_grid(const torch::Tensor& batch, int cols, int pad, uint8_t fill) {
  TORCH_CHECK(batch.dim() == 4 && batch.size(1) == 3, "make_grid expects [N,3,H,W]");
  long n = batch.size(0), h = batch.size(2), w = batch.size(3);
  cols = static_cast<int>(std::max<long>(1, std::min<long>(cols, n)));
  long rows = (n + cols - 1) / cols;
  auto grid = torch::full({3, rows * (h + pad) + pad, cols * (w + pad) + pad}, fill, torch::kUInt8);
  auto src = batch.to(torch::kCPU, torch::kUInt8);
  for (long i = 0; i < n; ++i) {
    long r = i / cols, c = i % cols;
    grid.slice(1, pad + r * (h + pad), pad + r * (h + pad) + h)
        .slice(2, pad + c * (w + pad), pad + c * (w + pad) + w)
        .copy_(src[i]);
  }
  return grid;
}

}  // namespace hipp::image
