#include "train/encoder_trainer.h"

#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "flow/density.h"
#include "flow/model_file.h"
#include "hipp/hipp_core.h"
#include "hipp/orthogonal_mixing.h"
#include "hipp/range_fit.h"
#include "io/tensor_file.h"
#include "metrics/metrics.h"
#include "train/adam.h"

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
  if (o.out.empty()) throw Error("--out is required");
  if (o.flow.empty()) throw Error("--flow is required");
  if (o.batch < 1 || o.iters < 1) throw Error("--batch and --iters must be at least 1");
  if (!(o.lr > 0) || o.lambda1 < 0 || o.lambda2 <= 0) throw Error("--lr and --lambda2 must be positive, --lambda1 >= 0");
  auto device = parse_device(o.device);
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  const std::string ckpt_path = (out / kCheckpointName).string(),
                    weights_path = (out / protect::kEncoderWeightsName).string();
  if (o.resume && !fs::exists(ckpt_path)) throw Error("--resume: " + o.out + " holds no " + kCheckpointName);
  if (!o.resume && (fs::exists(ckpt_path) || fs::exists(weights_path)))
    throw Error(o.out + " already holds an encoder: pass --resume to continue it, or choose another --out");

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
  int64_t step = 0, images_seen = 0;
  double seconds_before = 0;
  io::TensorFile ckpt;
  if (o.resume) {
    ckpt = io::load_tensor_file(ckpt_path);
    config = protect::encoder_config_from_json(ckpt.meta.at("config"), ckpt_path);
    block = ckpt.meta.at("block").get<int>();
    if (std::abs(ckpt.meta.value("flow_fingerprint", 0.0) - fingerprint) > 1e-9 * fingerprint)
      throw Error(ckpt_path + " was trained with another flow than " + o.flow);
    step = ckpt.meta.value("iterations", int64_t{0});
    images_seen = ckpt.meta.value("images_seen", int64_t{0});
    seconds_before = ckpt.meta.value("train_seconds", 0.0);
    spdlog::info("resuming {} at step {} (block {})", o.out, step, block);
  }
  int levels = 0;
  for (int k = 1; k <= max_levels; ++k)
    if (block == 1 << k) levels = k;
  if (!levels) throw Error("--block " + std::to_string(block) + " is not offered by " + o.flow + " (2 .. " +
                           std::to_string(1 << max_levels) + ", powers of two)");
  config.levels = levels;
  auto enc = std::make_shared<Encoder>(config);
  if (o.resume) {
    ckpt.tensors = load_checkpoint_model(*enc, ckpt.tensors, ckpt_path);
  }
  enc->to(device);
  enc->train();
  Adam adam(enc->parameters(), o.beta1, o.beta2, o.eps);
  if (!ckpt.tensors.empty()) adam.load_state(ckpt.tensors, ckpt_path);
  ckpt = {};

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
  auto evaluate = [&] {
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
  auto write_checkpoint = [&](double seconds) {
    json r = record;
    r.update({{"iterations", step}, {"images_seen", images_seen}, {"train_seconds", seconds},
              {"test_psnr", result.test_psnr}, {"baseline_psnr", result.baseline_psnr},
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

  std::ofstream log((out / kTrainLogName).string(), std::ios::app);
  StopOnSignal stop;
  Progress progress("train encoder", o.iters, step);
  CheckpointClock checkpoint_clock(o.checkpoint_minutes);
  const int64_t first_step = step;
  double window = 0, window_mse = 0, window_gap = 0;
  int64_t window_n = 0;
  while (step < o.iters && !stop.requested()) {
    if (o.time_limit_minutes > 0 && progress.elapsed_seconds() > o.time_limit_minutes * 60) break;
    auto x = flow::preprocess(data::random_batch(train_set, o.batch, true).to(device), 8, false);
    auto pass = protect_round_restore(*g, enc.get(), x, block, levels);
    auto mse = (pass.restored - x).pow(2).mean();
    auto gap = pass.bpd_gap.abs().mean();
    auto loss = o.lambda1 * gap + o.lambda2 * mse;
    if (!std::isfinite(loss.item<double>())) {
      spdlog::warn("step {}: non-finite loss, batch skipped", step);
      continue;
    }
    adam.zero_grad();
    loss.backward();
    adam.step(o.lr);
    ++step;
    images_seen += o.batch;
    window += loss.item<double>();
    window_mse += mse.item<double>();
    window_gap += gap.item<double>();
    ++window_n;
    if (o.eval_every > 0 && step % o.eval_every == 0) evaluate();
    double ips = (step - first_step) * o.batch / std::max(1e-9, progress.elapsed_seconds());
    if (step % o.log_every == 0 || step == o.iters) {
      result.train_loss = window / window_n;
      log << json{{"step", step}, {"loss", result.train_loss},
                  {"train_psnr", 10 * std::log10(1.0 / std::max(1e-12, window_mse / window_n))},
                  {"bpd_gap", window_gap / window_n}, {"test_psnr", result.test_psnr},
                  {"baseline_psnr", result.baseline_psnr}, {"images_per_s", ips},
                  {"seconds", seconds_before + progress.elapsed_seconds()}}.dump()
          << "\n" << std::flush;
      window = window_mse = window_gap = 0;
      window_n = 0;
    }
    char extra[128];
    std::snprintf(extra, sizeof extra, "| PSNR %.2f dB | gap %.4f bpd | %.1f img/s", -10 * std::log10(mse.item<double>()),
                  gap.item<double>(), ips);
    progress.update(step, extra);
    if (checkpoint_clock.due()) write_checkpoint(seconds_before + progress.elapsed_seconds());
  }
  if (window_n > 0) result.train_loss = window / window_n;
  evaluate();
  if (step > first_step || !o.resume) write_checkpoint(seconds_before + progress.elapsed_seconds());
  progress.finish(step);
  if (stop.requested()) spdlog::warn("interrupted at step {}: checkpoint written, continue with --resume", step);
  spdlog::info("held-out restoration {:.2f} dB with E, {:.2f} dB without; bits/dim gap {:.4f}", result.test_psnr,
               result.baseline_psnr, result.test_bpd_gap);
  spdlog::info("wrote {} (step {})", weights_path, step);
  result.step = step;
  return result;
}

}  // namespace hipp::train
