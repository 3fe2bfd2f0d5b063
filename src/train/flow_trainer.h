#pragma once
// `hipp train flow`: maximum-likelihood training of a flow (Glow or wavelet) on image folders
// or packed sets, with warm-up and sample grids; the shared loop (train/loop.h) does gradient
// clipping, the NaN guard, timed checkpoints, resume and the JSON log.
#include <string>
#include <vector>

#include "flow/glow.h"
#include "flow/wavelet_flow.h"
#include "train/loop.h"
#include "train/training_data.h"

namespace hipp::train {

struct FlowTrainOptions : RunControl {
  std::vector<std::string> data;       // image folders/files, or packed sets (*.tensors)
  std::vector<std::string> test_data;  // held-out set given directly (then no split of `data`)
  std::string identity_file;  // CelebA identity list: split train/test by person
  double test_fraction = 0.05;
  double crop = 1.0;  // center square crop, as a fraction of the short side
  int size = 64;
  // Train on random patch x patch windows of the size x size images (0: whole images). A Glow
  // without a per-position prior is convolutional, so it then judges whole images at `size`.
  int patch = 0;
  bool patch_zoom = false;  // windows of random scale (data::random_patches), for any photo size
  std::string init;         // start from these weights (their architecture), with a fresh optimizer
  std::string arch = "glow";  // glow | wavelet
  std::string domain = "faces";  // recorded in the weights: faces | photos (hipp/models.h chooses by it)
  flow::GlowConfig config;     // arch glow
  flow::WaveletConfig wavelet; // arch wavelet
  int64_t batch = 32;
  int64_t iters = 10000;
  double lr = 1e-3;
  int64_t warmup = 500;
  double lr_final = -1;      // < 0: constant lr; else a cosine to this by `iters`
  int64_t decay_start = 0;   // step where the cosine starts
  int64_t eval_every = 1000;
  int64_t eval_images = 512;
  int64_t sample_every = 1000;
  double temperature = 0.7;
  // Gaussian noise (std in grey levels) added to training inputs. A flow trained so cannot
  // be sharper than this, which bounds how much it amplifies 8-bit rounding (HIPP).
  double noise = 0;
};


struct FlowTrainResult {
  int64_t step = 0;
  double train_bpd = 0;   // mean over the last log window
  double test_bpd = -1;   // last held-out evaluation (-1 if no held-out images)
  double images_per_second = 0;
};

FlowTrainResult train_flow(const FlowTrainOptions& options);

}  // namespace hipp::train
