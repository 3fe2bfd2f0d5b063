// hipp flow eval | sample | recon | fit-prior: inspect a trained flow, or refit its top prior.
#include <spdlog/spdlog.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "data/image_folder.h"
#include "flow/model_file.h"
#include "image/image.h"
#include "train/prior_fit.h"
#include "train/training_data.h"

namespace hipp::cli {
namespace {

struct EvalArgs {
  std::string model, identities, split = "all", json_out;
  std::vector<std::string> data;
  double test_fraction = 0.05, crop = 1.0;
  int64_t limit = 0, batch = 64;
  int size = 0;
};

struct SampleArgs {
  std::string model, out;
  int64_t n = 16;
  int size = 0, cols = 4;
  double temperature = 0.7;
  uint64_t seed = 0;
};

struct ReconArgs {
  std::string model, out;
  std::vector<std::string> inputs;
  int size = 0;
  double crop = 1.0;
};

struct FitPriorArgs {
  std::string model, out, identities;
  std::vector<std::string> data;
  double test_fraction = 0.05, crop = 1.0;
  int64_t limit = 0, eval_images = 512, batch = 32;
};

void run_fit_prior(const FitPriorArgs& a, const Globals& g) {
  namespace fs = std::filesystem;
  auto device = parse_device(g.device);
  auto m = flow::load_glow(a.model, device);
  const fs::path out(a.out);
  const auto target = out / flow::kGlowWeightsName;
  if (fs::exists(out / train::kCheckpointName))
    throw Error(ErrorKind::usage, a.out + " holds a " + train::kCheckpointName + " that a resumed training would load instead of the "
                "refitted model: move it away, or choose another --out");
  // The model a later load of --out would find (what the trainer checks too); refitting in place is fine.
  const auto existing = flow::resolve_model_path(a.out);
  if (fs::exists(existing) && !fs::equivalent(existing, m.path))
    throw Error(ErrorKind::usage, a.out + " already holds another model: choose another --out");

  const train::DataSpec spec{a.identities, a.test_fraction, a.crop};
  auto train_set = train::load_training_set(a.data, spec, data::Split::Train, m.size, a.limit, !g.quiet);
  if (!train_set.images.defined()) throw Error("no training images left after the train/test split");
  torch::Tensor test_images;
  if (a.eval_images > 0 && a.test_fraction > 0)
    test_images = train::load_training_set(a.data, spec, data::Split::Test, m.size, a.eval_images, false).images;

  auto held_out = [&](flow::Glow& glow) {
    return test_images.defined() ? flow::mean_bits_per_dim(glow, test_images, a.batch, device) : -1.0;
  };
  double before = held_out(*m.glow);
  auto fit = train::fit_top_prior(*m.glow, train_set.images, a.batch, device, 0, !g.quiet);
  auto glow = train::with_top_prior(*m.glow, fit);
  glow->to(device);
  double after = held_out(*glow);

  auto record = m.record;
  record["top_prior_fit"] = {{"data", a.data},           {"identity_file", a.identities},
                             {"test_fraction", a.test_fraction}, {"crop", a.crop},
                             {"images", fit.images},     {"test_bpd_before", before}};
  if (after >= 0) {
    record["test_bpd"] = after;
    std::printf("held-out bits/dim %.4f -> %.4f on %ld images\n", before, after,
                static_cast<long>(test_images.size(0)));
  }
  fs::create_directories(out);
  flow::save_glow(target.string(), *glow, m.size, record);
  spdlog::info("wrote {} (top prior {}x{} fitted on {} images)", target.string(), fit.mean.size(2), fit.mean.size(3),
               fit.images);
}

void run_eval(const EvalArgs& a, const Globals& g) {
  auto device = parse_device(g.device);
  auto m = flow::load_flow(a.model, device);
  int size = a.size > 0 ? a.size : m.size;
  m.flow->check_size(size, size);
  auto files = data::select_split(data::list_images(a.data), data::parse_split(a.split), a.identities, a.test_fraction);
  if (files.empty()) throw Error("no images in the '" + a.split + "' split");
  if (a.limit > 0 && static_cast<int64_t>(files.size()) > a.limit) files.resize(a.limit);
  auto set = data::load_images(files, size, a.crop, !g.quiet);
  double bpd = flow::mean_bits_per_dim(*m.flow, set.images, a.batch, device);
  std::printf("bits/dim %.4f on %ld images at %dx%d (split %s, %d-bit)\n", bpd, static_cast<long>(set.images.size(0)),
              size, size, a.split.c_str(), m.flow->n_bits());
  if (!a.json_out.empty()) {
    nlohmann::json j = {{"model", m.path}, {"bits_per_dim", bpd}, {"images", set.images.size(0)},
                        {"size", size},    {"split", a.split},   {"data", a.data}};
    auto s = j.dump(2) + "\n";
    hipp::write_file_atomic(a.json_out, std::vector<uint8_t>(s.begin(), s.end()));
  }
}

void run_sample(const SampleArgs& a, const Globals& g) {
  auto device = parse_device(g.device);
  auto m = flow::load_flow(a.model, device);
  int size = a.size > 0 ? a.size : m.size;
  torch::manual_seed(a.seed);
  torch::NoGradGuard ng;
  auto x = m.flow->sample(a.n, size, size, a.temperature);
  image::save_png(a.out, image::make_grid(flow::postprocess(x, m.flow->n_bits()).cpu(), a.cols));
  spdlog::info("wrote {} ({} samples at {}x{}, temperature {})", a.out, a.n, size, size, a.temperature);
}

void run_recon(const ReconArgs& a, const Globals& g) {
  auto device = parse_device(g.device);
  auto m = flow::load_flow(a.model, device);
  int size = a.size > 0 ? a.size : m.size;
  m.flow->check_size(size, size);
  std::vector<torch::Tensor> originals;
  for (auto& f : a.inputs) originals.push_back(image::center_crop_resize(image::load(f), size, a.crop));
  auto batch = torch::stack(originals);
  torch::NoGradGuard ng;
  int bits = m.flow->n_bits();
  auto x = flow::preprocess(batch.to(device), bits, false);
  auto back = m.flow->round_trip(x);
  auto err = (back - x).abs().flatten(1).amax(1).cpu();
  auto restored = flow::postprocess(back, bits).cpu();
  auto bpd = flow::bits_per_dim(m.flow->log_density(x), 3LL * size * size, bits).cpu();
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    bool exact = torch::equal(restored[i], flow::postprocess(x[i].cpu(), bits));
    std::printf("%s  max |x - G(G^-1(x))| %.3g (%.4f grey levels)  %s  bits/dim %.4f\n", a.inputs[i].c_str(),
                err[i].item<double>(), err[i].item<double>() * 255.0, exact ? "exact after rounding" : "NOT exact",
                bpd[i].item<double>());
  }
  if (!a.out.empty()) {
    auto grid = image::make_grid(torch::cat({flow::postprocess(x, bits).cpu(), restored}), static_cast<int>(a.inputs.size()));
    image::save_png(a.out, grid);
    spdlog::info("wrote {} (top: inputs, bottom: forward then inverse)", a.out);
  }
}

}  // namespace

