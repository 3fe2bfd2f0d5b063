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
#include "keys/key.h"

namespace hipp::container {

// Version 2 added the scheme's side data (HIPP's range fit), version 3 the repair data
// (repair/repair.h); files of every earlier version still restore.
inline constexpr uint8_t kHeaderVersion = 3;
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
  std::vector<uint8_t> side;           // the scheme's bytes beside the pixels (baselines::Scheme), encrypted by it
  std::vector<uint8_t> repair;         // what restoring the pixels still misses (repair/repair.h), encrypted
  crypto::Nonce nonce{};               // fresh per image; all subkeys derive from it
  std::array<uint8_t, 16> check_tag{};
  std::array<uint8_t, 16> mac{};
};

// Binary layout, little-endian:
//   "HIPP" | version u8 | flags u8 (bit0 passphrase, bit1 model present, bit2 side data,
//   bit3 repair data) | scheme len u8 + bytes | [model_id 16 if bit1] | block u16 | width u32
//   | height u32 | [salt 16 | argon2 ops u32 | argon2 mem_kib u32, if bit0]
//   | [side len u32 + bytes, if bit2] | [repair len u32 + bytes, if bit3]
//   | nonce 24 | check_tag 16 | mac 16
// For scheme "hipp" with a model: 93 bytes with a raw key, 117 with a passphrase, plus 4 and
// the side data (96 bytes for a 64x64 image at block 8); without a model 16 fewer (the chunk
// adds 12 bytes of length, type and CRC). Version 2 is the same without bit3, version 1 also
// without bit2. serialize writes h.version (1 to kHeaderVersion: the MAC of an older file is
// over its own version's bytes) and refuses fields that version cannot hold.
std::vector<uint8_t> serialize(const Header& h);
// Throws hipp::Error (no file name) on a bad magic, unsupported version or malformed layout.
Header parse_header(const std::vector<uint8_t>& bytes);

// PNG chunk helpers. Both check the signature and every chunk's CRC and throw hipp::Error
// (no file name) on a truncated or corrupt structure.
// Returns `png` with a chunk of `type` holding `payload` inserted just before IEND.
std::vector<uint8_t> add_chunk(const std::vector<uint8_t>& png, const char type[4], const std::vector<uint8_t>& payload);
// The payload of the chunk of `type`, or nullopt if there is none; more than one is an error.
std::optional<std::vector<uint8_t>> find_chunk(const std::vector<uint8_t>& png, const char type[4]);

// Encodes `protected_rgb` (uint8 [3,H,W]) as PNG and embeds `header` after setting its
// width/height from the image and its check_tag and mac under `master`. The caller sets
// scheme, model_id, block, passphrase/salt/argon2 and a fresh nonce (all-zero is refused).
std::vector<uint8_t> write_protected_png(const torch::Tensor& protected_rgb, Header header, const crypto::Key& master);

struct Parsed {
  Header header;
  torch::Tensor rgb;  // uint8 [3,H,W]
};

// Only the header of a protected PNG (no pixel decoding); for `hipp info`. `name` labels errors.
Header read_header(const std::vector<uint8_t>& bytes, const std::string& name);
// Header and pixels. Throws hipp::Error naming the file when it is not a PNG, was not made
// by hipp, has an unsupported header version, or is damaged. Does not check the key: call verify.
Parsed read_protected_png(const std::vector<uint8_t>& bytes, const std::string& name);
// Reads the file at `path` first (missing/unreadable -> hipp::Error naming it).
Parsed read_protected_file(const std::string& path);

// The master key for this image: checks that the key kind matches the header (a raw key for
// a passphrase image is a "wrong key" error) and runs Argon2 with the stored salt and cost.
crypto::Key master_for(const Header& h, const keys::KeySource& src, const std::string& name);

// Throws hipp::Error containing "wrong key" if `master` is not the image's key, and one
// containing "altered" if the key is right but the header or pixels changed since writing.
void verify(const Parsed& p, const crypto::Key& master, const std::string& name);

}  // namespace hipp::container
