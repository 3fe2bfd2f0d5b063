#include "train/flow_trainer.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "data/image_set.h"
#include "flow/model_file.h"
#ifdef HIPP_WITH_IMAGES
#include "image/image.h"
#endif
#include "io/tensor_file.h"
#include "train/adam.h"
#include "train/training_data.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct RunState {
  int64_t step = 0;
  int64_t images_seen = 0;
  double seconds_before = 0;  // training time of earlier runs (resume)
  double test_bpd = -1;
};

void save_samples(flow::DensityFlow& model, const std::string& out, int size, int64_t step, double temperature) {
#ifdef HIPP_WITH_IMAGES
  torch::NoGradGuard ng;
  model.module().eval();
  auto x = model.sample(16, size, size, temperature);
  auto grid = image::make_grid(flow::postprocess(x, model.n_bits()).cpu(), 4);
  fs::create_directories(fs::path(out) / "samples");
  char name[64];
  std::snprintf(name, sizeof name, "step_%07ld.png", static_cast<long>(step));
  image::save_png((fs::path(out) / "samples" / name).string(), grid);
  model.module().train();
#endif  // the trainer-only build has no image encoder: render samples later with `hipp flow sample`
}

}  // namespace

FlowTrainResult train_flow(const FlowTrainOptions& o) {
  if (o.out.empty()) throw Error("--out is required");
  if (o.batch < 1 || o.iters < 1) throw Error("--batch and --iters must be at least 1");
  if (o.lr_final >= 0 && (o.decay_start < 0 || o.decay_start >= o.iters))
    throw Error("--decay-start must lie in [0, --iters) for the learning rate to anneal");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string();
  if (o.resume && !fs::exists(ckpt_path) && !fs::exists(flow::resolve_model_path(o.out)))
    throw Error("--resume: " + o.out + " holds neither " + kCheckpointName + " nor model weights");
  if (!o.resume && (fs::exists(ckpt_path) || fs::exists(flow::resolve_model_path(o.out))))
    throw Error(o.out + " already holds a model: pass --resume to continue it, or choose another --out");
  fs::create_directories(out);

  // Model and optimizer, fresh or from the checkpoint (whose configuration wins).
  std::string kind = o.arch;
  nlohmann::json config = kind == "glow" ? flow::config_to_json(o.config) : flow::config_to_json(o.wavelet);
  int size = o.size;
  RunState st;
  io::TensorFile ckpt;
  int64_t warm_start = 0;  // warm-up restarts when the optimizer state does
  if (o.resume) {
    // A full checkpoint carries the optimizer state; weights alone (all a GPU run can bring
    // back when the checkpoint is too big) resume with fresh Adam moments and a new warm-up.
    bool full = fs::exists(ckpt_path);
    ckpt = io::load_tensor_file(full ? ckpt_path : flow::resolve_model_path(o.out));
    auto rec = full ? ckpt.meta : ckpt.meta.value("record", json::object());
    kind = full ? ckpt.meta.value("model_kind", "glow") : ckpt.meta.value("kind", "glow");
    config = ckpt.meta.at("config");
    size = ckpt.meta.at("size").get<int>();
    st.step = rec.value(full ? "step" : "iterations", int64_t{0});
    st.images_seen = rec.value("images_seen", int64_t{0});
    st.seconds_before = rec.value(full ? "seconds" : "train_seconds", 0.0);
    st.test_bpd = rec.value("test_bpd", -1.0);
    if (!full) {
      warm_start = st.step;
      spdlog::warn("no {} in {}: resuming from the weights with a fresh optimizer state", kCheckpointName, o.out);
    }
    spdlog::info("resuming {} at step {} ({} flow, size {}, {})", o.out, st.step, kind, size, config.dump());
  }
  auto model = flow::make_flow(kind, config, o.resume ? ckpt_path : "--" + kind);
  const std::string weights_path = (out / flow::weights_name(kind)).string();
  auto& net = model->module();
  model->check_size(size, size);
  const int n_bits = model->n_bits();

  // Data: split by identity (or file name) unless a held-out set is given, then decode once.
  bool split = o.test_data.empty() && o.test_fraction > 0;
  const DataSpec spec{o.identity_file, o.test_fraction, o.crop};
  auto train_set = load_training_set(o.data, spec, split ? data::Split::Train : data::Split::All, size, o.limit, true);
  if (!train_set.images.defined()) throw Error("no training images left after the train/test split");
  auto test_set = split ? load_training_set(o.data, spec, data::Split::Test, size, o.eval_images, false)
                        : load_training_set(o.test_data, spec, data::Split::All, size, o.eval_images, false);
  torch::Tensor test_images = test_set.images;
  int64_t n_test = test_images.defined() ? test_images.size(0) : 0;
  spdlog::info("{} training images, {} held-out images, {}x{}", train_set.images.size(0), n_test, size, size);

  net.to(device);
  net.train();
  Adam adam(net.parameters(), 0.9, 0.999, 1e-8);
  if (o.resume) {
    auto adam_state = load_checkpoint_model(net, ckpt.tensors, ckpt_path);
    if (!adam_state.empty()) adam.load_state(adam_state, ckpt_path);
  } else {
    // Data-dependent ActNorm initialisation on one larger batch.
    torch::NoGradGuard ng;
    auto init = data::random_batch(train_set, std::min<int64_t>(256, train_set.images.size(0)), true);
    model->log_density(flow::preprocess(init.to(device), n_bits, true));
  }
  ckpt = {};

  const LrSchedule schedule{o.lr, o.lr_final < 0 ? o.lr : o.lr_final, o.warmup, warm_start, o.decay_start, o.iters};

  json record = {{"data", o.data},           {"domain", o.domain}, {"identity_file", o.identity_file}, {"crop", o.crop},
                 {"train_images", train_set.images.size(0)}, {"test_images", n_test},
                 {"test_data", o.test_data},
                 {"batch", o.batch},         {"lr", o.lr}, {"noise", o.noise},
                 {"lr_final", schedule.final_lr}, {"decay_start", o.decay_start},
                 {"device", o.device},       {"libtorch", TORCH_VERSION}};
  auto write_checkpoint = [&](double seconds) {
    io::TensorFile f;
    f.meta = {{"kind", "flow-checkpoint"}, {"model_kind", kind}, {"config", config}, {"size", size},
              {"step", st.step},            {"images_seen", st.images_seen},      {"seconds", seconds},
              {"test_bpd", st.test_bpd}};
    f.tensors = io::module_state(net);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    json r = record;
    r.update({{"iterations", st.step}, {"images_seen", st.images_seen}, {"train_seconds", seconds},
              {"test_bpd", st.test_bpd}});
    flow::save_flow(weights_path, *model, size, r);
  };

  std::ofstream log((out / kTrainLogName).string(), std::ios::app);
  StopOnSignal stop;

  const int64_t dims = 3LL * size * size;
  Progress progress("train flow", o.iters, st.step);
  CheckpointClock checkpoint_clock(o.checkpoint_minutes);
  double window_bpd = 0;
  int64_t window_n = 0, bad_steps = 0, last_eval_step = -1;
  FlowTrainResult result;
  int64_t first_step = st.step;
  while (st.step < o.iters && !stop.requested()) {
    if (o.time_limit_minutes > 0 && progress.elapsed_seconds() > o.time_limit_minutes * 60) {
      spdlog::info("time limit reached at step {}", st.step);
      break;
    }
    auto x = flow::preprocess(data::random_batch(train_set, o.batch, true).to(device), n_bits, true);
    if (o.noise > 0) x = x + torch::randn_like(x) * (o.noise / 256.0);
    auto bpd = flow::bits_per_dim(model->log_density(x), dims, n_bits).mean();
    adam.zero_grad();
    bpd.backward();
    double gnorm = torch::nn::utils::clip_grad_norm_(net.parameters(), o.clip);
    double loss = bpd.item<double>();
    if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
      // NaN guard: skip the update; persistent NaNs mean the run has diverged.
      if (++bad_steps > 20) throw Error("training diverged: 20 consecutive non-finite steps; lower --lr");
      spdlog::warn("step {}: non-finite loss or gradient, update skipped", st.step);
      continue;
    }
    bad_steps = 0;
    double lr = schedule.at(st.step);
    adam.step(lr);
    ++st.step;
    st.images_seen += o.batch;
    window_bpd += loss;
    ++window_n;

    bool last = st.step == o.iters;
    if (o.eval_every > 0 && test_images.defined() && (st.step % o.eval_every == 0 || last)) {
      st.test_bpd = flow::mean_bits_per_dim(*model, test_images, o.batch, device);
      last_eval_step = st.step;
      net.train();
    }
    if (o.sample_every > 0 && (st.step % o.sample_every == 0 || last))
      save_samples(*model, o.out, size, st.step, o.temperature);
    double ips = (st.step - first_step) * o.batch / std::max(1e-9, progress.elapsed_seconds());
    if (st.step % o.log_every == 0 || last) {
      result.train_bpd = window_bpd / window_n;
      log << json{{"step", st.step},
                  {"train_bpd", result.train_bpd},
                  {"test_bpd", st.test_bpd},
                  {"lr", lr},
                  {"grad_norm", gnorm},
                  {"images_per_s", ips},
                  {"seconds", st.seconds_before + progress.elapsed_seconds()}}
                 .dump()
          << "\n"
          << std::flush;
      window_bpd = 0;
      window_n = 0;
    }
    char extra[128], test[32] = "n/a";
    if (st.test_bpd >= 0) std::snprintf(test, sizeof test, "%.4f", st.test_bpd);
    std::snprintf(extra, sizeof extra, "| loss %.4f bpd | test %s | %.1f img/s", loss, test, ips);
    progress.update(st.step, extra);
    result.images_per_second = ips;
    if (checkpoint_clock.due()) write_checkpoint(st.seconds_before + progress.elapsed_seconds());
  }
  if (window_n > 0 && result.train_bpd == 0) result.train_bpd = window_bpd / window_n;  // stopped before a log line
  if (test_images.defined() && st.step > first_step && st.step != last_eval_step) {
    st.test_bpd = flow::mean_bits_per_dim(*model, test_images, o.batch, device);
    spdlog::info("held-out bits/dim {:.4f} at step {}", st.test_bpd, st.step);
  }
  if (st.step > first_step || !o.resume) write_checkpoint(st.seconds_before + progress.elapsed_seconds());
  progress.finish(st.step);
  if (stop.requested()) spdlog::warn("interrupted at step {}: checkpoint written, continue with --resume", st.step);
  spdlog::info("wrote {} (step {})", weights_path, st.step);
  result.step = st.step;
  result.test_bpd = st.test_bpd;
  return result;
}

}  // namespace hipp::train
