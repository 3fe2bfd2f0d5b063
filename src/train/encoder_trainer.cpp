#include "train/encoder_trainer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>

#include "common/device.h"
#include "common/error.h"
#include "flow/density.h"
#include "flow/model_file.h"
#include "hipp/hipp_core.h"
#include "hipp/orthogonal_mixing.h"
#include "hipp/range_fit.h"
#include "io/tensor_file.h"
#include "metrics/metrics.h"
#include "train/adam.h"
#include "train/loop.h"

namespace hipp::train {
namespace fs = std::filesystem;
using nlohmann::json;
using protect::Encoder;

namespace {

// Fresh random mixings for every thumbnail block of every image, per level, as HIPP's key
// would draw them (same family, same tiling as HippScheme).
struct BatchMixing {
  BatchMixing(const torch::Tensor& x, int block, int levels) {
    for (int k = 0; k < levels; ++k) {
      int64_t t = std::max(1, block >> (k + 1));
      int64_t h = x.size(2) >> (k + 1), w = x.size(3) >> (k + 1);
      mixings.push_back(protect::OrthogonalMixing::random(x.size(0) * (h / t) * (w / t), 3 * x.size(1) * t * t,
                                                          x.device()));
      tiles.push_back(t);
    }
  }
  torch::Tensor operator()(const torch::Tensor& z, int k, bool undo) const {
    auto rows = protect::block_rows(z, tiles[k]);
    auto m = undo ? mixings[k].undo(rows) : mixings[k].apply(rows);
    return protect::from_block_rows(m, z.size(0), z.size(1), z.size(2), z.size(3), tiles[k]);
  }
  std::vector<protect::OrthogonalMixing> mixings;
  std::vector<int64_t> tiles;
};

// What saving as an 8-bit PNG and reading back does to images in [-0.5, 0.5]
// (flow::postprocess, then flow::preprocess: bin centres): the forward value is exact, the
// gradient passes straight through.
torch::Tensor round_8bit(const torch::Tensor& x) {
  auto q = (torch::floor((x + 0.5) * 256.0).clamp(0, 255) + 0.5) / 256.0 - 0.5;
  return x + (q - x).detach();
}

struct Pass {
  torch::Tensor restored;  // [N,C,H,W] in [-0.5, 0.5]
  torch::Tensor bpd_gap;   // [N]: protected minus original bits/dim under G (detail levels)
};

// Protect, fit into the 8-bit range, round, restore: what hipp protect and restore do.
Pass protect_round_restore(flow::WaveletFlow& g, Encoder* e, const torch::Tensor& x, int block, int levels) {
  BatchMixing mix(x, block, levels);
  auto mixer = [&](const torch::Tensor& z, int k, bool undo) { return mix(z, k, undo); };
  protect::LevelLatents trace;
  auto prot = protect::hipp_transform(g, e, x, levels, mixer, false, &trace);
  auto codes = protect::range_codes(prot, block);
  auto saved = round_8bit(protect::scale_details(prot, codes, block, false));
  auto restored = protect::hipp_transform(g, e, protect::scale_details(saved, codes, block, true), levels, mixer, true);
  auto gap = torch::zeros({x.size(0)}, x.options());
  for (int k = 0; k < levels; ++k)
    gap = gap + 0.5 * (trace.out[k].pow(2) - trace.in[k].pow(2)).flatten(1).sum(1);
  return {restored, gap / (static_cast<double>(x[0].numel()) * std::log(2.0))};
}

// Summed over the batch, image by image.
double psnr_sum(const torch::Tensor& restored, const torch::Tensor& original_u8) {
  auto r = flow::postprocess(restored, 8).cpu();
  auto o = original_u8.cpu();
  double total = 0;
  for (int64_t i = 0; i < r.size(0); ++i) total += std::min(100.0, metrics::psnr_255(r[i], o[i]));
  return total;
}

}  // namespace

EncoderTrainResult train_encoder(const EncoderTrainOptions& o) {
  if (o.out.empty()) throw Error(ErrorKind::usage, "--out is required");
  if (o.flow.empty()) throw Error(ErrorKind::usage, "--flow is required");
  if (o.batch < 1 || o.iters < 1) throw Error(ErrorKind::usage, "--batch and --iters must be at least 1");
  if (!(o.lr > 0) || o.lambda1 < 0 || o.lambda2 <= 0) throw Error(ErrorKind::usage, "--lr and --lambda2 must be positive, --lambda1 >= 0");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string(),
                    weights_path = (out / protect::kEncoderWeightsName).string();
  check_out_folder(o.out, weights_path, o.resume, "an encoder");

  // The frozen flow G.
  auto fm = flow::load_flow(o.flow, device);
  auto g = std::dynamic_pointer_cast<flow::WaveletFlow>(fm.flow);
  if (!g) throw Error(o.flow + ": not a wavelet flow (HIPP's encoder needs one)");
  g->eval();
  for (auto& p : g->parameters()) p.set_requires_grad(false);
  const std::string flow_name = fs::path(fm.path).parent_path().filename().string();
  const double fingerprint = protect::flow_fingerprint(*g);
  const int max_levels = g->config().levels;

  // Encoder and optimizer, fresh or resumed (the stored configuration and block win).
  protect::EncoderConfig config = o.config;
  int block = o.block ? o.block : 1 << max_levels;
  RunState start;
  ResumePoint resume;
  if (o.resume) {
    resume = load_resume_point(o.out, weights_path);
    config = protect::encoder_config_from_json(resume.file.meta.at("config"), resume.path);
    block = resume.file.meta.at("block").get<int>();
    if (std::abs(resume.file.meta.value("flow_fingerprint", 0.0) - fingerprint) > 1e-9 * fingerprint)
      throw Error(resume.path + " was trained with another flow than " + o.flow);
    start = resume.state;
    spdlog::info("resuming {} at step {} (block {})", o.out, start.step, block);
  }
  int levels = 0;
  for (int k = 1; k <= max_levels; ++k)
    if (block == 1 << k) levels = k;
  if (!levels) throw Error(ErrorKind::usage, "--block " + std::to_string(block) + " is not offered by " + o.flow + " (2 .. " +
                           std::to_string(1 << max_levels) + ", powers of two)");
  config.levels = levels;
  auto enc = std::make_shared<Encoder>(config);
  std::map<std::string, torch::Tensor> adam_state;
  if (o.resume) adam_state = load_checkpoint_model(*enc, resume.file.tensors, resume.path);
  enc->to(device);
  enc->train();
  Adam adam(enc->parameters(), o.beta1, o.beta2, o.eps);
  if (!adam_state.empty()) adam.load_state(adam_state, resume.path);
  resume = {};

  const int size = fm.size;
  bool split = o.test_data.empty() && o.spec.test_fraction > 0;
  auto train_set = load_training_set(o.data, o.spec, split ? data::Split::Train : data::Split::All, size, o.limit, true);
  if (!train_set.images.defined()) throw Error("no training images left after the train/test split");
  auto test_set = split ? load_training_set(o.data, o.spec, data::Split::Test, size, o.eval_images, false)
                        : load_training_set(o.test_data, o.spec, data::Split::All, size, o.eval_images, false);
  spdlog::info("{} training images, {} held-out images, {}x{}, block {} ({} levels), flow {}",
               train_set.images.size(0), test_set.images.defined() ? test_set.images.size(0) : 0, size, size, block,
               levels, flow_name);
  fs::create_directories(out);

  EncoderTrainResult result;
  auto evaluate = [&](int64_t step) {
    if (!test_set.images.defined()) return;
    torch::NoGradGuard ng;
    enc->eval();
    double with = 0, without = 0, gap = 0;
    const int64_t n = test_set.images.size(0), b = std::min<int64_t>(o.batch, 16);
    for (int64_t i = 0; i < n; i += b) {
      auto u8 = test_set.images.slice(0, i, std::min(n, i + b)).to(device);
      auto x = flow::preprocess(u8, 8, false);
      torch::manual_seed(o.seed + 1 + i);  // the same mixings at every evaluation, with and without E
      auto r = protect_round_restore(*g, enc.get(), x, block, levels);
      torch::manual_seed(o.seed + 1 + i);
      auto r0 = protect_round_restore(*g, nullptr, x, block, levels);
      with += psnr_sum(r.restored, u8);
      without += psnr_sum(r0.restored, u8);
      gap += r.bpd_gap.abs().sum().item<double>();
    }
    result.test_psnr = with / n;
    result.baseline_psnr = without / n;
    result.test_bpd_gap = gap / n;
    torch::manual_seed(o.seed + 2 + step);
    enc->train();
  };
  json record = {{"flow", o.flow}, {"data", o.data}, {"test_data", o.test_data}, {"train_images", train_set.images.size(0)},
                 {"batch", o.batch}, {"lr", o.lr}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"eps", o.eps},
                 {"lambda1", o.lambda1}, {"lambda2", o.lambda2}, {"device", o.device}, {"libtorch", TORCH_VERSION}};
  LoopHooks hooks;
  hooks.save = [&](const RunState& st) {
    json r = record;
    r.update(st.to_json());
    r.update({{"test_psnr", result.test_psnr}, {"baseline_psnr", result.baseline_psnr},
              {"test_bpd_gap", result.test_bpd_gap}});
    io::TensorFile f;
    f.meta = {{"kind", "hipp-encoder-checkpoint"}, {"config", protect::config_to_json(config)}, {"block", block},
              {"flow", flow_name}, {"flow_fingerprint", fingerprint}};
    f.meta.update(r);
    f.tensors = io::module_state(*enc);
    for (auto& [k, v] : adam.state()) f.tensors[k] = v;
    io::save_tensor_file(ckpt_path, f);
    protect::save_encoder(weights_path, *enc, flow_name, fingerprint, block, r);
  };

