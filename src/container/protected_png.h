#pragma once
// The protected-image file: an ordinary, lossless PNG of the protected pixels (any viewer
// shows it; the thumbnail is visible) plus one private chunk "hiPp" holding a small header
// with what restore needs besides the key: scheme, model, block size, key kind and Argon2
// salt/cost, the per-image nonce, a key-check tag (so a wrong key is reported as such, not
// as garbage output) and a MAC over header and pixels (so edits are detected, not "restored").
// The header never holds a secret.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keystream.h"
#include "image/image.h"
#include "keys/key.h"

namespace hipp::container {

// Version 2 added the scheme's side data (HIPP's range fit), version 3 the repair data
// (repair/repair.h), version 4 protected JPEGs (protected_jpeg.h: a tag over the decoded
// pixels, the MAC then over the header alone) and the original's JPEG settings, version 5 the
// original JPEG itself, encrypted (a protected JPEG of a JPEG), version 6 that original
// recompressed losslessly by JPEG XL, version 7 the original kept as it is where it is a HEIF
// (HEIC, AVIF) or a PNG that 8-bit RGB would lose something of; files of every earlier version still restore. A writer
// uses the lowest version that holds its fields, so a protected PNG of a PNG is still version 3
// and older hipp releases read it.
inline constexpr uint8_t kHeaderVersion = 7;
inline constexpr char kChunkType[5] = "hiPp";  // ancillary, private, safe-to-copy

struct Header {
  uint8_t version = kHeaderVersion;
  std::string scheme;                  // "hipp", "tpe-ideal", ... (1..255 printable ASCII chars)
  std::array<uint8_t, 16> model_id{};  // zeros for schemes without a model
  uint16_t block = 0;                  // thumbnail block size
  uint32_t width = 0, height = 0;      // of the protected image; write_protected_png fills them in
  bool passphrase = false;             // key kind; salt and argon2 are stored only when true
  std::array<uint8_t, 16> salt{};
  keys::Argon2Params argon2{0, 0};
  std::vector<uint8_t> side;           // the scheme's bytes beside the pixels (scheme::Scheme), encrypted by it
  std::vector<uint8_t> repair;         // what restoring the pixels still misses (repair/repair.h), encrypted
  // Version 5, instead of repair data: the original JPEG file, encrypted (repair/checked.h).
  std::vector<uint8_t> original;
  // Version 6: `original` holds the JPEG recompressed by JPEG XL (image/jpeg_xl.h), which
  // gives back the same bytes, before encryption.
  bool original_jxl = false;
  // Version 7: `original` holds the photo's file as it is, not a JPEG: in a protected JPEG (one
  // with a pixel tag) a HEIF (HEIC, AVIF), in a protected PNG a PNG (one whose 16-bit samples
  // or transparency 8-bit RGB would lose). The bytes are checked once decrypted.
  bool original_as_is = false;
  // Version 4. Set when the pixels are stored lossily (a JPEG): a keyed tag of the pixels as
  // hipp's decoder gives them, so that restore can tell a file as written from one re-encoded
  // since; the MAC then covers the header alone.
  std::optional<std::array<uint8_t, 16>> pixel_tag;
  // Version 4. Set when the original was a JPEG: how restore writes it back by default.
  using JpegOrigin = image::JpegSettings;
  std::optional<JpegOrigin> origin;
  crypto::Nonce nonce{};               // fresh per image; all subkeys derive from it
  std::array<uint8_t, 16> check_tag{};
  std::array<uint8_t, 16> mac{};
};

// Binary layout, little-endian:
//   "HIPP" | version u8 | flags u8 (bit0 passphrase, bit1 model present, bit2 side data,
//   bit3 repair data, bit7 the original recompressed by JPEG XL) | scheme len u8 + bytes
//   | [model_id 16 if bit1] | block u16 | width u32 | height u32 | [salt 16 | argon2 ops u32 | argon2 mem_kib u32, if bit0]
//   | [side len u32 + bytes, if bit2] | [repair len u32 + bytes, if bit3]
//   | [original len u32 + bytes, if bit6] | [pixel tag 16, if bit4]
//   | [JPEG origin: quality u8 | luma h u8 | luma v u8, if bit5]
//   | nonce 24 | check_tag 16 | mac 16
// For scheme "hipp" with a model: 93 bytes with a raw key, 117 with a passphrase, plus 4 and
// the side data (96 bytes for a 64x64 image at block 8); without a model 16 fewer (the chunk
// adds 12 bytes of length, type and CRC). Version 2 is the same without bit3, version 1 also
// without bit2; version 4 added bits 4 and 5, version 5 bit 6 (never with bit 3), version 6
// bit 7 (only with bit 6); in version 7 bit 6 means an original kept as it is (a HEIF, or in a PNG a PNG), and bit 7 is
// refused. serialize writes h.version (1 to kHeaderVersion: the MAC of an older
// file is over its own version's bytes) and refuses fields that version cannot hold.
std::vector<uint8_t> serialize(const Header& h);
// Throws hipp::Error (no file name) on a bad magic, unsupported version or malformed layout.
Header parse_header(const std::vector<uint8_t>& bytes);

// PNG chunk helpers. Both check the signature and every chunk's CRC and throw hipp::Error
// (no file name) on a truncated or corrupt structure.
// Returns `png` with a chunk of `type` holding `payload` inserted just before IEND.
std::vector<uint8_t> add_chunk(const std::vector<uint8_t>& png, const char type[4], const std::vector<uint8_t>& payload);
// The payload of the chunk of `type`, or nullopt if there is none; more than one is an error.
std::optional<std::vector<uint8_t>> find_chunk(const std::vector<uint8_t>& png, const char type[4]);
// The chunks that say what colours a PNG's values stand for (iCCP, sRGB, gAMA, cHRM, cICP),
// whole and in order; none from a PNG whose chunks do not check out.
std::vector<uint8_t> colour_chunks(const std::vector<uint8_t>& png);
// `png` with `chunks` (whole chunks) right after its IHDR, where colour chunks belong.
std::vector<uint8_t> insert_after_ihdr(const std::vector<uint8_t>& png, const std::vector<uint8_t>& chunks);
// What a PNG of `photo`'s pixels should carry to show them in its colours: a PNG photo's colour
// chunks, or an iCCP chunk of a JPEG or HEIF photo's ICC profile for RGB; none otherwise.
std::vector<uint8_t> png_colour_of(const std::vector<uint8_t>& photo);

// What a file's kept original is, from its header alone: "jpeg", "heif", "png", or "" when it
// keeps none.
std::string kept_format(const Header& h);

// The lowest version that holds h's fields.
uint8_t version_for(const Header& h);

// Encodes `protected_rgb` (uint8 [3,H,W]) as PNG and embeds `header` after setting its
// width/height from the image and its check_tag and mac under `master`. The caller sets
// scheme, model_id, block, passphrase/salt/argon2 and a fresh nonce (all-zero is refused).
std::vector<uint8_t> write_protected_png(const torch::Tensor& protected_rgb, Header header, const crypto::Key& master);

struct Parsed {
  Header header;
  torch::Tensor rgb;          // uint8 [3,H,W]
  std::vector<uint8_t> jpeg;  // the file, when it is a JPEG: what JPEG-native schemes restore from
};

// Only the header of a protected PNG or JPEG (no pixel decoding); for `hipp info`. `name`
// labels errors.
Header read_header(const std::vector<uint8_t>& bytes, const std::string& name);
// Header and pixels of a protected PNG or JPEG. Throws hipp::Error naming the file when it is
// neither, was not made by hipp, has an unsupported header version, or is damaged. Does not
// check the key: call verify.
Parsed read_protected(const std::vector<uint8_t>& bytes, const std::string& name);
// The same for PNG only.
Parsed read_protected_png(const std::vector<uint8_t>& bytes, const std::string& name);
// Reads the file at `path` first (missing/unreadable -> hipp::Error naming it).
Parsed read_protected_file(const std::string& path);

// The master key for this image: checks that the key kind matches the header (a raw key for
// a passphrase image is a "wrong key" error) and runs Argon2 with the stored salt and cost.
crypto::Key master_for(const Header& h, const keys::KeySource& src, const std::string& name);

// Throws hipp::Error containing "wrong key" if `master` is not the image's key, and one
// containing "altered" if the key is right but the header (or a PNG's pixels) changed since
// writing. Returns whether the pixels are exactly those written: false only for a lossy
// (JPEG) file whose pixels changed, re-encoded by a photo service most likely, which restores
// approximately.
bool verify(const Parsed& p, const crypto::Key& master, const std::string& name);

// Keyed tags under subkeys of (master, h.nonce): the key check, the MAC (over the header, and
// the pixels unless h.pixel_tag is set) and the pixel tag. Writers fill them in with these.
std::array<uint8_t, 16> check_tag_for(const crypto::Key& master, const crypto::Nonce& nonce);
std::array<uint8_t, 16> mac_for(Header h, const torch::Tensor& rgb, const crypto::Key& master);
std::array<uint8_t, 16> pixel_tag_for(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce);

// Checks a header that a writer is about to seal: nonce and, for a passphrase, salt and cost.
void check_writable(const Header& h);

}  // namespace hipp::container
