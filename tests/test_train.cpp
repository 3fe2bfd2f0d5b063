// Training: a tiny flow learns the fixtures, checkpoints resume, the optimizer state survives.
#include <cmath>
#include <fstream>

#include "common/error.h"
#include "data/image_folder.h"
#include "flow/model_file.h"
#include "io/tensor_file.h"
#include "test_util.h"
#include "train/adam.h"
#include "train/flow_trainer.h"
#include "train/prior_fit.h"

using namespace hipp;

namespace {
train::FlowTrainOptions tiny_options(const std::string& out) {
  train::FlowTrainOptions o;
  o.data = {test::fixture("scenes")};
  o.out = out;
  o.size = 16;
  o.config.levels = 2;
  o.config.steps = 2;
  o.config.hidden = 32;
  o.batch = 16;
  o.iters = 60;
  o.warmup = 5;
  o.lr = 2e-3;
  o.test_fraction = 0;
  o.eval_every = 0;
  o.sample_every = 30;
  o.log_every = 10;
  return o;
}

double bpd_on_fixtures(const std::string& model) {
  auto m = flow::load_glow(model);
  auto set = data::load_images(data::list_images({test::fixture("scenes")}), 16, 1.0, false);
  return flow::mean_bits_per_dim(*m.glow, set.images, 16, torch::kCPU);
}
}  // namespace

TEST(TrainFlow, FewDozenStepsLowerBitsPerDim) {
  test::TempDir dir;
  torch::set_num_threads(2);
  auto o = tiny_options(dir / "m");
  o.iters = 1;
  train::train_flow(o);
  double before = bpd_on_fixtures(dir / "m");
  o.iters = 80;
  o.resume = true;
  auto r = train::train_flow(o);
  EXPECT_EQ(r.step, 80);
  double after = bpd_on_fixtures(dir / "m");
  EXPECT_LT(after, before - 0.5) << "before " << before << " after " << after;
  // Its outputs: weights with a training record, a JSON log, sample grids.
  auto m = flow::load_glow(dir / "m");
  EXPECT_EQ(m.record["iterations"].get<int64_t>(), 80);
  EXPECT_EQ(m.record["images_seen"].get<int64_t>(), 80 * 16);
  std::ifstream log(dir / "m/train_log.jsonl");
  std::string line, last;
  int lines = 0;
  while (std::getline(log, line)) last = line, ++lines;
  EXPECT_GE(lines, 8);
  EXPECT_EQ(nlohmann::json::parse(last)["step"].get<int>(), 80);
  EXPECT_TRUE(std::filesystem::exists(dir / "m/samples/step_0000060.png"));
}

TEST(TrainFlow, ResumeContinuesFromTheCheckpoint) {
  test::TempDir dir;
  auto o = tiny_options(dir / "m");
  o.iters = 10;
  train::train_flow(o);
  auto first = io::load_tensor_file(dir / "m/checkpoint.weights");
  EXPECT_EQ(first.meta["iterations"].get<int>(), 10);
  EXPECT_EQ(first.tensors["adam.step"].item<int64_t>(), 10);
  // Without --resume an existing model is never overwritten.
  EXPECT_THROW(train::train_flow(o), Error);
  // A checkpoint written before the trainers shared their keys ("step", "seconds") resumes.
  first.meta.erase("iterations");
  first.meta.erase("train_seconds");
  first.meta["step"] = 10;
  first.meta["seconds"] = 1.0;
  io::save_tensor_file(dir / "m/checkpoint.weights", first);
  o.iters = 15;
  o.resume = true;
  auto r = train::train_flow(o);
  EXPECT_EQ(r.step, 15);
  auto second = io::load_tensor_file(dir / "m/checkpoint.weights");
  EXPECT_EQ(second.meta["iterations"].get<int>(), 15);
  EXPECT_EQ(second.meta["images_seen"].get<int>(), 15 * 16);
  EXPECT_EQ(second.tensors["adam.step"].item<int64_t>(), 15);
  // Resuming keeps the checkpoint's architecture, whatever the flags say.
  EXPECT_EQ(second.meta["config"]["hidden"].get<int>(), 32);
}

