#pragma once
// The training loop every trainer (flow, HIPP's encoder E, thumbnail attack) runs, so that
// they stop, checkpoint, resume, skip non-finite steps, clip and log alike. A trainer brings
// its model, data and loss as hooks; the loop owns the steps.
#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "io/tensor_file.h"
#include "train/adam.h"

namespace hipp::train {

// Non-finite steps (loss or gradient norm) in a row after which a run has diverged.
inline constexpr int kMaxNonFiniteSteps = 20;

// Where a run stands: in every checkpoint and weights record, read back on resume.
struct RunState {
  int64_t step = 0;         // "iterations"
  int64_t images_seen = 0;  // "images_seen"
  double seconds = 0;       // "train_seconds": training time, earlier runs included
  nlohmann::json to_json() const;
  // Also reads "step" and "seconds", the keys of flow checkpoints written before these.
  static RunState from_json(const nlohmann::json& record);
};

// What a run resumes from: <out>/checkpoint.weights (model and optimizer state) or, failing
// that, the model's weights alone (what a GPU session brings back when the checkpoint is too
// big), whose optimizer then starts afresh.
struct ResumePoint {
  bool full = false;       // a checkpoint, with the optimizer state
  std::string path;        // the file read, for error messages
  io::TensorFile file;     // its configuration keys ("config", "size", "block"...) are in file.meta
  nlohmann::json record;   // the training record: a checkpoint's meta, a weights file's "record"
  RunState state;
};

// Refuses to overwrite a model without `resume`, and to resume from nothing; `what` names
// the model in messages ("an encoder").
void check_out_folder(const std::string& out, const std::string& weights_path, bool resume, const std::string& what);
ResumePoint load_resume_point(const std::string& out, const std::string& weights_path);

// What every trainer's options share: where the run writes, how it stops, checkpoints and
// resumes, and what it may use.
struct RunControl {
  std::string out;  // output folder: weights, checkpoint.weights, train_log.jsonl
  bool resume = false;
  double clip = 50.0;  // gradient-norm clip
  double checkpoint_minutes = 5.0;
  double time_limit_minutes = 0;  // 0 = none; stops cleanly with a checkpoint
  int64_t log_every = 50;
  int64_t limit = 0;  // use at most this many training images (0 = all)
  std::string device = "cpu";
  uint64_t seed = 0;
};

struct LoopOptions {
  std::string label;  // of the progress line: "train flow"
  int64_t iters = 1;  // total steps, earlier runs included
  int64_t batch = 1;  // images per step
  LrSchedule lr;
  // Read here: out (train_log.jsonl's folder), clip, checkpoint_minutes, time_limit_minutes,
  // log_every, and resume (a resumed run that makes no step leaves its checkpoint alone).
  RunControl run;
};

struct LoopHooks {
  std::function<torch::Tensor()> loss;  // the loss of a fresh batch (a scalar)
  // After each update: evaluations, samples; returns the trainer's part of the progress line.
  std::function<std::string(int64_t step, double loss)> after_step;
  std::function<nlohmann::json()> log_fields;   // the trainer's own keys of a log line (optional)
  std::function<void(int64_t step)> at_end;     // before the final checkpoint (optional)
  std::function<void(const RunState&)> save;    // writes checkpoint and weights
};

struct LoopResult {
  RunState state;
  double loss = 0;  // mean over the last log window, or the steps after the last log line
  double images_per_second = 0;
};

// Steps until `iters`, --time-limit or Ctrl-C: zero_grad, backward, clip, Adam at the
// schedule's rate. A non-finite loss or gradient norm skips the update; kMaxNonFiniteSteps
// in a row throw. Logs every `log_every` steps and at the last, checkpoints every
// `checkpoint_minutes` and at the end.
LoopResult run_training(Adam& adam, const LoopOptions& options, RunState start, const LoopHooks& hooks);

}  // namespace hipp::train
