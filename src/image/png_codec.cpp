// PNG on libpng's row-by-row API. libpng reports errors by longjmp, so each
// step that can fail runs in a function whose frame holds nothing with a destructor, and
// C++ objects (tensors, vectors) are made between those steps.
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "image/codecs.h"

namespace hipp::image::codec {

namespace {

struct Session {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const uint8_t* data = nullptr;  // reading: the encoded bytes
  size_t size = 0, pos = 0;
  std::vector<uint8_t>* out = nullptr;  // writing: where the bytes go
  int passes = 1;                       // reading: 7 for an interlaced PNG
  char message[160] = "";
};

void on_error(png_structp png, png_const_charp msg) {
  auto* s = static_cast<Session*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof s->message, "%s", msg);
  png_longjmp(png, 1);
}
// Warnings (e.g. "iCCP: known incorrect sRGB profile") concern metadata hipp ignores.
void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep dst, size_t len) {
  auto* s = static_cast<Session*>(png_get_io_ptr(png));
  if (len > s->size - s->pos) png_error(png, "unexpected end of data");
  std::memcpy(dst, s->data + s->pos, len);
  s->pos += len;
}

void on_write(png_structp png, png_bytep src, size_t len) {
  auto* s = static_cast<Session*>(png_get_io_ptr(png));
  s->out->insert(s->out->end(), src, src + len);  // reserved in encode_png; growing past it is rare
}
void on_flush(png_structp) {}

// Reads the header and sets the transforms to 8-bit RGB; false on error (message set).
bool read_header(Session& s, Converted& c, uint32_t& width, uint32_t& height) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, &s, on_read);
  png_read_info(s.png, s.info);
  const int type = png_get_color_type(s.png, s.info), depth = png_get_bit_depth(s.png, s.info);
  if (depth == 16) {
    c.deep = true;
    png_set_scale_16(s.png);  // rounds v/257, as a 16-to-8-bit conversion should
  }
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s.png);
  if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(s.png);
    png_set_gray_to_rgb(s.png);
  }
  // Transparency is dropped: an alpha channel, and the one that expanding a palette or low-depth
  // grey with a tRNS chunk makes.
  c.alpha = (type & PNG_COLOR_MASK_ALPHA) || png_get_valid(s.png, s.info, PNG_INFO_tRNS);
  if (c.alpha) png_set_strip_alpha(s.png);
  s.passes = png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  width = png_get_image_width(s.png, s.info);
  height = png_get_image_height(s.png, s.info);
  if (png_get_rowbytes(s.png, s.info) == size_t{width} * 3) return true;
  std::snprintf(s.message, sizeof s.message, "unexpected row layout");
  return false;
}

bool read_rows(Session& s, uint8_t* hwc, uint32_t width, uint32_t height) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  for (int p = 0; p < s.passes; ++p)
    for (uint32_t y = 0; y < height; ++y) png_read_row(s.png, hwc + size_t{y} * width * 3, nullptr);
  png_read_end(s.png, nullptr);
  return true;
}

bool write_rows(Session& s, const uint8_t* hwc, uint32_t width, uint32_t height, int level, int strategy) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_write_fn(s.png, &s, on_write, on_flush);
  png_set_IHDR(s.png, s.info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(s.png, level);
  png_set_compression_strategy(s.png, strategy);
  png_set_compression_mem_level(s.png, MAX_MEM_LEVEL);
  png_write_info(s.png, s.info);
  for (uint32_t y = 0; y < height; ++y) png_write_row(s.png, hwc + size_t{y} * width * 3);
  png_write_end(s.png, s.info);
  return true;
}

struct ReadGuard {
  Session& s;
  ~ReadGuard() { png_destroy_read_struct(&s.png, s.info ? &s.info : nullptr, nullptr); }
};
struct WriteGuard {
  Session& s;
  ~WriteGuard() { png_destroy_write_struct(&s.png, s.info ? &s.info : nullptr); }
};

}  // namespace

torch::Tensor decode_png(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted) {
  Session s;
  s.data = bytes.data();
  s.size = bytes.size();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
  ReadGuard guard{s};
  if (!s.png || !(s.info = png_create_info_struct(s.png))) throw std::bad_alloc();
  png_set_user_limits(s.png, 0x7fffffff, 0x7fffffff);  // hipp's own pixel cap applies, not libpng's 1M
  uint32_t w = 0, h = 0;
  if (!read_header(s, converted, w, h))
    throw Error(name + ": not a readable image (PNG: " + s.message + ")");
  auto hwc = torch::empty({int64_t{h}, int64_t{w}, 3}, torch::kUInt8);
  if (!read_rows(s, hwc.data_ptr<uint8_t>(), w, h))
    throw Error(name + ": not a readable image (PNG: " + s.message + ")");
  return hwc.permute({2, 0, 1}).contiguous();
}

std::vector<uint8_t> encode_png(const torch::Tensor& rgb, int level, int strategy) {
  auto hwc = rgb.permute({1, 2, 0}).contiguous().cpu();
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(hwc.numel()) + (hwc.numel() >> 6) + 4096);  // zlib's worst case is about this
  Session s;
  s.out = &out;
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, on_error, on_warning);
  WriteGuard guard{s};
  if (!s.png || !(s.info = png_create_info_struct(s.png))) throw std::bad_alloc();
  if (!write_rows(s, hwc.data_ptr<uint8_t>(), static_cast<uint32_t>(hwc.size(1)), static_cast<uint32_t>(hwc.size(0)),
                  level, strategy))
    throw Error(std::string("PNG encoding failed: ") + s.message);
  return out;
}

}  // namespace hipp::image::codec