TEST(TrainFlow, ResumesFromTheWeightsAloneWithAFreshOptimizer) {
  test::TempDir dir;
  auto o = tiny_options(dir / "m");
  o.iters = 10;
  o.sample_every = 0;
  train::train_flow(o);
  std::filesystem::remove(dir / "m/checkpoint.weights");
  o.iters = 13;
  o.resume = true;
  EXPECT_EQ(train::train_flow(o).step, 13);
  auto ckpt = io::load_tensor_file(dir / "m/checkpoint.weights");
  EXPECT_EQ(ckpt.meta["iterations"].get<int>(), 13);
  EXPECT_EQ(ckpt.tensors["adam.step"].item<int64_t>(), 3);
  EXPECT_EQ(flow::load_glow(dir / "m").record["iterations"].get<int>(), 13);
}

TEST(TrainFlow, ResumesFromShippedWeightsWithoutTouchingThem) {
  test::TempDir dir;
  const std::string shipped = std::string(HIPP_SOURCE_DIR) + "/models/photos64-lite-wavelet/wavelet.weights";
  std::filesystem::create_directories(dir / "m");
  std::filesystem::copy_file(shipped, dir / "m/wavelet.weights");
  auto recorded = io::load_tensor_file(shipped).meta.at("record");
  const int64_t iterations = recorded.at("iterations").get<int64_t>();
  auto o = tiny_options(dir / "m");
  o.batch = 2;
  o.iters = iterations + 1;
  o.sample_every = 0;
  o.resume = true;
  EXPECT_EQ(train::train_flow(o).step, iterations + 1);
  auto record = io::load_tensor_file(dir / "m/wavelet.weights").meta.at("record");
  EXPECT_EQ(record["iterations"].get<int64_t>(), iterations + 1);
  EXPECT_EQ(record["images_seen"].get<int64_t>(), recorded.at("images_seen").get<int64_t>() + 2);
  EXPECT_GT(record["train_seconds"].get<double>(), recorded.at("train_seconds").get<double>());
}

TEST(TrainFlow, BadOptionsFail) {
  test::TempDir dir;
  auto o = tiny_options(dir / "m");
  o.size = 12;  // 12 is not a multiple of 2^3
  o.config.levels = 3;
  EXPECT_THROW(train::train_flow(o), Error);
  o = tiny_options(dir / "m2");
  o.resume = true;
  EXPECT_THROW(train::train_flow(o), Error);
  o = tiny_options(dir / "m3");
  o.data = {dir / "nowhere"};
  EXPECT_THROW(train::train_flow(o), Error);
}

// A Glow trained on patches judges whole images: its held-out bits/dim are on the full size.
TEST(TrainFlow, PatchesTrainAJudgeForWholeImages) {
  test::TempDir dir;
  auto o = tiny_options(dir / "m");
  o.size = 32;
  o.patch = 16;
  o.iters = 4;
  o.sample_every = 0;
  o.test_fraction = 0.3;
  o.eval_every = 2;
  auto r = train::train_flow(o);
  EXPECT_GT(r.test_bpd, 0);
  auto m = flow::load_glow(dir / "m");
  EXPECT_EQ(m.record["patch"].get<int>(), 16);
  auto set = data::load_images(data::list_images({test::fixture("scenes")}), 32, 1.0, false);
  EXPECT_TRUE(std::isfinite(flow::mean_bits_per_dim(*m.glow, set.images, 4, torch::kCPU)));
  o.iters = 6;  // a resumed run keeps its patches without the flag
  o.patch = 0;
  o.resume = true;
  train::train_flow(o);
  EXPECT_EQ(flow::load_glow(dir / "m").record["patch"].get<int>(), 16);
  auto bad = tiny_options(dir / "p");
  bad.config.top_prior_size = 4;
  bad.patch = 8;
  EXPECT_THROW(train::train_flow(bad), Error);  // so is a per-position prior
  bad = tiny_options(dir / "q");
  bad.patch = 32;
  EXPECT_THROW(train::train_flow(bad), Error);  // larger than the images
  bad = tiny_options(dir / "z");
  bad.patch_zoom = true;
  EXPECT_THROW(train::train_flow(bad), Error);  // zoom needs windows smaller than the images
}

