#pragma once
// Protecting and restoring images in memory with one key: what `hipp protect` / `hipp restore`
// and `hipp serve` share. Models and schemes are loaded once and kept; a passphrase is
// stretched on the first protect (one random salt per Protector: every image still gets its own
// nonce) and once per salt met when restoring. Thread-safe: calls are serialized.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "container/protected_png.h"
#include "hipp/models.h"
#include "keys/key.h"
#include "repair/checked.h"
#include "repair/repair.h"
#include "scheme/registry.h"
#include "service/content.h"

namespace hipp::service {

struct ProtectSettings {
  // Scheme, model, block, thumbnail, detail scale; content unknown: judged by the face detector
  // where it matters (service/content.h)
  scheme::Request request;
  repair::RepairOptions repair;  // the restoration floor, or lossless
  repair::FileFormat format;     // PNG, or JPEG at its settings
  std::optional<container::Header::JpegOrigin> origin;  // the original was a JPEG: restore writes one back
};

// The protected JPEG's quality when it keeps its JPEG original, unless that original's is lower,
// and the largest such file as a multiple of the original's size that lowering that quality
// (down to repair::kLowestFittedQuality) may reach: the photo's size, give or take (docs/jpeg.md).
inline constexpr int kKeptOriginalQuality = 60;
inline constexpr double kKeptOriginalMaxExpansion = 1.3;

// Fits `s` to the input file as the user has it: a JPEG original is recorded (restore writes a
// JPEG back at its quality), and a protected JPEG takes `quality` (0: the original's, or 90 for
// a PNG original; when it keeps its JPEG or HEIF original, at most kKeptOriginalQuality, lowered
// as `max_expansion` asks) and, when it keeps a JPEG, that JPEG's chroma sampling (a HEIF's:
// 4:2:0).
void fit_to_input(ProtectSettings& s, const std::vector<uint8_t>& input, const std::string& name, int quality,
                  double max_expansion = kKeptOriginalMaxExpansion);

struct Restored {
  torch::Tensor rgb;  // uint8 [3,H,W]
  std::optional<container::Header::JpegOrigin> origin;
  bool exact = true;  // false: a JPEG re-encoded since protection, restored approximately
  // A kept original (a JPEG, HEIF or PNG), or a JPEG-native scheme's original JPEG: the file itself.
  std::vector<uint8_t> original;
  std::vector<uint8_t> png_colour;  // a protected PNG's colour chunks (its photo's): a restored PNG's too
};

// The restored photo as a JPEG: with `quality` 0, the original JPEG itself where there is one
// (Restored::original: no generation loss); else the pixels encoded at `quality`, or at the
// original JPEG's quality and sampling, or at 90 with 4:2:0 for other originals.
std::vector<uint8_t> restored_jpeg(const Restored& r, int quality = 0);
// The restored photo as a PNG: the original PNG itself where the file kept it, else its pixels
// with the colour chunks its protected PNG carried, or its JPEG's or HEIF's colour profile.
std::vector<uint8_t> restored_png(const Restored& r);
// The restored photo as the HEIF file it was (format version 7). Throws hipp::Error (usage)
// when the protected file kept no HEIF, naming `where`.
std::vector<uint8_t> restored_heif(const Restored& r, const std::string& where);

class Protector {
 public:
  Protector(keys::KeySource key, torch::Device device);
  // uint8 [3,H,W] -> the protected file's bytes, PNG or JPEG (header, fresh nonce, key-check tag,
  // repair data: repair/checked.h); `stats` receives what the restoration check found.
  // `input`: the file `rgb` was decoded from, which JPEG-native schemes protect instead.
  std::vector<uint8_t> protect(const torch::Tensor& rgb, const ProtectSettings& settings,
                               repair::RepairStats* stats = nullptr, const std::vector<uint8_t>& input = {});
  // A protected file's bytes -> the original. Throws hipp::Error naming `where` for a wrong
  // key, an altered file, a file not made by hipp, or a model that is not here.
  Restored restore(const std::vector<uint8_t>& file, const std::string& where);
  // Whether these bytes are a protected file whose check tag, MAC and pixels hold under this
  // key: what a resumed run accepts as done.
  bool verifies(const std::vector<uint8_t>& png);

 private:
  const scheme::Scheme& scheme_for(const scheme::Resolved& r);
  const crypto::Key& master_for(const container::Header& h, const std::string& where);  // cached by salt
  std::mutex mu_;
  keys::KeySource key_;
  torch::Device device_;
  container::Header base_;  // scheme-independent part of every header this writes
  std::optional<crypto::Key> protect_master_;  // derived on first use: restoring never needs it
  std::map<std::vector<uint8_t>, crypto::Key> restore_masters_;  // by salt and key kind
  std::map<std::string, std::unique_ptr<scheme::Scheme>> schemes_;
  std::unique_ptr<ContentJudge> judge_;  // loaded on the first image whose model depends on it
};

}  // namespace hipp::service
