#include "train/loop.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/progress.h"
#include "train/training_data.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

json RunState::to_json() const {
  return {{"iterations", step}, {"images_seen", images_seen}, {"train_seconds", seconds}};
}

RunState RunState::from_json(const json& r) {
  RunState s;
  s.step = r.value("iterations", r.value("step", int64_t{0}));
  s.images_seen = r.value("images_seen", int64_t{0});
  s.seconds = r.value("train_seconds", r.value("seconds", 0.0));
  return s;
}

void check_out_folder(const std::string& out, const std::string& weights_path, bool resume, const std::string& what) {
  bool has_ckpt = fs::exists(fs::path(out) / kCheckpointName), has_weights = fs::exists(weights_path);
  if (resume && !has_ckpt && !has_weights)
    throw Error(ErrorKind::usage, "--resume: " + out + " holds neither " + kCheckpointName + " nor model weights");
  if (!resume && (has_ckpt || has_weights))
    throw Error(ErrorKind::usage, out + " already holds " + what + ": pass --resume to continue it, or choose another --out");
}

ResumePoint load_resume_point(const std::string& out, const std::string& weights_path) {
  ResumePoint p;
  const std::string ckpt_path = (fs::path(out) / kCheckpointName).string();
  p.full = fs::exists(ckpt_path);
  p.path = p.full ? ckpt_path : weights_path;
  p.file = io::load_tensor_file(p.path);
  p.record = p.full ? p.file.meta : p.file.meta.value("record", json::object());
  p.state = RunState::from_json(p.record);
  if (!p.full)
    spdlog::warn("no {} in {}: resuming from the weights with a fresh optimizer state", kCheckpointName, out);
  return p;
}

LoopResult run_training(Adam& adam, const LoopOptions& o, RunState start, const LoopHooks& hooks) {
  RunState st = start;
  std::ofstream log((fs::path(o.run.out) / kTrainLogName).string(), std::ios::app);
  StopOnSignal stop;
  Progress progress(o.label, o.iters, st.step);
  CheckpointClock checkpoint_clock(o.run.checkpoint_minutes);
  auto seconds = [&] { return start.seconds + progress.elapsed_seconds(); };
  LoopResult result;
  double window = 0;
  int64_t window_n = 0, skipped = 0, bad_in_a_row = 0;
  while (st.step < o.iters && !stop.requested()) {
    if (o.run.time_limit_minutes > 0 && progress.elapsed_seconds() > o.run.time_limit_minutes * 60) {
      spdlog::info("time limit reached at step {}", st.step);
      break;
    }
    auto loss_t = hooks.loss();
    adam.zero_grad();
    loss_t.backward();
    double gnorm = torch::nn::utils::clip_grad_norm_(adam.params(), o.run.clip);
    double loss = loss_t.item<double>();
    if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
      // Skip the update; persistent non-finite steps mean the run has diverged.
      if (++bad_in_a_row >= kMaxNonFiniteSteps)
        throw Error("training diverged: " + std::to_string(kMaxNonFiniteSteps) +
                    " non-finite steps in a row at step " + std::to_string(st.step) + "; lower --lr");
      ++skipped;
      spdlog::warn("step {}: non-finite loss or gradient, update skipped", st.step);
      continue;
    }
    bad_in_a_row = 0;
    double lr = o.lr.at(st.step);
    adam.step(lr);
    ++st.step;
    st.images_seen += o.batch;
    window += loss;
    ++window_n;
    std::string extra = hooks.after_step(st.step, loss);
    result.images_per_second = (st.step - start.step) * o.batch / std::max(1e-9, progress.elapsed_seconds());
    if (st.step % o.run.log_every == 0 || st.step == o.iters) {
      result.loss = window / window_n;
      json line = {{"step", st.step},     {"loss", result.loss},     {"lr", lr},
                   {"grad_norm", gnorm},  {"images_seen", st.images_seen},
                   {"images_per_s", result.images_per_second},     {"seconds", seconds()},
                   {"skipped", skipped}};
      if (hooks.log_fields) line.update(hooks.log_fields());
      log << line.dump() << "\n" << std::flush;
      window = 0;
      window_n = skipped = 0;
    }
    char rate[48];
    std::snprintf(rate, sizeof rate, " | %.1f img/s", result.images_per_second);
    progress.update(st.step, extra + rate);
    if (checkpoint_clock.due()) {
      st.seconds = seconds();
      hooks.save(st);
    }
  }
  if (window_n > 0) result.loss = window / window_n;
  if (hooks.at_end) hooks.at_end(st.step);
  st.seconds = seconds();
  if (st.step > start.step || !o.run.resume) hooks.save(st);
  progress.finish(st.step);
  if (stop.requested()) spdlog::warn("interrupted at step {}: checkpoint written, continue with --resume", st.step);
  result.state = st;
  return result;
}

}  // namespace hipp::train