// HIPP's photo flow can go on from a shipped model on windows of any scale: the run keeps the
// shipped architecture, records where it started, and counts its own steps from zero.
TEST(TrainFlow, WaveletFlowGoesOnFromAShippedModelOnZoomedPatches) {
  test::TempDir dir;
  const std::string shipped = std::string(HIPP_SOURCE_DIR) + "/models/photos64-lite-wavelet";
  auto o = tiny_options(dir / "m");
  o.arch = "wavelet";
  o.init = shipped;
  o.size = 64;
  o.patch = 32;
  o.patch_zoom = true;
  o.batch = 2;
  o.iters = 2;
  o.sample_every = 0;
  o.test_fraction = 0.3;
  o.eval_every = 2;
  auto r = train::train_flow(o);
  EXPECT_EQ(r.step, 2);
  EXPECT_TRUE(std::isfinite(r.test_bpd));
  auto m = flow::load_flow(dir / "m");
  auto original = flow::load_flow(shipped);
  EXPECT_EQ(m.flow->config_json(), original.flow->config_json());
  EXPECT_EQ(m.record["init"].get<std::string>(), shipped);
  EXPECT_TRUE(m.record["patch_zoom"].get<bool>());
  EXPECT_EQ(m.record["patch"].get<int>(), 32);
  o.iters = 3;
  o.resume = true;
  EXPECT_THROW(train::train_flow(o), Error);  // --init starts a run; it does not resume one
}

TEST(LrSchedule, WarmsUpHoldsThenAnnealsToTheFinalRate) {
  const train::LrSchedule s{1e-3, 1e-5, 10, 0, 100, 201};
  EXPECT_NEAR(s.at(0), 1e-4, 1e-12);    // first of 10 warm-up steps
  EXPECT_NEAR(s.at(9), 1e-3, 1e-12);
  EXPECT_NEAR(s.at(100), 1e-3, 1e-12);  // the cosine starts here
  EXPECT_NEAR(s.at(150), (1e-3 + 1e-5) / 2, 1e-12);
  EXPECT_NEAR(s.at(200), 1e-5, 1e-12);
  EXPECT_NEAR(s.at(500), 1e-5, 1e-12);  // past --iters it stays at the floor
  EXPECT_LT(s.at(160), s.at(140));
  EXPECT_NEAR(s.at(50), 1e-3, 1e-12);
  const train::LrSchedule constant{1e-3, 1e-3, 10, 50, 0, 200};  // warm-up restarted at a resume
  EXPECT_NEAR(constant.at(50), 1e-4, 1e-12);
  EXPECT_NEAR(constant.at(199), 1e-3, 1e-12);
}

TEST(TrainFlow, AnnealedRunLogsItsFinalRate) {
  test::TempDir dir;
  auto o = tiny_options(dir / "m");
  o.iters = 20;
  o.log_every = 20;
  o.sample_every = 0;
  o.lr_final = 1e-5;
  o.decay_start = 5;
  train::train_flow(o);
  std::ifstream log(dir / "m/train_log.jsonl");
  std::string line;
  std::getline(log, line);
  EXPECT_NEAR(nlohmann::json::parse(line).at("lr").get<double>(), 1e-5, 1e-6) << line;
  o = tiny_options(dir / "m2");
  o.lr_final = 1e-5;
  o.decay_start = o.iters;
  EXPECT_THROW(train::train_flow(o), Error);
}

