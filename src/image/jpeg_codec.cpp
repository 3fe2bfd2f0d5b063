// JPEG on libjpeg(-turbo)'s standard API, with its default (islow) DCT and fancy upsampling:
// the pixels OpenCV's decoder gave before. Errors: jpeg_failure.h.
#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include <algorithm>
#include <array>
#include <csetjmp>
#include <cstdlib>

#include "common/error.h"
#include "image/codecs.h"
#include "image/image.h"
#include "image/jpeg_failure.h"

namespace hipp::image::codec {

namespace {

using Failure = JpegFailure;

bool read_header(jpeg_decompress_struct& d, Failure& f, const std::vector<uint8_t>& bytes, Converted& c) {
  if (setjmp(f.jump)) return false;
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&d, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&d, TRUE);
  for (auto* m = d.marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && c.orientation == 1) c.orientation = exif_orientation(m->data, m->data_length);
  c.cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
  d.out_color_space = c.cmyk ? JCS_CMYK : JCS_RGB;  // libjpeg has no CMYK-to-RGB conversion
  return true;
}

bool start(jpeg_decompress_struct& d, Failure& f) {
  if (setjmp(f.jump)) return false;
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

bool write_rows(jpeg_compress_struct& e, Failure& f, const uint8_t* hwc, int width, int height, int channels,
                int quality, int luma_h, int luma_v, unsigned char** buffer, unsigned long* size) {
  if (setjmp(f.jump)) return false;
  jpeg_create_compress(&e);
  jpeg_mem_dest(&e, buffer, size);
  e.image_width = static_cast<JDIMENSION>(width);
  e.image_height = static_cast<JDIMENSION>(height);
  e.input_components = channels;
  e.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&e);
  jpeg_set_quality(&e, quality, TRUE);
  if (channels == 3) e.comp_info[0].h_samp_factor = luma_h, e.comp_info[0].v_samp_factor = luma_v;
  e.optimize_coding = TRUE;
  jpeg_start_compress(&e, TRUE);
  while (e.next_scanline < e.image_height) {
    auto row = const_cast<JSAMPROW>(hwc + size_t{e.next_scanline} * width * channels);
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

bool read_tables(jpeg_decompress_struct& d, Failure& f, const std::vector<uint8_t>& bytes, JpegTables& t) {
  if (setjmp(f.jump)) return false;
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d, TRUE);
  t.components = d.num_components;
  t.arithmetic = d.arith_code;
  t.precision = d.data_precision;
  for (int c = 0; c < d.num_components; ++c) t.sampling.emplace_back(d.comp_info[c].h_samp_factor, d.comp_info[c].v_samp_factor);
  std::vector<int> seen;
  for (int c = 0; c < d.num_components; ++c) {
    int no = d.comp_info[c].quant_tbl_no;
    // libjpeg checks the table number only when decoding starts; read_header leaves any byte here
    // (found by fuzz/fuzz_http.cpp: an out-of-bounds read of quant_tbl_ptrs).
    if (no < 0 || no >= NUM_QUANT_TBLS) {
      std::snprintf(f.message, sizeof f.message, "a component names quantization table %d, which cannot exist", no);
      return false;
    }
    if (std::find(seen.begin(), seen.end(), no) != seen.end() || !d.quant_tbl_ptrs[no]) continue;
    seen.push_back(no);
    t.quant.emplace_back(d.quant_tbl_ptrs[no]->quantval, d.quant_tbl_ptrs[no]->quantval + DCTSIZE2);
  }
  if (d.num_components == 3) {
    int h = std::max(d.comp_info[1].h_samp_factor, d.comp_info[2].h_samp_factor);
    int v = std::max(d.comp_info[1].v_samp_factor, d.comp_info[2].v_samp_factor);
    t.luma_h = std::max(1, d.comp_info[0].h_samp_factor / h);
    t.luma_v = std::max(1, d.comp_info[0].v_samp_factor / v);
  }
  return true;
}

// All of IJG's scaled tables, [quality - 1][luminance 0 / chrominance 1], made once by libjpeg itself.
using IjgTables = std::array<std::array<std::vector<uint16_t>, 2>, 100>;
bool make_ijg_tables(jpeg_compress_struct& e, Failure& f, IjgTables& out) {
  if (setjmp(f.jump)) return false;
  jpeg_create_compress(&e);
  e.in_color_space = JCS_RGB;
  e.input_components = 3;
  jpeg_set_defaults(&e);
  for (int q = 1; q <= 100; ++q) {
    jpeg_set_quality(&e, q, TRUE);
    for (int k = 0; k < 2; ++k)
      out[q - 1][k].assign(e.quant_tbl_ptrs[k]->quantval, e.quant_tbl_ptrs[k]->quantval + DCTSIZE2);
  }
  return true;
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
  DecompressGuard guard{d};
  auto fail = [&] { return jpeg_error(f, name); };
  if (!read_header(d, f, bytes, converted)) throw fail();
  // The size libjpeg will decode, which a segment walk (image::header_size) can miss: libjpeg
  // skips garbage between segments (found by fuzz/fuzz_image_decode.cpp).
  check_pixels(d.image_width, d.image_height, name);
  if (!start(d, f)) throw fail();
  const int channels = converted.cmyk ? 4 : 3;
  auto hwc = torch::empty({int64_t{d.output_height}, int64_t{d.output_width}, channels}, torch::kUInt8);
  if (!read_rows(d, f, hwc.data_ptr<uint8_t>(), channels) || f.cut_off) throw fail();
  if (converted.cmyk) hwc = cmyk_to_rgb(hwc);
  return hwc.permute({2, 0, 1}).contiguous();
}

std::vector<uint8_t> encode_jpeg(const torch::Tensor& rgb, int quality, int luma_h, int luma_v, bool grey) {
  auto hwc = (grey ? rgb.slice(0, 0, 1) : rgb).permute({1, 2, 0}).contiguous().cpu();
  jpeg_compress_struct e{};
  Failure f;
  e.err = &f.mgr;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  CompressGuard guard{e, buffer};
  if (!write_rows(e, f, hwc.data_ptr<uint8_t>(), static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)),
                  static_cast<int>(hwc.size(2)), quality, luma_h, luma_v, &buffer, &size))
    throw Error(std::string("JPEG encoding failed: ") + f.message);
  return std::vector<uint8_t>(buffer, buffer + size);
}

JpegTables read_jpeg_tables(const std::vector<uint8_t>& bytes, const std::string& name) {
  jpeg_decompress_struct d{};
  Failure f;
  d.err = &f.mgr;
  DecompressGuard guard{d};
  JpegTables t;
  if (!read_tables(d, f, bytes, t)) throw jpeg_error(f, name);
  return t;
}

std::vector<uint16_t> ijg_table(int quality, int which) {
  static const IjgTables tables = [] {
    IjgTables t;
    jpeg_compress_struct e{};
    Failure f;
    e.err = &f.mgr;
    unsigned char* none = nullptr;
    CompressGuard guard{e, none};
    if (!make_ijg_tables(e, f, t)) throw Error(std::string("libjpeg: ") + f.message);
    return t;
  }();
  return tables.at(static_cast<size_t>(quality - 1)).at(static_cast<size_t>(which));
}

}  // namespace hipp::image::codec
