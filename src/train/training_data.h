#pragma once
// Loading what a trainer learns from: packed sets are taken whole; image folders are split
// (train/test, by identity when a list is given) and decoded. Shared by every trainer.
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "data/image_set.h"

namespace hipp::train {

// File names every trainer writes inside its output folder.
inline constexpr const char* kCheckpointName = "checkpoint.weights";
inline constexpr const char* kTrainLogName = "train_log.jsonl";

struct DataSpec {
  std::string identity_file;  // CelebA identity list: split train/test by person
  double test_fraction = 0.05;
  double crop = 1.0;  // center square crop, as a fraction of the short side
};

// Images at size x size; an empty set (images undefined) if the split leaves none. The
// trainer-only build (no image decoder) accepts packed sets only.
data::ImageSet load_training_set(const std::vector<std::string>& paths, const DataSpec& spec, data::Split split,
                                 int size, int64_t limit, bool show_progress);

// Loads a checkpoint's model tensors into `module` (names and shapes must match; errors name
// `where`) and returns the rest: the optimizer's "adam." state, for Adam::load_state.
std::map<std::string, torch::Tensor> load_checkpoint_model(torch::nn::Module& module,
                                                           const std::map<std::string, torch::Tensor>& tensors,
                                                           const std::string& where);

// Timed checkpoints: due() is true once per `minutes`, counted from construction or the last time it was.
class CheckpointClock {
 public:
  explicit CheckpointClock(double minutes) : period_(minutes * 60), last_(std::chrono::steady_clock::now()) {}
  bool due() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ <= period_) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::duration<double> period_;
  std::chrono::steady_clock::time_point last_;
};

// Sets a flag on SIGINT/SIGTERM while alive, so a trainer stops cleanly with a checkpoint.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  bool requested() const;
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

}  // namespace hipp::train
