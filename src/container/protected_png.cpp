#include "container/protected_png.h"

#include <sodium.h>

#include <cstring>
#include <set>

#include <zlib.h>

#include "common/error.h"
#include "container/protected_jpeg.h"
#include "image/heif.h"
#include "image/image.h"

namespace hipp::container {

namespace {

constexpr uint8_t kPngSignature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
constexpr char kMagic[4] = {'H', 'I', 'P', 'P'};
constexpr uint8_t kFlagPassphrase = 1, kFlagModel = 2, kFlagSide = 4, kFlagRepair = 8, kFlagPixelTag = 16,
                  kFlagOrigin = 32, kFlagOriginal = 64, kFlagOriginalJxl = 128;
constexpr size_t kMaxSide = size_t{1} << 30;  // far above any image's side or repair data; bounds a damaged length
// What the check tag authenticates: a constant, so the tag only proves knowledge of the key.
constexpr char kCheckMessage[] = "hipp key check v1";

// --- CRC-32 (ISO 3309 / PNG), table-driven ---
struct CrcTable {
  uint32_t t[256];
  CrcTable() {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
  }
};

uint32_t crc32(const uint8_t* a, size_t na, const uint8_t* b, size_t nb) {
  static const CrcTable table;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < na; ++i) c = table.t[(c ^ a[i]) & 0xFF] ^ (c >> 8);
  for (size_t i = 0; i < nb; ++i) c = table.t[(c ^ b[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

bool is_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

struct ChunkRef {
  size_t start;  // offset of the length field
  uint32_t length;
  std::string type;
};

// Every chunk from IHDR to IEND, each CRC checked. Bytes after IEND are ignored (as libpng does).
std::vector<ChunkRef> walk_chunks(const std::vector<uint8_t>& png) {
  if (!image::is_png(png)) throw Error(ErrorKind::not_protected, "not a PNG file");
  std::vector<ChunkRef> chunks;
  size_t pos = sizeof kPngSignature;
  for (;;) {
    if (png.size() - pos < 12) throw Error(ErrorKind::damaged, "damaged PNG: truncated (it ends before the IEND chunk)");
    uint32_t len = be32(&png[pos]);
    const uint8_t* type = &png[pos + 4];
    if (!(is_letter(type[0]) && is_letter(type[1]) && is_letter(type[2]) && is_letter(type[3])))
      throw Error(ErrorKind::damaged, "damaged PNG: invalid chunk type at byte " + std::to_string(pos + 4));
    std::string tname(reinterpret_cast<const char*>(type), 4);
    if (len > 0x7FFFFFFFu) throw Error(ErrorKind::damaged, "damaged PNG: invalid length in chunk '" + tname + "'");
    if (png.size() - pos - 12 < len) throw Error(ErrorKind::damaged, "damaged PNG: truncated inside chunk '" + tname + "'");
    uint32_t stored = be32(&png[pos + 8 + len]);
    if (crc32(type, 4, &png[pos + 8], len) != stored)
      throw Error(ErrorKind::damaged, "damaged PNG: CRC mismatch in chunk '" + tname + "'");
    if (chunks.empty() && tname != "IHDR") throw Error(ErrorKind::damaged, "damaged PNG: first chunk is not IHDR");
    chunks.push_back({pos, len, tname});
    pos += 12 + size_t(len);
    if (tname == "IEND") return chunks;
  }
}

void check_type(const char type[4]) {
  for (int i = 0; i < 4; ++i)
    if (!is_letter(static_cast<uint8_t>(type[i]))) throw Error(ErrorKind::damaged, "invalid PNG chunk type");
}

// --- little-endian header fields ---
struct Writer {
  std::vector<uint8_t> out;
  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) { for (int i = 0; i < 2; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i))); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i))); }
  template <size_t N>
  void bytes(const std::array<uint8_t, N>& a) { out.insert(out.end(), a.begin(), a.end()); }
  void bytes(const void* p, size_t n) {
    auto b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
};

struct Reader {
  const std::vector<uint8_t>& in;
  size_t pos = 0;
  void need(size_t n) const {
    if (in.size() - pos < n) throw Error(ErrorKind::damaged, "damaged hipp header (truncated)");
  }
  uint8_t u8() { need(1); return in[pos++]; }
  uint16_t u16() {
    need(2);
    uint16_t v = uint16_t(in[pos] | in[pos + 1] << 8);
    pos += 2;
    return v;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(in[pos + i]) << (8 * i);
    pos += 4;
    return v;
  }
  template <size_t N>
  void bytes(std::array<uint8_t, N>& a) {
    need(N);
    std::memcpy(a.data(), &in[pos], N);
    pos += N;
  }
};

