#pragma once
// `hipp attack eval`: how much of a face its thumbnail gives away, per block size. For each
// thumbnail-attack model, rebuild held-out faces from their thumbnails and report PSNR, SSIM
// and the identity match rate (face recognizer distance < 0.6 to the original), beside the
// bicubic-upsampled thumbnail as the trivial attack.
#include <string>
#include <vector>

namespace hipp::attack {

struct AttackEvalOptions {
  std::vector<std::string> models;  // thumbnail-attack model folders/files, one per block size
  std::vector<std::string> data;
  std::string identity_file;  // with split: evaluate only one side (e.g. the identities held out in training)
  std::string split = "all";
  double test_fraction = 0.05;
  double crop = 1.0;
  int size = 128;
  int64_t limit = 0;
  std::string out;
  int grid_rows = 6;
  std::string device = "cpu";
  bool quiet = false;
};

// Writes attack.json, attack.md and grid.png into options.out; returns the Markdown table.
std::string run_attack_evaluation(const AttackEvalOptions& options);

}  // namespace hipp::attack