  // The loss's two parts, of the last batch and summed over the log window.
  torch::Tensor mse, gap;
  double window_mse = 0, window_gap = 0;
  int64_t window_n = 0;
  hooks.loss = [&] {
    auto x = flow::preprocess(data::random_batch(train_set, o.batch, true).to(device), 8, false);
    auto pass = protect_round_restore(*g, enc.get(), x, block, levels);
    mse = (pass.restored - x).pow(2).mean();
    gap = pass.bpd_gap.abs().mean();
    return o.lambda1 * gap + o.lambda2 * mse;
  };
  hooks.after_step = [&](int64_t step, double) {
    double m = mse.item<double>(), d = gap.item<double>();
    window_mse += m;
    window_gap += d;
    ++window_n;
    if (o.eval_every > 0 && step % o.eval_every == 0) evaluate(step);
    return fmt::format("| PSNR {:.2f} dB | gap {:.4f} bpd", -10 * std::log10(m), d);
  };
  hooks.log_fields = [&] {
    json j = {{"train_psnr", 10 * std::log10(1.0 / std::max(1e-12, window_mse / window_n))},
              {"bpd_gap", window_gap / window_n}, {"test_psnr", result.test_psnr},
              {"baseline_psnr", result.baseline_psnr}};
    window_mse = window_gap = 0;
    window_n = 0;
    return j;
  };
  hooks.at_end = evaluate;
  // Clipped like the flow trainer (--clip 50): Adam's steps hardly depend on the gradients'
  // scale, so the clip changes a normal run little and bounds a blow-up.
  const LoopOptions loop{"train encoder", o.iters, o.batch, LrSchedule{o.lr, o.lr, 0, 0, 0, o.iters}, o};
  auto run = run_training(adam, loop, start, hooks);
  spdlog::info("held-out restoration {:.2f} dB with E, {:.2f} dB without; bits/dim gap {:.4f}", result.test_psnr,
               result.baseline_psnr, result.test_bpd_gap);
  spdlog::info("wrote {} (step {})", weights_path, run.state.step);
  result.step = run.state.step;
  result.train_loss = run.loss;
  return result;
}

}  // namespace hipp::train