void add_flow_commands(CLI::App& app, Globals& g) {
  auto* flow = app.add_subcommand("flow", "inspect a trained flow: eval, sample, recon");
  flow->require_subcommand(1);

  auto ea = std::make_shared<EvalArgs>();
  auto* eval = flow->add_subcommand("eval", "mean bits/dim of a flow on image folders");
  eval->add_option("--model", ea->model, "model folder or weights file")->required();
  eval->add_option("--data", ea->data, "image folders or files")->required();
  eval->add_option("--identities", ea->identities, "identity list for --split (CelebA identity_CelebA.txt)");
  eval->add_option("--split", ea->split, "all, or the train/test side of the split used in training")
      ->default_val("all")->check(CLI::IsMember({"all", "train", "test"}));
  eval->add_option("--test-fraction", ea->test_fraction, "held-out share used in training")->default_val(0.05);
  eval->add_option("--size", ea->size, "evaluate at this size (default: the model's)");
  eval->add_option("--crop", ea->crop, "center crop fraction, as in training")->default_val(1.0)
      ->check(CLI::Range(0.05, 1.0));
  eval->add_option("--limit", ea->limit, "evaluate at most this many images (0: all)")->default_val(0);
  eval->add_option("--batch", ea->batch, "images per batch")->default_val(64)->check(CLI::PositiveNumber);
  eval->add_option("--json", ea->json_out, "also write the result as JSON here");
  eval->callback([ea, &g] { apply_globals(g); run_eval(*ea, g); });

  auto sa = std::make_shared<SampleArgs>();
  auto* sample = flow->add_subcommand("sample", "write a grid of samples from a flow");
  sample->add_option("--model", sa->model, "model folder or weights file")->required();
  sample->add_option("-o,--out", sa->out, "output PNG")->required();
  sample->add_option("-n,--count", sa->n, "number of samples")->default_val(16)->check(CLI::Range(1, 1024));
  sample->add_option("--cols", sa->cols, "grid columns")->default_val(4)->check(CLI::PositiveNumber);
  sample->add_option("--size", sa->size, "sample size (default: the model's)");
  sample->add_option("-t,--temperature", sa->temperature, "prior temperature")->default_val(0.7)
      ->check(CLI::Range(0.0, 2.0));
  sample->add_option("--seed", sa->seed, "random seed")->default_val(0);
  sample->callback([sa, &g] { apply_globals(g); run_sample(*sa, g); });

  auto ra = std::make_shared<ReconArgs>();
  auto* recon = flow->add_subcommand("recon", "encode then decode images; report round-trip error and bits/dim");
  recon->add_option("inputs", ra->inputs, "images")->required();
  recon->add_option("--model", ra->model, "model folder or weights file")->required();
  recon->add_option("-o,--out", ra->out, "optional PNG grid: inputs over reconstructions");
  recon->add_option("--size", ra->size, "crop and resize to this size (default: the model's)");
  recon->add_option("--crop", ra->crop, "center crop fraction")->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  recon->callback([ra, &g] { apply_globals(g); run_recon(*ra, g); });

  auto fa = std::make_shared<FitPriorArgs>();
  auto* fit = flow->add_subcommand(
      "fit-prior",
      "give a Glow a top prior of its own per position, fitted to the training side of image folders in closed form "
      "(the flow itself is unchanged; samples then hold the data's layout)");
  fit->add_option("--model", fa->model, "Glow model folder or weights file")->required();
  fit->add_option("--data", fa->data, "image folders or packed sets it was trained on")->required();
  fit->add_option("-o,--out", fa->out, "output model folder (may be the model's own)")->required();
  fit->add_option("--identities", fa->identities, "identity list, as in training (CelebA identity_CelebA.txt)");
  fit->add_option("--test-fraction", fa->test_fraction, "held-out share, as in training (0: fit on everything)")
      ->default_val(0.05)->check(CLI::Range(0.0, 0.9));
  fit->add_option("--crop", fa->crop, "center crop fraction, as in training")->default_val(1.0)
      ->check(CLI::Range(0.05, 1.0));
  fit->add_option("--limit", fa->limit, "fit on at most this many images (0: all)")->default_val(0);
  fit->add_option("--eval-images", fa->eval_images, "held-out images to report bits/dim on before and after (0: none)")
      ->default_val(512)->check(CLI::NonNegativeNumber);
  fit->add_option("--batch", fa->batch, "images per batch")->default_val(32)->check(CLI::PositiveNumber);
  fit->callback([fa, &g] { apply_globals(g); run_fit_prior(*fa, g); });
}

}  // namespace hipp::cli
