#pragma once
// `hipp train attack`: trains the thumbnail attack (attack/thumbnail_attack.h) to rebuild faces
// from their block-average thumbnails, L1 on the final and the intermediate output as in
// MTNet; the shared loop (train/loop.h) with timed checkpoints, resume, gradient clipping, a
// NaN guard and a JSON log; a held-out PSNR at the end.
#include <string>
#include <vector>

#include "attack/thumbnail_attack.h"
#include "train/loop.h"
#include "train/training_data.h"

namespace hipp::train {

struct AttackTrainOptions : RunControl {
  std::vector<std::string> data;       // image folders/files, or packed sets (*.tensors)
  std::vector<std::string> test_data;  // held-out set given directly (then no split of `data`)
  DataSpec spec;
  int size = 128;
  attack::ReconConfig config;
  int64_t batch = 16;
  int64_t iters = 20000;
  double lr = 2e-4;
  double coarse_weight = 0.5;  // weight of the intermediate output's L1
  int64_t eval_images = 256;
};

struct AttackTrainResult {
  int64_t step = 0;
  double train_l1 = 0;    // mean over the last log window, in [0,1] pixel units
  double test_psnr = -1;  // held-out PSNR of the reconstructions (dB); -1 without held-out images
  double upsample_psnr = -1;  // the same for the bicubic-upsampled thumbnail
};

AttackTrainResult train_attack(const AttackTrainOptions& options);

}  // namespace hipp::train
