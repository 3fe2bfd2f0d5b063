// Lossless transcoding on libjpeg's coefficient API, as jpegtran does: read the coefficient
// arrays, copy the critical parameters to a compressor, write the arrays.
#include "image/jpeg_transcode.h"

#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include <cstdlib>

#include "common/error.h"
#include "image/image.h"
#include "image/jpeg_failure.h"

namespace hipp::image {

namespace {

using Failure = JpegFailure;

// Reads the frame header; false on a libjpeg error.
bool read_header(jpeg_decompress_struct& d, Failure& f, const std::vector<uint8_t>& bytes) {
  if (setjmp(f.jump)) return false;
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d, TRUE);
  return true;
}

// Reads the coefficient arrays (realized in d's memory); false on a libjpeg error.
bool read_arrays(jpeg_decompress_struct& d, Failure& f, jvirt_barray_ptr*& arrays) {
  if (setjmp(f.jump)) return false;
  arrays = jpeg_read_coefficients(&d);
  return true;
}

// Copies between d's arrays and `planes` (to_planes: read; else write back).
bool copy_blocks(jpeg_decompress_struct& d, Failure& f, jvirt_barray_ptr* arrays,
                 std::vector<CoefficientPlane>& planes, bool to_planes) {
  if (setjmp(f.jump)) return false;
  if (to_planes) planes.resize(static_cast<size_t>(d.num_components));
  for (int c = 0; c < d.num_components; ++c) {
    const jpeg_component_info& ci = d.comp_info[c];
    auto& p = planes[static_cast<size_t>(c)];
    if (to_planes) {
      p.blocks_w = static_cast<int>(ci.width_in_blocks), p.blocks_h = static_cast<int>(ci.height_in_blocks);
      p.h_samp = ci.h_samp_factor, p.v_samp = ci.v_samp_factor;
      // A component no scan covers has no latched table, and its number was never checked.
      const bool numbered = ci.quant_tbl_no >= 0 && ci.quant_tbl_no < NUM_QUANT_TBLS;
      const JQUANT_TBL* q = ci.quant_table ? ci.quant_table : numbered ? d.quant_tbl_ptrs[ci.quant_tbl_no] : nullptr;
      p.dc_step = q ? q->quantval[0] : 1;
      p.coef.assign(static_cast<size_t>(p.blocks_w) * p.blocks_h * 64, 0);
    }
    for (int by = 0; by < p.blocks_h; ++by) {
      JBLOCKARRAY row = d.mem->access_virt_barray(reinterpret_cast<j_common_ptr>(&d), arrays[c],
                                                  static_cast<JDIMENSION>(by), 1, to_planes ? FALSE : TRUE);
      for (int bx = 0; bx < p.blocks_w; ++bx) {
        int16_t* mine = p.block(by, bx);
        JCOEF* theirs = row[0][bx];
        for (int k = 0; k < 64; ++k) (to_planes ? mine[k] : theirs[k]) = to_planes ? theirs[k] : mine[k];
      }
    }
  }
  return true;
}

bool write_arrays(jpeg_decompress_struct& d, jpeg_compress_struct& e, Failure& f, jvirt_barray_ptr* arrays,
                  unsigned char** buffer, unsigned long* size) {
  if (setjmp(f.jump)) return false;
  jpeg_create_compress(&e);
  jpeg_mem_dest(&e, buffer, size);
  jpeg_copy_critical_parameters(&d, &e);
  e.optimize_coding = TRUE;
  jpeg_write_coefficients(&e, arrays);
  jpeg_finish_compress(&e);
  jpeg_finish_decompress(&d);
  return true;
}

struct Guard {
  jpeg_decompress_struct& d;
  jpeg_compress_struct& e;
  unsigned char*& buffer;
  ~Guard() {
    jpeg_destroy_compress(&e);
    jpeg_destroy_decompress(&d);
    std::free(buffer);
  }
};

}  // namespace

std::vector<uint8_t> transcode_jpeg(const std::vector<uint8_t>& jpeg, const std::string& name,
                                    const std::function<void(std::vector<CoefficientPlane>&)>& edit) {
  jpeg_decompress_struct d{};
  jpeg_compress_struct e{};
  Failure f;
  d.err = &f.mgr;
  e.err = &f.mgr;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  Guard guard{d, e, buffer};
  jvirt_barray_ptr* arrays = nullptr;
  auto fail = [&] { return jpeg_error(f, name); };
  if (!read_header(d, f, jpeg)) throw fail();
  check_pixels(d.image_width, d.image_height, name);  // before libjpeg allocates the coefficient arrays
  if (!read_arrays(d, f, arrays) || f.cut_off) throw fail();
  if (d.jpeg_color_space != JCS_YCbCr && d.jpeg_color_space != JCS_GRAYSCALE)
    throw Error(ErrorKind::unsupported, name + ": a CMYK or otherwise unusual JPEG, which JPEG-native schemes do not handle (use --scheme hipp)");
  std::vector<CoefficientPlane> planes;
  if (!copy_blocks(d, f, arrays, planes, true)) throw fail();
  std::vector<size_t> counts;
  for (auto& p : planes) counts.push_back(p.coef.size());
  edit(planes);
  for (size_t c = 0; c < planes.size(); ++c)
    if (planes[c].coef.size() != counts[c]) throw Error("transcode_jpeg: the edit changed a component's size");
  if (!copy_blocks(d, f, arrays, planes, false)) throw fail();
  if (!write_arrays(d, e, f, arrays, &buffer, &size)) throw Error(name + ": JPEG transcoding failed (" + f.message + ")");
  return std::vector<uint8_t>(buffer, buffer + size);
}

}  // namespace hipp::image
