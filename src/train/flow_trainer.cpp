#include "train/flow_trainer.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <atomic>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "data/image_folder.h"
#include "flow/glow_file.h"
#include "image/image.h"
#include "io/tensor_file.h"
#include "train/adam.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

struct RunState {
  int64_t step = 0;
  int64_t images_seen = 0;
  double seconds_before = 0;  // training time of earlier runs (resume)
  double test_bpd = -1;
};

void save_samples(flow::Glow& glow, const std::string& out, int size, int64_t step, double temperature,
                  torch::Device device) {
  torch::NoGradGuard ng;
  glow.eval();
  auto x = glow.sample(16, size, size, temperature);
  auto grid = image::make_grid(flow::postprocess(x, glow.config().n_bits).cpu(), 4);
  fs::create_directories(fs::path(out) / "samples");
  char name[64];
  std::snprintf(name, sizeof name, "step_%07ld.png", static_cast<long>(step));
  image::save_png((fs::path(out) / "samples" / name).string(), grid);
  glow.train();
}

}  // namespace

FlowTrainResult train_flow(const FlowTrainOptions& o) {
  if (o.out.empty()) throw Error("--out is required");
  if (o.batch < 1 || o.iters < 1) throw Error("--batch and --iters must be at least 1");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string();
  const std::string weights_path = (out / flow::kGlowWeightsName).string();
  if (o.resume && !fs::exists(ckpt_path)) throw Error("--resume: " + ckpt_path + " does not exist");
  if (!o.resume && (fs::exists(ckpt_path) || fs::exists(weights_path)))
    throw Error(o.out + " already holds a model: pass --resume to continue it, or choose another --out");
  fs::create_directories(out);

  // Model and optimizer, fresh or from the checkpoint (whose configuration wins).
  flow::GlowConfig config = o.config;
  int size = o.size;
  RunState st;
  io::TensorFile ckpt;
  if (o.resume) {
    ckpt = io::load_tensor_file(ckpt_path);
    config = flow::config_from_json(ckpt.meta.at("config"), ckpt_path);
    size = ckpt.meta.at("size").get<int>();
    st.step = ckpt.meta.at("step").get<int64_t>();
    st.images_seen = ckpt.meta.at("images_seen").get<int64_t>();
    st.seconds_before = ckpt.meta.at("seconds").get<double>();
    st.test_bpd = ckpt.meta.value("test_bpd", -1.0);
    spdlog::info("resuming {} at step {} (size {}, {} levels x {} steps, hidden {})", o.out, st.step, size,
                 config.levels, config.steps, config.hidden);
  }
  auto glow = std::make_shared<flow::Glow>(config);
  glow->check_size(size, size);

  // Data: split by identity (or file name), then decode into memory once.
  auto files = data::list_images(o.data);
  auto train_files = o.test_fraction > 0 ? data::select_split(files, data::Split::Train, o.identity_file, o.test_fraction)
                                         : files;
  auto test_files = o.test_fraction > 0 ? data::select_split(files, data::Split::Test, o.identity_file, o.test_fraction)
                                        : std::vector<std::string>{};
  if (train_files.empty()) throw Error("no training images left after the train/test split");
  if (o.limit > 0 && static_cast<int64_t>(train_files.size()) > o.limit) train_files.resize(o.limit);
  if (static_cast<int64_t>(test_files.size()) > o.eval_images) test_files.resize(o.eval_images);
  spdlog::info("{} training images, {} held-out images, {}x{}", train_files.size(), test_files.size(), size, size);
  auto train_set = data::load_images(train_files, size, o.crop, true);
  torch::Tensor test_images;
  if (!test_files.empty()) test_images = data::load_images(test_files, size, o.crop, false).images;

  glow->to(device);
  glow->train();
  Adam adam(glow->parameters(), 0.9, 0.999, 1e-8);
  if (o.resume) {
    std::map<std::string, torch::Tensor> model_state, adam_state;
    for (auto& [k, v] : ckpt.tensors) (k.rfind("adam.", 0) == 0 ? adam_state : model_state)[k] = v;
    io::load_module_state(*glow, model_state, ckpt_path);
    adam.load_state(adam_state, ckpt_path);
  } else {
    // Data-dependent ActNorm initialisation on one larger batch.
    torch::NoGradGuard ng;
    auto init = data::random_batch(train_set, std::min<int64_t>(256, train_set.images.size(0)), true);
    glow->encode(flow::preprocess(init.to(device), config.n_bits, true));
  }
  ckpt = {};

  json record = {{"data", o.data},           {"identity_file", o.identity_file}, {"crop", o.crop},
                 {"train_images", train_set.images.size(0)}, {"test_images", test_files.size()},
                 {"batch", o.batch},         {"lr", o.lr},
                 {"device", o.device},       {"libtorch", TORCH_VERSION}};
  auto write_checkpoint = [&](double seconds) {
    io::TensorFile f;
    f.meta = {{"kind", "glow-checkpoint"}, {"config", flow::config_to_json(config)}, {"size", size},
              {"step", st.step},            {"images_seen", st.images_seen},      {"seconds", seconds},
              {"test_bpd", st.test_bpd}};
    f.tensors = io::module_state(*glow);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    json r = record;
    r.update({{"iterations", st.step}, {"images_seen", st.images_seen}, {"train_seconds", seconds},
              {"test_bpd", st.test_bpd}});
    flow::save_glow(weights_path, *glow, size, r);
  };

  std::ofstream log((out / kTrainLogName).string(), std::ios::app);
  g_stop = false;
  auto old_int = std::signal(SIGINT, on_signal);
  auto old_term = std::signal(SIGTERM, on_signal);

  const int64_t dims = 3LL * size * size;
  Progress progress("train flow", o.iters, st.step);
  auto last_ckpt = std::chrono::steady_clock::now();
  double window_bpd = 0;
  int64_t window_n = 0, bad_steps = 0;
  FlowTrainResult result;
  int64_t first_step = st.step;
  while (st.step < o.iters && !g_stop) {
    if (o.time_limit_minutes > 0 && progress.elapsed_seconds() > o.time_limit_minutes * 60) {
      spdlog::info("time limit reached at step {}", st.step);
      break;
    }
    auto x = flow::preprocess(data::random_batch(train_set, o.batch, true).to(device), config.n_bits, true);
    auto bpd = flow::bits_per_dim(glow->encode(x), dims, config.n_bits).mean();
    adam.zero_grad();
    bpd.backward();
    double gnorm = torch::nn::utils::clip_grad_norm_(glow->parameters(), o.clip);
    double loss = bpd.item<double>();
    if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
      // NaN guard: skip the update; persistent NaNs mean the run has diverged.
      if (++bad_steps > 20) throw Error("training diverged: 20 consecutive non-finite steps; lower --lr");
      spdlog::warn("step {}: non-finite loss or gradient, update skipped", st.step);
      continue;
    }
    bad_steps = 0;
    double lr = o.lr * std::min(1.0, static_cast<double>(st.step + 1) / std::max<int64_t>(1, o.warmup));
    adam.step(lr);
    ++st.step;
    st.images_seen += o.batch;
    window_bpd += loss;
    ++window_n;

    bool last = st.step == o.iters;
    if (o.eval_every > 0 && test_images.defined() && (st.step % o.eval_every == 0 || last)) {
      st.test_bpd = flow::mean_bits_per_dim(*glow, test_images, o.batch, device);
      glow->train();
    }
    if (o.sample_every > 0 && (st.step % o.sample_every == 0 || last))
      save_samples(*glow, o.out, size, st.step, o.temperature, device);
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
    if (std::chrono::steady_clock::now() - last_ckpt > std::chrono::duration<double>(o.checkpoint_minutes * 60)) {
      write_checkpoint(st.seconds_before + progress.elapsed_seconds());
      last_ckpt = std::chrono::steady_clock::now();
    }
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (st.step > first_step || !o.resume) write_checkpoint(st.seconds_before + progress.elapsed_seconds());
  progress.finish(st.step);
  if (g_stop) spdlog::warn("interrupted at step {}: checkpoint written, continue with --resume", st.step);
  spdlog::info("wrote {} (step {})", weights_path, st.step);
  result.step = st.step;
  result.test_bpd = st.test_bpd;
  return result;
}

}  // namespace hipp::train
