#pragma once
// libjpeg reports errors by longjmp: each libjpeg user in src/image keeps one of these beside
// its codec struct, points the struct's `err` at it and runs every step that can fail in a
// function whose frame holds nothing with a destructor. Internal to src/image; include after
// <cstdio> and <jpeglib.h>.
#include <jerror.h>

#include <csetjmp>
#include <string>

#include "common/error.h"

namespace hipp::image {

struct JpegFailure {
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
  bool cut_off = false;  // the data ended before the image did (libjpeg fakes an end and warns)

  JpegFailure() {
    jpeg_std_error(&mgr);
    mgr.error_exit = [](j_common_ptr j) {
      auto* f = reinterpret_cast<JpegFailure*>(j->err);
      j->err->format_message(j, f->message);
      std::longjmp(f->jump, 1);
    };
    // Warnings ("corrupt JPEG data: N extraneous bytes") are not errors, except running out of
    // data: libjpeg then fills the rest of the image with grey. Data after the end-of-image
    // marker (a motion photo's video, say) is never read, so it is no reason to refuse a photo.
    mgr.output_message = [](j_common_ptr) {};
    mgr.emit_message = [](j_common_ptr j, int level) {
      if (level < 0 && j->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<JpegFailure*>(j->err)->cut_off = true;
    };
  }
  JpegFailure(const JpegFailure&) = delete;
  JpegFailure& operator=(const JpegFailure&) = delete;
};

// The error for a step that failed: a cut-off file says so, anything else quotes libjpeg.
inline Error jpeg_error(const JpegFailure& f, const std::string& name) {
  if (f.cut_off) return Error(ErrorKind::damaged, name + ": truncated JPEG (its data ends before its image does)");
  return Error(name + ": not a readable image (JPEG: " + f.message + ")");
}

}  // namespace hipp::image
