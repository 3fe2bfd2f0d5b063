#include "train/flow_trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <filesystem>

#include "common/device.h"
#include "common/error.h"
#include "data/image_set.h"
#include "flow/model_file.h"
#ifdef HIPP_WITH_IMAGES
#include "image/image.h"
#endif
#include "io/tensor_file.h"
#include "train/adam.h"
#include "train/loop.h"
#include "train/training_data.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

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
  if (o.out.empty()) throw Error(ErrorKind::usage, "--out is required");
  if (o.batch < 1 || o.iters < 1) throw Error(ErrorKind::usage, "--batch and --iters must be at least 1");
  if (o.lr_final >= 0 && (o.decay_start < 0 || o.decay_start >= o.iters))
    throw Error(ErrorKind::usage, "--decay-start must lie in [0, --iters) for the learning rate to anneal");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  check_out_folder(o.out, flow::resolve_model_path(o.out), o.resume, "a model");
  fs::create_directories(out);

  // Model and optimizer, fresh or resumed (the stored configuration wins).
  std::string kind = o.arch;
  nlohmann::json config = kind == "glow" ? flow::config_to_json(o.config) : flow::config_to_json(o.wavelet);
  int size = o.size;
  int patch_arg = o.patch;
  bool zoom = o.patch_zoom;
  if (o.resume && !o.init.empty()) throw Error(ErrorKind::usage, "--init starts a new run; it cannot be combined with --resume");
  RunState start;
  double test_bpd = -1;
  ResumePoint resume;
  int64_t warm_start = 0;  // warm-up restarts when the optimizer state does
  if (o.resume) {
    resume = load_resume_point(o.out, flow::resolve_model_path(o.out));
    kind = resume.full ? resume.file.meta.value("model_kind", "glow") : resume.file.meta.value("kind", "glow");
    config = resume.file.meta.at("config");
    size = resume.file.meta.at("size").get<int>();
    start = resume.state;
    test_bpd = resume.record.value("test_bpd", -1.0);
    if (!resume.full) warm_start = start.step;
    if (patch_arg == 0) patch_arg = resume.record.value("patch", 0);  // a resumed run keeps its patches
    zoom = zoom || resume.record.value("patch_zoom", false);
    spdlog::info("resuming {} at step {} ({} flow, size {}, {})", o.out, start.step, kind, size, config.dump());
  }
  std::shared_ptr<flow::DensityFlow> model;
  if (!o.init.empty()) {
    auto init = flow::load_flow(o.init, torch::kCPU);
    model = init.flow;
    kind = init.kind;
    config = model->config_json();
    spdlog::info("starting from {} ({} flow, {})", init.path, kind, config.dump());
  } else {
    model = flow::make_flow(kind, config, o.resume ? resume.path : "--" + kind);
  }
  const std::string weights_path = (out / flow::weights_name(kind)).string();
  auto& net = model->module();
  model->check_size(size, size);
  if (patch_arg < 0 || patch_arg > size) throw Error(ErrorKind::usage, "--patch must lie in [0, --size]");
  const int patch = patch_arg > 0 ? patch_arg : size;
  const auto& glow_config = kind == "glow" ? config : config.value("base", nlohmann::json::object());
  if (patch != size && glow_config.value("top_prior_size", 0) != 0)
    throw Error(ErrorKind::usage, "--patch needs a flow without a per-position prior (one that takes any size)");
  if (zoom && patch == size) throw Error(ErrorKind::usage, "--patch-zoom needs --patch smaller than --size");
  model->check_size(patch, patch);
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
    auto adam_state = load_checkpoint_model(net, resume.file.tensors, resume.path);
    if (!adam_state.empty()) adam.load_state(adam_state, resume.path);
  } else if (o.init.empty()) {
    // Data-dependent ActNorm initialisation on one larger batch.
    torch::NoGradGuard ng;
    auto init = data::random_patches(data::random_batch(train_set, std::min<int64_t>(256, train_set.images.size(0)), true), patch, zoom);
    model->log_density(flow::preprocess(init.to(device), n_bits, true));
  }
  resume = {};

  const LrSchedule schedule{o.lr, o.lr_final < 0 ? o.lr : o.lr_final, o.warmup, warm_start, o.decay_start, o.iters};

  json record = {{"data", o.data},           {"domain", o.domain}, {"identity_file", o.identity_file}, {"crop", o.crop},
                 {"patch", patch}, {"patch_zoom", zoom}, {"init", o.init}, {"train_images", train_set.images.size(0)}, {"test_images", n_test},
                 {"test_data", o.test_data},
                 {"batch", o.batch},         {"lr", o.lr}, {"noise", o.noise},
                 {"lr_final", schedule.final_lr}, {"decay_start", o.decay_start},
                 {"device", o.device},       {"libtorch", TORCH_VERSION}};
  const std::string ckpt_path = (out / kCheckpointName).string();
  LoopHooks hooks;
  hooks.save = [&](const RunState& st) {
    json r = record;
    r.update(st.to_json());
    r["test_bpd"] = test_bpd;
    io::TensorFile f;
    f.meta = {{"kind", "flow-checkpoint"}, {"model_kind", kind}, {"config", config}, {"size", size}};
    f.meta.update(r);
    f.tensors = io::module_state(net);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    flow::save_flow(weights_path, *model, size, r);
  };

  const int64_t dims = 3LL * patch * patch;
  int64_t last_eval_step = -1;
  hooks.loss = [&] {
    auto x = flow::preprocess(data::random_patches(data::random_batch(train_set, o.batch, true), patch, zoom).to(device), n_bits, true);
    if (o.noise > 0) x = x + torch::randn_like(x) * (o.noise / 256.0);
    return flow::bits_per_dim(model->log_density(x), dims, n_bits).mean();
  };
  hooks.after_step = [&](int64_t step, double loss) {
    bool last = step == o.iters;
    if (o.eval_every > 0 && test_images.defined() && (step % o.eval_every == 0 || last)) {
      test_bpd = flow::mean_bits_per_dim(*model, test_images, o.batch, device);
      last_eval_step = step;
      net.train();
    }
    if (o.sample_every > 0 && (step % o.sample_every == 0 || last))
      save_samples(*model, o.out, size, step, o.temperature);
    return test_bpd >= 0 ? fmt::format("| loss {:.4f} bpd | test {:.4f}", loss, test_bpd)
                         : fmt::format("| loss {:.4f} bpd | test n/a", loss);
  };
  hooks.log_fields = [&] { return json{{"test_bpd", test_bpd}}; };
  hooks.at_end = [&](int64_t step) {
    if (test_images.defined() && step > start.step && step != last_eval_step) {
      test_bpd = flow::mean_bits_per_dim(*model, test_images, o.batch, device);
      spdlog::info("held-out bits/dim {:.4f} at step {}", test_bpd, step);
    }
  };
  const LoopOptions loop{"train flow", o.iters, o.batch, schedule, o};
  auto run = run_training(adam, loop, start, hooks);
  spdlog::info("wrote {} (step {})", weights_path, run.state.step);
  return {run.state.step, run.loss, test_bpd, run.images_per_second};
}

}  // namespace hipp::train
