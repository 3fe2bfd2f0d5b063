// JPEG on libjpeg(-turbo)'s standard API, with its default (islow) DCT and fancy upsampling:
// the pixels OpenCV's decoder gave before. libjpeg reports errors by longjmp, so each step that
// can fail runs in a function whose frame holds nothing with a destructor.
#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include <csetjmp>
#include <cstdlib>

#include "common/error.h"
#include "image/codecs.h"

namespace hipp::image::codec {

namespace {

struct Failure {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
};

void on_error(j_common_ptr j) {
  auto* f = reinterpret_cast<Failure*>(j->err);
  j->err->format_message(j, f->message);
  std::longjmp(f->jump, 1);
}
// Warnings ("corrupt JPEG data: N extraneous bytes") are not errors; a cut-off file is caught
// by image.cpp before decoding.
void on_message(j_common_ptr) {}

Failure* install(jpeg_error_mgr* mgr) {
  jpeg_std_error(mgr);
  mgr->error_exit = on_error;
  mgr->output_message = on_message;
  return reinterpret_cast<Failure*>(mgr);
}

bool read_header(jpeg_decompress_struct& d, Failure& f, const std::vector<uint8_t>& bytes, Converted& c) {
  if (setjmp(f.jump)) return false;
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d, TRUE);
  c.gray = d.jpeg_color_space == JCS_GRAYSCALE;
  c.cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
  d.out_color_space = c.cmyk ? JCS_CMYK : JCS_RGB;  // libjpeg has no CMYK-to-RGB conversion
  jpeg_start_decompress(&d);
  return true;
}

bool read_rows(jpeg_decompress_struct& d, Failure& f, uint8_t* out, int channels) {
  if (setjmp(f.jump)) return false;
  while (d.output_scanline < d.output_height) {
    JSAMPROW row = out + size_t{d.output_scanline} * d.output_width * channels;
    jpeg_read_scanlines(&d, &row, 1);
  }
  jpeg_finish_decompress(&d);
  return true;
}

bool write_rows(jpeg_compress_struct& e, Failure& f, const uint8_t* hwc, int width, int height, int quality,
                unsigned char** buffer, unsigned long* size) {
  if (setjmp(f.jump)) return false;
  jpeg_create_compress(&e);
  jpeg_mem_dest(&e, buffer, size);
  e.image_width = static_cast<JDIMENSION>(width);
  e.image_height = static_cast<JDIMENSION>(height);
  e.input_components = 3;
  e.in_color_space = JCS_RGB;
  jpeg_set_defaults(&e);
  jpeg_set_quality(&e, quality, TRUE);
  jpeg_start_compress(&e, TRUE);
  while (e.next_scanline < e.image_height) {
    auto row = const_cast<JSAMPROW>(hwc + size_t{e.next_scanline} * width * 3);
    jpeg_write_scanlines(&e, &row, 1);
  }
  jpeg_finish_compress(&e);
  return true;
}

// Photoshop's CMYK JPEGs store inverted inks, so a channel's value is already "how much light":
// R = K - (255 - C) K / 256, exactly as OpenCV's colour reader converts them.
torch::Tensor cmyk_to_rgb(const torch::Tensor& hwc4) {
  auto x = hwc4.to(torch::kInt32);
  auto k = x.select(2, 3).unsqueeze(2);
  return (k - torch::bitwise_right_shift((255 - x.slice(2, 0, 3)) * k, 8)).to(torch::kUInt8);
}

struct DecompressGuard {
  jpeg_decompress_struct& d;
  ~DecompressGuard() { jpeg_destroy_decompress(&d); }
};
struct CompressGuard {
  jpeg_compress_struct& e;
  unsigned char*& buffer;
  ~CompressGuard() {
    jpeg_destroy_compress(&e);
    std::free(buffer);
  }
};

}  // namespace

torch::Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name, Converted& converted) {
  jpeg_decompress_struct d{};
  Failure f;
  d.err = &f.mgr;
  install(&f.mgr);
  DecompressGuard guard{d};
  if (!read_header(d, f, bytes, converted)) throw Error(name + ": not a readable image (JPEG: " + f.message + ")");
  const int channels = converted.cmyk ? 4 : 3;
  auto hwc = torch::empty({int64_t{d.output_height}, int64_t{d.output_width}, channels}, torch::kUInt8);
  if (!read_rows(d, f, hwc.data_ptr<uint8_t>(), channels))
    throw Error(name + ": not a readable image (JPEG: " + f.message + ")");
  if (converted.cmyk) hwc = cmyk_to_rgb(hwc);
  return hwc.permute({2, 0, 1}).contiguous();
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, int quality) {
  auto hwc = rgb.permute({1, 2, 0}).contiguous().cpu();
  jpeg_compress_struct e{};
  Failure f;
  e.err = &f.mgr;
  install(&f.mgr);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  CompressGuard guard{e, buffer};
  if (!write_rows(e, f, hwc.data_ptr<uint8_t>(), static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), quality,
                  &buffer, &size))
    throw Error(std::string("JPEG encoding failed: ") + f.message);
  return std::vector<uint8_t>(buffer, buffer + size);
}

}  // namespace hipp::image::codec