TEST(Adam, StateRoundTripReproducesTheNextStep) {
  torch::manual_seed(0);
  auto run = [](train::Adam& opt, torch::Tensor& p) {
    opt.zero_grad();
    auto loss = (p * p).sum() + p.sum();
    loss.backward();
    opt.step(0.1);
  };
  auto p1 = torch::randn({5}).requires_grad_(true);
  train::Adam a1({p1}, 0.9, 0.99, 1e-8);
  for (int i = 0; i < 3; ++i) run(a1, p1);
  auto p2 = p1.detach().clone().requires_grad_(true);
  train::Adam a2({p2}, 0.9, 0.99, 1e-8);
  a2.load_state(a1.state(), "test");
  EXPECT_EQ(a2.steps(), 3);
  run(a1, p1);
  run(a2, p2);
  EXPECT_TRUE(torch::allclose(p1, p2));
  EXPECT_THROW(a2.load_state({}, "test"), Error);
}

TEST(Adam, MinimisesAQuadratic) {
  auto p = torch::full({3}, 5.0).requires_grad_(true);
  train::Adam opt({p}, 0.0, 0.99, 1e-8);  // beta1 = 0, as the paper trains E
  for (int i = 0; i < 300; ++i) {
    opt.zero_grad();
    ((p - 1.0).pow(2)).sum().backward();
    opt.step(0.05);
  }
  EXPECT_LT((p - 1.0).abs().max().item<double>(), 0.1);
}

TEST(PriorFit, FitsTheTopLatentsMomentsAndRaisesTheLikelihood) {
  torch::manual_seed(6);
  flow::GlowConfig c;
  c.levels = 2;
  c.steps = 1;
  c.hidden = 8;
  auto glow = std::make_shared<flow::Glow>(c);
  // Images with a layout (bright left, dark right, noise on top), as faces have one.
  auto ramp = torch::linspace(230, 20, 16).view({1, 1, 1, 16}).expand({48, 3, 16, 16});
  auto images = (ramp + 20 * torch::randn({48, 3, 16, 16})).clamp(0, 255).to(torch::kUInt8);
  {
    torch::NoGradGuard ng;
    glow->train();
    glow->log_density(flow::preprocess(images, 8, true));  // ActNorm init
  }
  auto fit = train::fit_top_prior(*glow, images, 10, torch::kCPU, 3);
  ASSERT_EQ(fit.mean.sizes(), torch::IntArrayRef({1, 24, 4, 4}));
  EXPECT_EQ(fit.images, 48);

  // The same noise gives the same latents, whose moments the fit must hold.
  torch::NoGradGuard ng;
  torch::manual_seed(3);
  std::vector<torch::Tensor> tops;
  for (int64_t i = 0; i < 48; i += 10)
    tops.push_back(glow->encode(flow::preprocess(images.slice(0, i, std::min<int64_t>(48, i + 10)), 8, true)).z.back());
  auto z = torch::cat(tops);
  EXPECT_LT((fit.mean - z.mean(0, true)).abs().max().item<double>(), 1e-4);
  EXPECT_LT((fit.logs - torch::log(z.std(0, false, true))).abs().max().item<double>(), 1e-3);

  auto fitted = train::with_top_prior(*glow, fit);
  EXPECT_EQ(fitted->config().top_prior_size, 4);
  auto x = flow::preprocess(images.slice(0, 0, 4), 8, false);
  EXPECT_LT((fitted->encode(x).z.back() - glow->encode(x).z.back()).abs().max().item<double>(), 1e-6);
  EXPECT_LT(flow::mean_bits_per_dim(*fitted, images, 16, torch::kCPU),
            flow::mean_bits_per_dim(*glow, images, 16, torch::kCPU) - 0.01);

  EXPECT_THROW(train::fit_top_prior(*glow, images.slice(0, 0, 1), 10, torch::kCPU), hipp::Error);
}
