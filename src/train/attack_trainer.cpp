#include "train/attack_trainer.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "io/tensor_file.h"
#include "metrics/metrics.h"
#include "train/adam.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

AttackTrainResult train_attack(const AttackTrainOptions& o) {
  if (o.out.empty()) throw Error("--out is required");
  if (o.batch < 1 || o.iters < 1) throw Error("--batch and --iters must be at least 1");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string(), weights_path = (out / attack::kAttackWeightsName).string();
  if (o.resume && !fs::exists(ckpt_path) && !fs::exists(weights_path))
    throw Error("--resume: " + o.out + " holds neither " + kCheckpointName + " nor " + attack::kAttackWeightsName);
  if (!o.resume && (fs::exists(ckpt_path) || fs::exists(weights_path)))
    throw Error(o.out + " already holds an attack model: pass --resume to continue it, or choose another --out");

  // Model and optimizer, fresh or resumed (the stored configuration wins).
  attack::ReconConfig config = o.config;
  int size = o.size;
  int64_t step = 0, images_seen = 0;
  double seconds_before = 0;
  io::TensorFile ckpt;
  if (o.resume) {
    bool full = fs::exists(ckpt_path);
    ckpt = io::load_tensor_file(full ? ckpt_path : weights_path);
    config = attack::config_from_json(ckpt.meta.at("config"), ckpt_path);
    size = ckpt.meta.at("size").get<int>();
    auto rec = full ? ckpt.meta : ckpt.meta.value("record", json::object());
    step = rec.value("iterations", int64_t{0});
    images_seen = rec.value("images_seen", int64_t{0});
    seconds_before = rec.value("train_seconds", 0.0);
    spdlog::info("resuming {} at step {} (block {}, size {})", o.out, step, config.block, size);
  }
  if (size % config.block) throw Error("--size " + std::to_string(size) + " is not a multiple of --block");
  attack::ReconNet net(config);
  if (o.resume) {
    ckpt.tensors = load_checkpoint_model(*net, ckpt.tensors, ckpt_path);
  }
  net->to(device);
  net->train();
  Adam adam(net->parameters(), 0.9, 0.999, 1e-8);
  if (!ckpt.tensors.empty()) adam.load_state(ckpt.tensors, ckpt_path);
  ckpt = {};

  bool split = o.test_data.empty() && o.spec.test_fraction > 0;
  auto train_set = load_training_set(o.data, o.spec, split ? data::Split::Train : data::Split::All, size, o.limit, true);
  if (!train_set.images.defined()) throw Error("no training images left after the train/test split");
  auto test_set = split ? load_training_set(o.data, o.spec, data::Split::Test, size, o.eval_images, false)
                        : load_training_set(o.test_data, o.spec, data::Split::All, size, o.eval_images, false);
  spdlog::info("{} training images, {} held-out images, {}x{}, block {}", train_set.images.size(0),
               test_set.images.defined() ? test_set.images.size(0) : 0, size, size, config.block);
  fs::create_directories(out);

  AttackTrainResult result;
  auto evaluate = [&] {
    if (!test_set.images.defined()) return;
    result.test_psnr = metrics::psnr_255(attack::reconstruct(net, test_set.images.to(device)), test_set.images);
    result.upsample_psnr = metrics::psnr_255(attack::upsample_thumbnail(test_set.images, config.block), test_set.images);
    net->train();
  };
  json record = {{"data", o.data}, {"test_data", o.test_data}, {"identity_file", o.spec.identity_file},
                 {"crop", o.spec.crop}, {"train_images", train_set.images.size(0)}, {"batch", o.batch},
                 {"lr", o.lr}, {"device", o.device}, {"libtorch", TORCH_VERSION}};
  auto write_checkpoint = [&](double seconds) {
    json r = record;
    r.update({{"iterations", step}, {"images_seen", images_seen}, {"train_seconds", seconds},
              {"test_psnr", result.test_psnr}, {"upsample_psnr", result.upsample_psnr}});
    io::TensorFile f;
    f.meta = {{"kind", "attack-checkpoint"}, {"config", attack::config_to_json(config)}, {"size", size}};
    f.meta.update(r);
    f.tensors = io::module_state(*net);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    attack::save_attack(weights_path, net, size, r);
  };

  std::ofstream log((out / kTrainLogName).string(), std::ios::app);
  StopOnSignal stop;
  Progress progress("train attack", o.iters, step);
  CheckpointClock checkpoint_clock(o.checkpoint_minutes);
  const int64_t first_step = step;
  double window = 0;
  int64_t window_n = 0;
  while (step < o.iters && !stop.requested()) {
    if (o.time_limit_minutes > 0 && progress.elapsed_seconds() > o.time_limit_minutes * 60) break;
    auto x = data::random_batch(train_set, o.batch, true).to(device).to(torch::kFloat32) / 255.0 - 0.5;
    auto y = net->forward(attack::block_mean(x, config.block));
    auto loss = (y.image - x).abs().mean() + o.coarse_weight * (y.coarse - attack::block_mean(x, 2)).abs().mean();
    adam.zero_grad();
    loss.backward();
    adam.step(o.lr);
    ++step;
    images_seen += o.batch;
    window += loss.item<double>();
    ++window_n;
    double ips = (step - first_step) * o.batch / std::max(1e-9, progress.elapsed_seconds());
    if (step % o.log_every == 0 || step == o.iters) {
      result.train_l1 = window / window_n;
      log << json{{"step", step}, {"loss", result.train_l1}, {"images_per_s", ips},
                  {"seconds", seconds_before + progress.elapsed_seconds()}}.dump()
          << "\n" << std::flush;
      window = 0;
      window_n = 0;
    }
    char extra[96];
    std::snprintf(extra, sizeof extra, "| L1 %.4f | %.1f img/s", loss.item<double>(), ips);
    progress.update(step, extra);
    if (checkpoint_clock.due()) write_checkpoint(seconds_before + progress.elapsed_seconds());
  }
  if (window_n > 0) result.train_l1 = window / window_n;
  evaluate();
  if (step > first_step || !o.resume) write_checkpoint(seconds_before + progress.elapsed_seconds());
  progress.finish(step);
  if (stop.requested()) spdlog::warn("interrupted at step {}: checkpoint written, continue with --resume", step);
  spdlog::info("wrote {} (step {})", weights_path, step);
  result.step = step;
  return result;
}

}  // namespace hipp::train
