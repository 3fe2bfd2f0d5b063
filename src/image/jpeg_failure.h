#pragma once
// libjpeg reports errors by longjmp: each libjpeg user in src/image keeps one of these beside
// its codec struct, points the struct's `err` at it and runs every step that can fail in a
// function whose frame holds nothing with a destructor. Internal to src/image; include after
// <cstdio> and <jpeglib.h>.
#include <csetjmp>

namespace hipp::image {

struct JpegFailure {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";

  JpegFailure() {
    jpeg_std_error(&mgr);
    mgr.error_exit = [](j_common_ptr j) {
      auto* f = reinterpret_cast<JpegFailure*>(j->err);
      j->err->format_message(j, f->message);
      std::longjmp(f->jump, 1);
    };
    // Warnings ("corrupt JPEG data: N extraneous bytes") are not errors; a cut-off file is
    // caught by image.cpp before decoding.
    mgr.output_message = [](j_common_ptr) {};
  }
  JpegFailure(const JpegFailure&) = delete;
  JpegFailure& operator=(const JpegFailure&) = delete;
};

}  // namespace hipp::image
