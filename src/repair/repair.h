#pragma once
// Repair data: what a scheme's restoration still misses, kept (zstd-compressed, encrypted) in
// the protected file so that no photo comes back damaged. Protect holds the key, so it runs the
// exact restoration `hipp restore` will run and, for every thumbnail block that restores below
// a PSNR floor, stores the block's residual (original - restored), quantized with the coarsest
// step that still meets the floor; then, while the image's SSIM is below a second floor (40 dB
// alone lets dark or flat photos look visibly noisy), the worst remaining blocks' too. Restore
// adds them back. The protected pixels are not touched, so a
// repaired block is protected as well as any other; the cost is file size. --lossless stores
// every residual exactly, for bit-identical restoration.
//
// Payload, before encryption (little-endian):
//   version u8 (1) | flags u8 (bit0 lossless) | blocks u32 | repaired u32
//   | worst PSNR before u16, after u16 (centi-dB, 0xFFFF: exact) | [BLAKE2b-128 of the original
//   pixels, if lossless] | body length u32 | zstd(body)
//   body: per repaired block, in block order: index gap (LEB128; the first is the index) | code u8:
//         the step (bits 0-5, 1..63); bit 7: the residual is against prediction.h's smooth guess
//         (made from the restoration) instead of the restoration itself; bit 6: the block's
//         quanta are stored as errors of LOCO-I's median edge detector, per channel;
//         then every symbol of every repaired block (block order; channel, then the block's pixels
//         row-major), zigzag-coded as u16: all low bytes, then all high bytes.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "crypto/keystream.h"

namespace hipp::repair {

struct RepairOptions {
  double min_psnr = 40;     // every thumbnail block restores at least this well (dB, peak 255)
  double min_ssim = 0.99;   // the image restores at least this SSIM (metrics::ssim; 0: none), and
                            // each repaired block to halfway between it and 1 (8x8 windows)
  bool lossless = false;    // every pixel exactly
};

// The floors for a protected JPEG: the restored photo goes back into a JPEG, whose own loss
// makes 40 dB against the decoded input more than survives (docs/jpeg.md).
inline constexpr double kJpegMinPsnr = 38, kJpegMinSsim = 0.98;

// The floors a protected file gets: `asked`, where for a JPEG each floor the user did not set
// (psnr_set, ssim_set) is the JPEG one. What protect, serve and eval all apply.
RepairOptions floors_for(RepairOptions asked, bool jpeg, bool psnr_set, bool ssim_set);

struct RepairStats {
  int64_t blocks = 0;    // thumbnail blocks of the image (edge blocks cut short included)
  int64_t repaired = 0;  // blocks that carry a residual
  double worst_before = INFINITY;  // lowest block PSNR of the scheme's own restoration, dB
  double worst_after = INFINITY;   // lowest block PSNR once repaired
  bool lossless = false;
  bool original = false;  // no check ran: the file carries the original JPEG (checked.h)
  double rate() const { return blocks ? static_cast<double>(repaired) / blocks : 0.0; }
};

struct Repair {
  std::vector<uint8_t> payload;  // plaintext
  RepairStats stats;
};

// original, restored: uint8 [3,H,W] of one size; `block` the thumbnail block size.
Repair make_repair(const torch::Tensor& original, const torch::Tensor& restored, int block, const RepairOptions& o);

// What restore returns: `restored` with the payload's residuals added. For a lossless payload the
// result is checked against the stored hash of the original; a mismatch (a machine whose
// arithmetic differs from the protecting one's) is reported with a warning naming `where`.
// Throws hipp::Error ("damaged hipp file ...") on a payload that does not fit the image.
torch::Tensor apply_repair(const torch::Tensor& restored, const std::vector<uint8_t>& payload, int block,
                           const std::string& where);

// The counts of a payload, without applying it (hipp info -k).
RepairStats read_stats(const std::vector<uint8_t>& payload);

// Encrypts or decrypts (the same XOR) with an XChaCha20 stream under the image's "hipp/repair"
// subkey, or another (a kept original's: "hipp/original").
std::vector<uint8_t> crypt(std::vector<uint8_t> bytes, const crypto::Key& master, const crypto::Nonce& nonce,
                           const char* label = "hipp/repair");

}  // namespace hipp::repair
