#include "image/jpeg_segments.h"

namespace hipp::image {

namespace {

constexpr uint8_t kSos = 0xDA, kEoi = 0xD9;

bool is_restart(uint8_t marker) { return marker >= 0xD0 && marker <= 0xD7; }

// Past a scan's entropy-coded data: at the next 0xFF that starts a marker other than RSTn.
size_t skip_scan_data(const std::vector<uint8_t>& b, size_t pos) {
  while (pos + 1 < b.size() && !(b[pos] == 0xFF && b[pos + 1] != 0x00 && !is_restart(b[pos + 1]))) ++pos;
  return pos;
}

}  // namespace

JpegWalk walk_jpeg_segments(const std::vector<uint8_t>& b, const std::function<bool(const JpegSegment&)>& visit) {
  size_t pos = 2;  // past SOI
  for (;;) {
    const size_t start = pos;
    if (pos >= b.size() || b[pos] != 0xFF) return {JpegWalk::no_marker, pos};
    while (pos < b.size() && b[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= b.size()) return {JpegWalk::truncated, pos};
    const uint8_t marker = b[pos++];
    if (marker == kEoi) return {JpegWalk::end_of_image, pos};
    if (is_restart(marker)) continue;  // between a scan's data and the next; no length
    if (b.size() - pos < 2) return {JpegWalk::truncated, pos};
    const size_t len = size_t{b[pos]} << 8 | b[pos + 1];
    if (len < 2 || b.size() - pos < len) return {JpegWalk::bad_length, pos};
    const JpegSegment s{start, pos + 2, pos + len, marker};
    if (!visit(s)) return {JpegWalk::stopped, s.end};
    pos = marker == kSos ? skip_scan_data(b, s.end) : s.end;
  }
}

}  // namespace hipp::image
