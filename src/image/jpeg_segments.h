#pragma once
// Walking a JPEG's marker segments (ITU T.81, B.1): the one reader behind the header parsers
// (size, colour profile, orientation, where the image ends, hipp's own segments).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace hipp::image {

struct JpegSegment {
  size_t start;   // offset of its first 0xFF, fill bytes included
  size_t body;    // offset of its first byte after the marker and the length field
  size_t end;     // one past its last byte; for SOS, before the scan's entropy-coded data
  uint8_t marker;
};

struct JpegWalk {
  // end_of_image: EOI reached; stopped: `visit` said so; the rest: damage at `pos`.
  enum Stop { end_of_image, stopped, no_marker, truncated, bad_length } stop;
  size_t pos;  // one past EOI, one past the segment `visit` stopped at, or the damaged byte
};

// Visits each segment with a length after SOI, in file order, until `visit` returns false or EOI.
// After an SOS it skips the scan's data (where 0xFF is followed by 0x00 or a restart marker) and
// restart markers between scans, so a walk that goes on reaches every scan's header.
JpegWalk walk_jpeg_segments(const std::vector<uint8_t>& jpeg, const std::function<bool(const JpegSegment&)>& visit);

}  // namespace hipp::image
