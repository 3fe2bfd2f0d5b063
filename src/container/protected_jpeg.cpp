#include "container/protected_jpeg.h"

#include <cstring>

#include "common/error.h"
#include "image/image.h"
#include "image/jpeg_segments.h"

namespace hipp::container {

namespace {

constexpr uint8_t kApp11 = 0xEB, kSos = 0xDA;
constexpr uint8_t kId[5] = {'h', 'i', 'p', 'p', 0};
constexpr size_t kPrefix = sizeof kId + 2;        // identifier, index, count
constexpr size_t kPerSegment = 65533 - kPrefix;  // a segment's length field counts itself
constexpr size_t kMaxSegments = 255;

struct Segment {
  size_t start;   // offset of its first 0xFF
  size_t body;    // after marker and length
  size_t end;     // one past its last byte
  bool hipp;      // an APP11 segment with hipp's identifier
};

// The segments from SOI up to (not including) the first scan.
std::vector<Segment> header_segments(const std::vector<uint8_t>& b) {
  if (!image::is_jpeg(b)) throw Error("not a JPEG file");
  std::vector<Segment> out;
  auto walk = image::walk_jpeg_segments(b, [&](const image::JpegSegment& s) {
    if (s.marker == kSos) return false;
    const bool hipp = s.marker == kApp11 && s.end - s.body >= kPrefix && std::memcmp(&b[s.body], kId, sizeof kId) == 0;
    out.push_back({s.start, s.body, s.end, hipp});
    return true;
  });
  switch (walk.stop) {
    case image::JpegWalk::no_marker:
      throw Error(ErrorKind::damaged, "damaged JPEG: no marker at byte " + std::to_string(walk.pos));
    case image::JpegWalk::truncated:
      throw Error(ErrorKind::damaged, "damaged JPEG: truncated before its image data");
    case image::JpegWalk::bad_length:
      throw Error(ErrorKind::damaged, "damaged JPEG: bad segment length at byte " + std::to_string(walk.pos));
    default:
      return out;
  }
}

std::vector<uint8_t> without(const std::vector<uint8_t>& b, const std::vector<Segment>& segs) {
  std::vector<uint8_t> out;
  out.reserve(b.size());
  size_t from = 0;
  for (auto& s : segs)
    if (s.hipp) {
      out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(s.start));
      from = s.end;
    }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.end());
  return out;
}

}  // namespace

std::vector<uint8_t> add_segments(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& payload) {
  auto base = strip_segments(jpeg);
  size_t count = (payload.size() + kPerSegment - 1) / kPerSegment;
  if (count == 0 || count > kMaxSegments)
    throw Error(ErrorKind::too_large, "the hipp header (" + std::to_string(payload.size()) + " bytes) does not fit in a JPEG's " +
                std::to_string(kMaxSegments) + " segments; protect to PNG instead (--format png)");
  std::vector<uint8_t> segs;
  for (size_t i = 0; i < count; ++i) {
    size_t n = std::min(kPerSegment, payload.size() - i * kPerSegment);
    size_t len = 2 + kPrefix + n;
    segs.insert(segs.end(), {0xFF, kApp11, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len & 0xFF)});
    segs.insert(segs.end(), kId, kId + sizeof kId);
    segs.push_back(static_cast<uint8_t>(i));
    segs.push_back(static_cast<uint8_t>(count));
    auto from = payload.begin() + static_cast<std::ptrdiff_t>(i * kPerSegment);
    segs.insert(segs.end(), from, from + static_cast<std::ptrdiff_t>(n));
  }
  return image::insert_segments(base, segs);
}

std::optional<std::vector<uint8_t>> find_segments(const std::vector<uint8_t>& jpeg) {
  std::vector<uint8_t> payload;
  size_t expected = 0, count = 0;
  for (auto& s : header_segments(jpeg)) {
    if (!s.hipp) continue;
    size_t body = s.body + sizeof kId;  // after the identifier
    size_t index = jpeg[body], n = jpeg[body + 1];
    if (expected == 0) count = n;
    if (index != expected || n != count || n == 0)
      throw Error(ErrorKind::damaged, "damaged hipp header (its JPEG segments are incomplete or out of order)");
    payload.insert(payload.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(body + 2),
                   jpeg.begin() + static_cast<std::ptrdiff_t>(s.end));
    ++expected;
  }
  if (expected == 0) return std::nullopt;
  if (expected != count) throw Error(ErrorKind::damaged, "damaged hipp header (its JPEG segments are incomplete or out of order)");
  return payload;
}

std::vector<uint8_t> strip_segments(const std::vector<uint8_t>& jpeg) { return without(jpeg, header_segments(jpeg)); }

std::vector<uint8_t> write_protected_jpeg(const std::vector<uint8_t>& jpeg, const torch::Tensor& decoded, Header header,
                                          const crypto::Key& master) {
  image::require_rgb(decoded, "write_protected_jpeg");
  check_writable(header);
  header.height = static_cast<uint32_t>(decoded.size(1));
  header.width = static_cast<uint32_t>(decoded.size(2));
  header.pixel_tag = pixel_tag_for(decoded, master, header.nonce);
  header.version = version_for(header);
  header.check_tag = check_tag_for(master, header.nonce);
  header.mac = mac_for(header, torch::Tensor(), master);
  return add_segments(jpeg, serialize(header));
}

}  // namespace hipp::container
