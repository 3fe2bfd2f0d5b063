#include "train/attack_trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <filesystem>

#include "common/device.h"
#include "common/error.h"
#include "io/tensor_file.h"
#include "metrics/metrics.h"
#include "train/adam.h"
#include "train/loop.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

AttackTrainResult train_attack(const AttackTrainOptions& o) {
  if (o.out.empty()) throw Error(ErrorKind::usage, "--out is required");
  if (o.batch < 1 || o.iters < 1) throw Error(ErrorKind::usage, "--batch and --iters must be at least 1");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string(), weights_path = (out / attack::kAttackWeightsName).string();
  check_out_folder(o.out, weights_path, o.resume, "an attack model");

  // Model and optimizer, fresh or resumed (the stored configuration wins).
  attack::ReconConfig config = o.config;
  int size = o.size;
  RunState start;
  ResumePoint resume;
  if (o.resume) {
    resume = load_resume_point(o.out, weights_path);
    config = attack::config_from_json(resume.file.meta.at("config"), resume.path);
    size = resume.file.meta.at("size").get<int>();
    start = resume.state;
    spdlog::info("resuming {} at step {} (block {}, size {})", o.out, start.step, config.block, size);
  }
  if (size % config.block) throw Error(ErrorKind::usage, "--size " + std::to_string(size) + " is not a multiple of --block");
  attack::ReconNet net(config);
  std::map<std::string, torch::Tensor> adam_state;
  if (o.resume) adam_state = load_checkpoint_model(*net, resume.file.tensors, resume.path);
  net->to(device);
  net->train();
  Adam adam(net->parameters(), 0.9, 0.999, 1e-8);
  if (!adam_state.empty()) adam.load_state(adam_state, resume.path);
  resume = {};

  bool split = o.test_data.empty() && o.spec.test_fraction > 0;
  auto train_set = load_training_set(o.data, o.spec, split ? data::Split::Train : data::Split::All, size, o.limit, true);
  if (!train_set.images.defined()) throw Error("no training images left after the train/test split");
  auto test_set = split ? load_training_set(o.data, o.spec, data::Split::Test, size, o.eval_images, false)
                        : load_training_set(o.test_data, o.spec, data::Split::All, size, o.eval_images, false);
  spdlog::info("{} training images, {} held-out images, {}x{}, block {}", train_set.images.size(0),
               test_set.images.defined() ? test_set.images.size(0) : 0, size, size, config.block);
  fs::create_directories(out);

  AttackTrainResult result;
  json record = {{"data", o.data}, {"test_data", o.test_data}, {"identity_file", o.spec.identity_file},
                 {"crop", o.spec.crop}, {"train_images", train_set.images.size(0)}, {"batch", o.batch},
                 {"lr", o.lr}, {"device", o.device}, {"libtorch", TORCH_VERSION}};
  LoopHooks hooks;
  hooks.save = [&](const RunState& st) {
    json r = record;
    r.update(st.to_json());
    r.update({{"test_psnr", result.test_psnr}, {"upsample_psnr", result.upsample_psnr}});
    io::TensorFile f;
    f.meta = {{"kind", "attack-checkpoint"}, {"config", attack::config_to_json(config)}, {"size", size}};
    f.meta.update(r);
    f.tensors = io::module_state(*net);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    attack::save_attack(weights_path, net, size, r);
  };
  hooks.loss = [&] {
    auto x = data::random_batch(train_set, o.batch, true).to(device).to(torch::kFloat32) / 255.0 - 0.5;
    auto y = net->forward(attack::block_mean(x, config.block));
    return (y.image - x).abs().mean() + o.coarse_weight * (y.coarse - attack::block_mean(x, 2)).abs().mean();
  };
  hooks.after_step = [](int64_t, double loss) { return fmt::format("| L1 {:.4f}", loss); };
  hooks.at_end = [&](int64_t) {
    if (!test_set.images.defined()) return;
    result.test_psnr = metrics::psnr_255(attack::reconstruct(net, test_set.images.to(device)), test_set.images);
    result.upsample_psnr = metrics::psnr_255(attack::upsample_thumbnail(test_set.images, config.block), test_set.images);
    net->train();
  };
  // Clipped like the flow trainer (--clip 50): Adam's steps hardly depend on the gradients'
  // scale, so the clip changes a normal run little and bounds a blow-up.
  const LoopOptions loop{"train attack", o.iters, o.batch, LrSchedule{o.lr, o.lr, 0, 0, 0, o.iters}, o};
  auto run = run_training(adam, loop, start, hooks);
  spdlog::info("wrote {} (step {})", weights_path, run.state.step);
  result.step = run.state.step;
  result.train_l1 = run.loss;
  return result;
}

}  // namespace hipp::train
