#pragma once
// `hipp train encoder`: trains HIPP's encoder E (hipp/encoder.h) around a frozen wavelet flow G.
// Each step protects a batch with fresh random mixings, rounds the protected images to 8 bits
// (straight-through: the forward pass sees the real rounding, gradients pass as if it were
// not there), restores them and minimizes
//   lambda1 * naturalness + lambda2 * restoration
// where restoration is the mean squared error of the restored images (pixels in [0, 1]) and
// naturalness is how far the protected images' bits/dim under G lie from the originals' (the
// latents' energy per level; G's couplings are additive, so that is all its density sees).
// Defaults are the paper's (Adam beta1 0, beta2 0.99, eps 1e-8, lr 1e-5, 200,000 iterations,
// lambda1 10, lambda2 200). Runs the shared loop (train/loop.h): timed checkpoints, resume,
// gradient clipping, a NaN guard, a JSON log and a held-out evaluation that
// protects and restores with the real rounding.
#include <string>
#include <vector>

#include "hipp/encoder.h"
#include "train/loop.h"
#include "train/training_data.h"

namespace hipp::train {

struct EncoderTrainOptions : RunControl {
  std::string flow;                    // wavelet flow folder (frozen G)
  std::vector<std::string> data;       // image folders/files, or packed sets (*.tensors)
  std::vector<std::string> test_data;  // held-out set given directly (then no split of `data`)
  DataSpec spec;
  int block = 0;  // 0: the flow's largest
  protect::EncoderConfig config;
  int64_t batch = 16;
  int64_t iters = 200000;
  double lr = 1e-5;
  double beta1 = 0.0, beta2 = 0.99, eps = 1e-8;
  double lambda1 = 10.0;   // naturalness
  double lambda2 = 200.0;  // restoration
  int64_t eval_every = 1000;
  int64_t eval_images = 64;
};

struct EncoderTrainResult {
  int64_t step = 0;
  double train_loss = 0;
  double test_psnr = -1;       // held-out restoration PSNR with E (dB), after real 8-bit rounding
  double baseline_psnr = -1;   // the same without E
  double test_bpd_gap = -1;    // held-out |bits/dim gap| of the protected details under G
};

EncoderTrainResult train_encoder(const EncoderTrainOptions& options);

}  // namespace hipp::train
