#pragma once
// `hipp eval`: every scheme on the same images, one run: restoration, thumbnail, file size,
// speed, wrong-key restoration and naturalness (bits/dim under an independent face flow).
#include <string>
#include <vector>

#include "repair/repair.h"
#include "scheme/scheme.h"

namespace hipp::eval {

struct EvalOptions {
  std::vector<std::string> data;
  std::vector<std::string> schemes{"hipp", "tpe-ideal", "shuffle"};
  std::string out;
  std::string model;       // hipp's wavelet flow (default: as hipp protect picks it)
  std::string content = "auto";  // what the set shows, for the default model: auto (most originals), faces, photos
  std::string flow;        // naturalness flow (default: shipped celeba<size>-glow, if any)
  int size = 64;
  double crop = 1.0;
  int block = 0;           // 0: scheme::thumbnail_block over the hipp model's largest block
  double detail_scale = 1;  // hipp: HippScheme::set_detail_scale
  scheme::SchemeParams params;  // the baselines' settings beyond the block
  repair::RepairOptions repair;    // protect's restoration check, as `hipp protect` runs it
  int64_t limit = 0;               // per --data entry (a set)
  // JPEG mode: each image is first stored as a JPEG at `quality` (4:2:0, the user's file; its
  // decoded pixels are the original), protected to a JPEG, and also recompressed at 85 and 75.
  bool jpeg = false;
  int quality = 90;
  // JPEG mode: the protected JPEG keeps the original, as `hipp protect` writes it; off, restore
  // runs through the protected pixels and repair data (the schemes' own JPEG robustness).
  bool keep_original = true;
  int protected_quality = 0;  // JPEG mode: the protected JPEG's quality (0: as hipp protect picks it)
  double max_expansion = -1;  // JPEG mode: as hipp protect --max-expansion (negative: its default)
  int grid_rows = 6;
  std::string device = "cpu";
  bool quiet = false;
};

// Writes per_image.csv, summary.json, summary.md and grid.png into options.out; returns the
// Markdown tables: every metric's mean per scheme, then restoration per set (each --data entry)
// with its mean, 5th percentile and minimum.
std::string run_evaluation(const EvalOptions& options);

}  // namespace hipp::eval