bool valid_scheme(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

template <size_t N>
bool all_zero(const std::array<uint8_t, N>& a) {
  for (auto v : a)
    if (v) return false;
  return true;
}

// Keyed BLAKE2b-128 under `key` of the concatenation of the given byte ranges.
std::array<uint8_t, 16> tag128(const crypto::Key& key, std::initializer_list<std::pair<const void*, size_t>> parts) {
  crypto_generichash_state st;
  std::array<uint8_t, 16> out;
  crypto_generichash_init(&st, key.data(), key.size(), out.size());
  for (auto& [p, n] : parts) crypto_generichash_update(&st, static_cast<const unsigned char*>(p), n);
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

// Keyed BLAKE2b-128 under the image's subkey `label` of the given byte ranges.
std::array<uint8_t, 16> subkey_tag(const crypto::Key& master, const crypto::Nonce& nonce, const char* label,
                                   std::initializer_list<std::pair<const void*, size_t>> parts) {
  auto k = keys::derive_subkey(master, nonce, label);
  auto t = tag128(k, parts);
  sodium_memzero(k.data(), k.size());
  return t;
}

torch::Tensor checked_rgb(const torch::Tensor& rgb) {
  image::require_rgb(rgb, "write_protected_png");
  if (rgb.size(1) < 1 || rgb.size(2) < 1 || rgb.size(1) > UINT32_MAX || rgb.size(2) > UINT32_MAX)
    throw Error("write_protected_png: impossible image size");
  return rgb.to(torch::kCPU).contiguous();
}

std::string size_text(uint32_t w, uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

std::array<uint8_t, 16> check_tag_for(const crypto::Key& master, const crypto::Nonce& nonce) {
  return subkey_tag(master, nonce, "check", {{kCheckMessage, sizeof kCheckMessage - 1}});
}

// MAC over (header with mac zeroed) || pixels, or the header alone when a pixel tag stands for
// the pixels; `rgb` must be contiguous uint8 on the CPU.
std::array<uint8_t, 16> mac_for(Header h, const torch::Tensor& rgb, const crypto::Key& master) {
  h.mac.fill(0);
  auto hb = serialize(h);
  if (h.pixel_tag) return subkey_tag(master, h.nonce, "mac", {{hb.data(), hb.size()}});
  return subkey_tag(master, h.nonce, "mac",
                    {{hb.data(), hb.size()}, {rgb.data_ptr<uint8_t>(), static_cast<size_t>(rgb.numel())}});
}

std::array<uint8_t, 16> pixel_tag_for(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce) {
  auto c = rgb.to(torch::kCPU).contiguous();
  return subkey_tag(master, nonce, "pixels", {{c.data_ptr<uint8_t>(), static_cast<size_t>(c.numel())}});
}

std::string kept_format(const Header& h) {
  if (h.original.empty()) return "";
  if (!h.original_as_is) return "jpeg";
  return h.pixel_tag ? "heif" : "png";
}

uint8_t version_for(const Header& h) {
  return h.original_as_is ? 7 : h.original_jxl ? 6 : !h.original.empty() ? 5 : h.pixel_tag || h.origin ? 4 : 3;
}

void check_writable(const Header& h) {
  if (all_zero(h.nonce)) throw Error("writing a protected file: the header's nonce is not set");
  if (h.passphrase) {
    if (all_zero(h.salt)) throw Error("writing a protected file: the header's salt is not set");
    keys::check_argon2(h.argon2);
  }
}

std::vector<uint8_t> serialize(const Header& h) {
  if (h.version < 1 || h.version > kHeaderVersion)
    throw Error("hipp header: cannot write version " + std::to_string(h.version));
  if (h.version < 2 && !h.side.empty()) throw Error("hipp header: version 1 holds no side data");
  if (h.version < 3 && !h.repair.empty()) throw Error("hipp header: versions 1 and 2 hold no repair data");
  if (h.version < 4 && (h.pixel_tag || h.origin)) throw Error("hipp header: versions 1 to 3 hold no JPEG fields");
  if (h.version < 5 && !h.original.empty()) throw Error("hipp header: versions 1 to 4 hold no original");
  if (h.version < 6 && h.original_jxl) throw Error("hipp header: versions 1 to 5 hold no recompressed original");
  if (h.original_jxl && h.original.empty()) throw Error("hipp header: a recompressed original without the original");
  if (h.original_as_is && (h.version < 7 || h.original.empty() || h.original_jxl))
    throw Error("hipp header: an original kept as it is needs version 7, and no JPEG XL");
  if (h.version >= 7 && !h.original.empty() && !h.original_as_is)
    throw Error("hipp header: version 7 keeps HEIF and PNG originals only");
  if (!h.original.empty() && !h.repair.empty()) throw Error("hipp header: an original and repair data");
  if (!valid_scheme(h.scheme)) throw Error("hipp header: scheme must be 1-255 printable ASCII characters");
  const bool model = !all_zero(h.model_id);
  Writer w;
  w.bytes(kMagic, sizeof kMagic);
  w.u8(h.version);
  if (h.side.size() > kMaxSide) throw Error(ErrorKind::too_large, "hipp header: side data too large");
  if (h.repair.size() > kMaxSide) throw Error(ErrorKind::too_large, "hipp header: repair data too large");
  if (h.original.size() > kMaxSide) throw Error(ErrorKind::too_large, "hipp header: original too large");
  w.u8(static_cast<uint8_t>((h.passphrase ? kFlagPassphrase : 0) | (model ? kFlagModel : 0) |
                            (h.side.empty() ? 0 : kFlagSide) | (h.repair.empty() ? 0 : kFlagRepair) |
                            (h.pixel_tag ? kFlagPixelTag : 0) | (h.origin ? kFlagOrigin : 0) |
                            (h.original.empty() ? 0 : kFlagOriginal) | (h.original_jxl ? kFlagOriginalJxl : 0)));
  w.u8(static_cast<uint8_t>(h.scheme.size()));
  w.bytes(h.scheme.data(), h.scheme.size());
  if (model) w.bytes(h.model_id);
  w.u16(h.block);
  w.u32(h.width);
  w.u32(h.height);
  if (h.passphrase) {
    w.bytes(h.salt);
    w.u32(h.argon2.ops);
    w.u32(h.argon2.mem_kib);
  }
  for (auto* field : {&h.side, &h.repair, &h.original})
    if (!field->empty()) {
      w.u32(static_cast<uint32_t>(field->size()));
      w.bytes(field->data(), field->size());
    }
  if (h.pixel_tag) w.bytes(*h.pixel_tag);
  if (h.origin) {
    if (!h.origin->valid()) throw Error("hipp header: JPEG origin out of range");
    w.u8(static_cast<uint8_t>(h.origin->quality));
    w.u8(static_cast<uint8_t>(h.origin->luma_h));
    w.u8(static_cast<uint8_t>(h.origin->luma_v));
  }
  w.bytes(h.nonce);
  w.bytes(h.check_tag);
  w.bytes(h.mac);
  return std::move(w.out);
}

Header parse_header(const std::vector<uint8_t>& bytes) {
  Reader r{bytes};
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(ErrorKind::damaged, "damaged hipp header (bad magic)");
  r.pos = sizeof kMagic;
  Header h;
  h.version = r.u8();
  if (h.version < 1 || h.version > kHeaderVersion)
    throw Error(ErrorKind::unsupported, "unsupported hipp header version " + std::to_string(h.version) + " (this hipp reads versions 1 to " +
                std::to_string(kHeaderVersion) + "; a newer hipp may read it)");
  uint8_t flags = r.u8();
  const uint8_t known = kFlagPassphrase | kFlagModel | (h.version >= 2 ? kFlagSide : 0) |
                        (h.version >= 3 ? kFlagRepair : 0) | (h.version >= 4 ? kFlagPixelTag | kFlagOrigin : 0) |
                        (h.version >= 5 ? kFlagOriginal : 0) | (h.version >= 6 ? kFlagOriginalJxl : 0);
  if (flags & ~known) throw Error(ErrorKind::damaged, "damaged hipp header (unknown flags)");
  if ((flags & kFlagRepair) && (flags & kFlagOriginal)) throw Error(ErrorKind::damaged, "damaged hipp header (an original and repair data)");
  if ((flags & kFlagOriginalJxl) && !(flags & kFlagOriginal))
    throw Error(ErrorKind::damaged, "damaged hipp header (a recompressed original without the original)");
  h.passphrase = flags & kFlagPassphrase;
  h.original_jxl = flags & kFlagOriginalJxl;
  h.original_as_is = h.version >= 7 && (flags & kFlagOriginal);
  if (h.original_as_is && h.original_jxl) throw Error(ErrorKind::damaged, "damaged hipp header (a version 7 original recompressed)");
  uint8_t n = r.u8();
  r.need(n);
  h.scheme.assign(reinterpret_cast<const char*>(&bytes[r.pos]), n);
  r.pos += n;
  if (!valid_scheme(h.scheme)) throw Error(ErrorKind::damaged, "damaged hipp header (invalid scheme name)");
  if (flags & kFlagModel) {
    r.bytes(h.model_id);
    if (all_zero(h.model_id)) throw Error(ErrorKind::damaged, "damaged hipp header (zero model id)");
  }
  h.block = r.u16();
  if (h.block == 0) throw Error(ErrorKind::damaged, "damaged hipp header (block size 0)");  // writers never write it
  h.width = r.u32();
  h.height = r.u32();
  if (h.passphrase) {
    r.bytes(h.salt);
    h.argon2.ops = r.u32();
    h.argon2.mem_kib = r.u32();
    try {
      keys::check_argon2(h.argon2);
    } catch (const Error& e) {
      throw Error(ErrorKind::damaged, std::string("damaged hipp header (") + e.what() + ")");
    }
  }
  auto field = [&](uint8_t flag, std::vector<uint8_t>& out, const char* what) {
    if (!(flags & flag)) return;
    uint32_t n_field = r.u32();
    if (n_field == 0 || n_field > kMaxSide) throw Error(ErrorKind::damaged, std::string("damaged hipp header (") + what + " length)");
    r.need(n_field);
    out.assign(bytes.begin() + static_cast<std::ptrdiff_t>(r.pos), bytes.begin() + static_cast<std::ptrdiff_t>(r.pos + n_field));
    r.pos += n_field;
  };
  field(kFlagSide, h.side, "side data");
  field(kFlagRepair, h.repair, "repair data");
  field(kFlagOriginal, h.original, "original");
  if (flags & kFlagPixelTag) r.bytes(h.pixel_tag.emplace());
  if (flags & kFlagOrigin) {
    auto& o = h.origin.emplace();
    o.quality = r.u8();
    o.luma_h = r.u8();
    o.luma_v = r.u8();
    if (!o.valid()) throw Error(ErrorKind::damaged, "damaged hipp header (JPEG origin)");
  }
  r.bytes(h.nonce);
  r.bytes(h.check_tag);
  r.bytes(h.mac);
  if (r.pos != bytes.size())
    throw Error(ErrorKind::damaged, "damaged hipp header (" + std::to_string(bytes.size() - r.pos) + " unexpected trailing bytes)");
  return h;
}

namespace {

// A whole chunk: length, type, payload, CRC.
std::vector<uint8_t> make_chunk(const char type[4], const std::vector<uint8_t>& payload) {
  check_type(type);
  if (payload.size() > 0x7FFFFFFFu) throw Error(ErrorKind::too_large, "PNG chunk payload too large");
  std::vector<uint8_t> chunk;
  chunk.reserve(payload.size() + 12);
  put_be32(chunk, static_cast<uint32_t>(payload.size()));
  chunk.insert(chunk.end(), type, type + 4);
  chunk.insert(chunk.end(), payload.begin(), payload.end());
  put_be32(chunk, crc32(&chunk[4], 4, payload.data(), payload.size()));
  return chunk;
}

// An iCCP chunk: the profile's name, its end, method 0 and the profile through zlib.
std::vector<uint8_t> iccp_chunk(const std::vector<uint8_t>& profile) {
  static const char kName[] = "ICC profile";
  std::vector<uint8_t> payload(kName, kName + sizeof kName);
  payload.push_back(0);
  uLongf size = compressBound(profile.size());
  std::vector<uint8_t> packed(size);
  if (compress2(packed.data(), &size, profile.data(), profile.size(), Z_BEST_COMPRESSION) != Z_OK)
    throw Error("iCCP: zlib failed");
  payload.insert(payload.end(), packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(size));
  return make_chunk("iCCP", payload);
}

}  // namespace

std::vector<uint8_t> png_colour_of(const std::vector<uint8_t>& photo) {
  std::vector<uint8_t> profile;
  if (image::is_heif(photo))
    profile = image::heif_icc_profile(photo);
  else if (image::is_jpeg(photo))
    profile = image::icc_profile(image::jpeg_extras(photo));
  else
    return colour_chunks(photo);
  return image::icc_space(profile) == "RGB " ? iccp_chunk(profile) : std::vector<uint8_t>{};
}

std::vector<uint8_t> add_chunk(const std::vector<uint8_t>& png, const char type[4], const std::vector<uint8_t>& payload) {
  auto chunk = make_chunk(type, payload);
  size_t iend = walk_chunks(png).back().start;
  std::vector<uint8_t> out;
  out.reserve(png.size() + chunk.size());
  out.insert(out.end(), png.begin(), png.begin() + static_cast<std::ptrdiff_t>(iend));
  out.insert(out.end(), chunk.begin(), chunk.end());
  out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(iend), png.end());
  return out;
}

std::optional<std::vector<uint8_t>> find_chunk(const std::vector<uint8_t>& png, const char type[4]) {
  check_type(type);
  std::optional<std::vector<uint8_t>> found;
  for (const auto& c : walk_chunks(png)) {
    if (std::memcmp(c.type.data(), type, 4) != 0) continue;
    if (found) throw Error(ErrorKind::damaged, "damaged PNG: more than one '" + c.type + "' chunk");
    auto begin = png.begin() + static_cast<std::ptrdiff_t>(c.start + 8);
    found.emplace(begin, begin + c.length);
  }
  return found;
}

std::vector<uint8_t> colour_chunks(const std::vector<uint8_t>& png) {
  static const std::set<std::string> kColour = {"iCCP", "sRGB", "gAMA", "cHRM", "cICP"};
  std::vector<ChunkRef> chunks;
  try {
    chunks = walk_chunks(png);
  } catch (const Error&) {
    return {};
  }
  std::vector<uint8_t> out;
  for (const auto& c : chunks) {
    if (c.type == "IDAT") break;
    auto begin = png.begin() + static_cast<std::ptrdiff_t>(c.start);
    if (kColour.count(c.type)) out.insert(out.end(), begin, begin + 12 + c.length);
  }
  return out;
}

std::vector<uint8_t> insert_after_ihdr(const std::vector<uint8_t>& png, const std::vector<uint8_t>& chunks) {
  const auto ihdr = walk_chunks(png).front();
  auto at = png.begin() + static_cast<std::ptrdiff_t>(ihdr.start + 12 + ihdr.length);
  std::vector<uint8_t> out(png.begin(), at);
  out.insert(out.end(), chunks.begin(), chunks.end());
  out.insert(out.end(), at, png.end());
  return out;
}

std::vector<uint8_t> write_protected_png(const torch::Tensor& protected_rgb, Header header, const crypto::Key& master) {
  auto rgb = checked_rgb(protected_rgb);
  check_writable(header);
  header.pixel_tag.reset();  // PNG is lossless: the MAC covers the pixels themselves
  header.version = version_for(header);
  header.height = static_cast<uint32_t>(rgb.size(1));
  header.width = static_cast<uint32_t>(rgb.size(2));
  header.check_tag = check_tag_for(master, header.nonce);
  header.mac = mac_for(header, rgb, master);
  return add_chunk(image::encode_png(rgb, image::PngContent::Protected), kChunkType, serialize(header));
}

namespace {

Header parse_named(const std::vector<uint8_t>& payload, const std::string& name) {
  try {
    return parse_header(payload);
  } catch (const Error& e) {
    throw Error(e.kind, name + ": " + e.what());
  }
}

Header read_png_header(const std::vector<uint8_t>& bytes, const std::string& name) {
  std::optional<std::vector<uint8_t>> payload;
  try {
    payload = find_chunk(bytes, kChunkType);
  } catch (const Error& e) {
    throw Error(e.kind, name + ": " + e.what());
  }
  if (!payload)
    throw Error(ErrorKind::not_protected, name + ": a PNG that was not made by hipp (it has no hipp header; 'hipp protect' makes protected images)");
  auto h = parse_named(*payload, name);
  if (h.pixel_tag) throw Error(ErrorKind::damaged, name + ": damaged hipp header (a pixel tag in a PNG)");
  return h;
}

Header read_jpeg_header(const std::vector<uint8_t>& bytes, const std::string& name) {
  std::optional<std::vector<uint8_t>> payload;
  try {
    payload = find_segments(bytes);
  } catch (const Error& e) {
    throw Error(e.kind, name + ": " + e.what());
  }
  if (!payload)
    throw Error(ErrorKind::not_protected, name + ": a JPEG without a hipp header: not made by 'hipp protect', or a photo service removed the "
                       "header (its APP11 segments) when it re-encoded the file; it cannot be restored");
  return parse_named(*payload, name);
}

}  // namespace

Header read_header(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.empty()) throw Error(ErrorKind::damaged, name + ": empty file");
  if (image::is_png(bytes)) return read_png_header(bytes, name);
  if (image::is_jpeg(bytes)) return read_jpeg_header(bytes, name);
  throw Error(ErrorKind::not_protected, name + ": neither a PNG nor a JPEG file, so not a hipp protected image (those are made by 'hipp protect')");
}

Parsed read_protected(const std::vector<uint8_t>& bytes, const std::string& name) {
  Parsed p;
  p.header = read_header(bytes, name);
  p.rgb = image::decode(bytes, name);
  if (image::is_jpeg(bytes)) p.jpeg = bytes;
  uint32_t h = static_cast<uint32_t>(p.rgb.size(1)), w = static_cast<uint32_t>(p.rgb.size(2));
  if (w != p.header.width || h != p.header.height)
    throw Error(ErrorKind::altered, name + ": the image is " + size_text(w, h) + " but its hipp header says " +
                size_text(p.header.width, p.header.height) + ": the file was altered or damaged");
  return p;
}

Parsed read_protected_png(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (!bytes.empty() && !image::is_png(bytes))
    throw Error(ErrorKind::not_protected, name + ": " + (image::is_jpeg(bytes) ? "a JPEG image" : "not a PNG file") +
                ", so not a protected PNG");
  return read_protected(bytes, name);
}

Parsed read_protected_file(const std::string& path) { return read_protected(hipp::read_file(path), path); }

crypto::Key master_for(const Header& h, const keys::KeySource& src, const std::string& name) {
  const bool pass = src.kind == keys::KeySource::Passphrase;
  if (h.passphrase && !pass)
    throw Error(ErrorKind::wrong_key, name + ": wrong key: this image was protected with a passphrase, but the key file holds a raw hipp key");
  if (!h.passphrase && pass)
    throw Error(ErrorKind::wrong_key, name + ": wrong key: this image was protected with a raw key file (hipp keygen), but the key file holds a passphrase");
  return keys::derive_master(src, h.salt, h.argon2);
}

bool verify(const Parsed& p, const crypto::Key& master, const std::string& name) {
  auto check = check_tag_for(master, p.header.nonce);
  if (sodium_memcmp(check.data(), p.header.check_tag.data(), check.size()) != 0)
    throw Error(ErrorKind::wrong_key, name + ": wrong key (it is not the key this image was protected with)");
  auto rgb = p.rgb.defined() ? p.rgb.to(torch::kCPU).contiguous() : torch::Tensor();
  if (!rgb.defined() || rgb.dim() != 3 || rgb.size(0) != 3 || rgb.scalar_type() != torch::kUInt8 ||
      rgb.size(1) != p.header.height || rgb.size(2) != p.header.width)
    throw Error(ErrorKind::altered, name + ": the image was altered: its size no longer matches its hipp header");
  auto mac = mac_for(p.header, rgb, master);
  if (sodium_memcmp(mac.data(), p.header.mac.data(), mac.size()) != 0)
    throw Error(ErrorKind::altered, name + (p.header.pixel_tag ? ": its hipp header was altered after protection (authentication failed)"
                                           : ": the image or its hipp header was altered after protection "
                                             "(authentication failed)") +
                "; it cannot be restored faithfully");
  if (!p.header.pixel_tag) return true;
  auto tag = pixel_tag_for(rgb, master, p.header.nonce);
  return sodium_memcmp(tag.data(), p.header.pixel_tag->data(), tag.size()) == 0;
}

}  // namespace hipp::container
