// HIPP's encoder E: invertible with the right log-determinant, identity when fresh, tied to its
// flow; the batched transform the trainer uses is the one protect/restore use; the trainer
// writes, resumes and refuses as it says; the random mixings are members of the keyed family.
#include <fstream>

#include "common/error.h"
#include "data/image_folder.h"
#include "hipp/hipp_core.h"
#include "hipp/hipp_scheme.h"
#include "hipp/mixing.h"
#include "hipp/models.h"
#include "image/image.h"
#include "io/tensor_file.h"
#include "metrics/metrics.h"
#include "test_util.h"
#include "train/encoder_trainer.h"

using namespace hipp;
using namespace hipp::protect;
namespace fs = std::filesystem;

namespace {
crypto::Key key_of(uint8_t v) { return test::filled<32>(v); }
crypto::Nonce nonce_of(uint8_t v) { return test::filled<24>(v); }

EncoderConfig tiny_config(int levels) {
  EncoderConfig c;
  c.levels = levels;
  c.steps = 2;
  c.hidden = 8;
  c.cond_hidden = 4;
  return c;
}

torch::Tensor scene(int64_t size) {
  return image::center_crop_resize(image::load(test::fixture("scenes/street.jpg")), size, 1.0);
}
}  // namespace

TEST(Encoder, StartsAsTheIdentityAndInvertsAfterTraining) {
  torch::manual_seed(1);
  Encoder e(tiny_config(2));
  auto z = torch::randn({2, 9, 4, 4}), low = torch::randn({2, 3, 4, 4});
  EXPECT_TRUE(torch::allclose(e.forward(0, z, low), z));
  test::perturb(e, 0.3);
  for (int k : {0, 1}) {
    auto y = e.forward(k, z, low);
    EXPECT_GT((y - z).abs().max().item<double>(), 1e-2) << "perturbed E should change the latents";
    EXPECT_LT((e.inverse(k, y, low) - z).abs().max().item<double>(), 1e-4);
  }
  // Levels beyond those it covers pass through.
  EXPECT_TRUE(torch::equal(e.forward(2, z, low), z));
}

TEST(Encoder, LogDetMatchesABruteForceJacobian) {
  torch::manual_seed(2);
  auto c = tiny_config(1);
  c.scale_bound = 0.8;
  Encoder e(c);
  test::perturb(e, 0.5);
  auto z = torch::randn({1, 9, 2, 2}, torch::kFloat64), low = torch::randn({1, 3, 2, 2}, torch::kFloat64);
  e.to(torch::kFloat64);
  double ld = e.level(0).forward(z, low).logdet.item<double>();
  double brute = test::brute_force_logdet([&](const torch::Tensor& x) { return e.level(0).forward(x, low).y; }, z);
  EXPECT_NEAR(ld, brute, 1e-8);
  EXPECT_GT(std::abs(ld), 1e-3) << "affine couplings should have a non-trivial log-det once trained";
}

TEST(Encoder, SavesAndLoadsWithItsFlowsFingerprint) {
  test::TempDir dir;
  torch::manual_seed(3);
  Encoder e(tiny_config(2));
  test::perturb(e, 0.1);
  save_encoder(dir / "encoder.weights", e, "flowname", 123.5, 4, {{"iterations", 7}});
  auto f = load_encoder(dir / "encoder.weights");
  EXPECT_EQ(f.flow_name, "flowname");
  EXPECT_EQ(f.flow_fingerprint, 123.5);
  EXPECT_EQ(f.block, 4);
  EXPECT_EQ(f.record["iterations"], 7);
  auto z = torch::randn({1, 9, 4, 4}), low = torch::randn({1, 3, 4, 4});
  EXPECT_TRUE(torch::allclose(f.encoder->forward(1, z, low), e.forward(1, z, low)));
  EXPECT_ERROR_HAS(load_encoder(dir / "missing.weights"), "no such encoder");
  test::write_bytes(dir / "junk.weights", "not a tensor file");
  EXPECT_THROW(load_encoder(dir / "junk.weights"), Error);
}

TEST(OrthogonalMixing, RandomMembersUndoThemselvesAndKeepNorms) {
  torch::manual_seed(4);
  auto m = OrthogonalMixing::random(5, 36, torch::kCPU);
  auto v = torch::randn({5, 36}, torch::kFloat64);
  auto y = m.apply(v);
  EXPECT_LT((m.undo(y) - v).abs().max().item<double>(), 1e-12);
  EXPECT_LT((y.norm(2, 1) - v.norm(2, 1)).abs().max().item<double>(), 1e-12);
  EXPECT_GT((OrthogonalMixing::random(5, 36, torch::kCPU).apply(v) - y).abs().max().item<double>(), 0.1);
  EXPECT_ERROR_HAS(OrthogonalMixing::random(0, 36, torch::kCPU), "at least one domain");
}

TEST(HippCore, BlockRowsAreTheSchemesTilingAndInvertible) {
  auto z = torch::arange(2 * 9 * 4 * 4).reshape({2, 9, 4, 4}).to(torch::kFloat64);
  auto rows = block_rows(z, 2);
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{8, 36}));
  // Row 1 is image 0's block (0, 1): channel 0's top-left value there is z[0, 0, 0, 2].
  EXPECT_EQ(rows[1][0].item<double>(), z[0][0][0][2].item<double>());
  EXPECT_EQ(rows[4][0].item<double>(), z[1][0][0][0].item<double>());
  EXPECT_TRUE(torch::equal(from_block_rows(rows, 2, 9, 4, 4, 2), z));
}

TEST(HippCore, WithAnEncoderRestoresExactlyBeforeRoundingAndChangesTheProtectedImage) {
  torch::manual_seed(5);
  auto f = test::tiny_wavelet_flow();
  auto e = std::make_shared<Encoder>(tiny_config(3));
  test::perturb(*e, 0.05);
  e->eval();
  HippScheme plain(f, 8), with_e(f, 8, torch::kCPU, e);
  auto img = scene(32);
  auto a = plain.protect(img, key_of(1), nonce_of(1)), b = with_e.protect(img, key_of(1), nonce_of(1));
  EXPECT_GT((a.to(torch::kFloat) - b.to(torch::kFloat)).abs().mean().item<double>(), 0.5);
  // Unrounded, the transform is its own exact inverse with E in place.
  torch::NoGradGuard ng;
  auto x = flow::preprocess(img.unsqueeze(0), 8, false);
  auto mix = OrthogonalMixing::random(16, 9, torch::kCPU);
  std::vector<OrthogonalMixing> per_level;
  for (int k = 0; k < 3; ++k) {
    int64_t t = 8 >> (k + 1);
    per_level.push_back(OrthogonalMixing::random(16, 9 * t * t, torch::kCPU));
  }
  auto mixer = [&](const torch::Tensor& z, int k, bool undo) {
    int64_t t = 8 >> (k + 1);
    auto r = block_rows(z, t);
    return from_block_rows(undo ? per_level[k].undo(r) : per_level[k].apply(r), 1, 9, z.size(2), z.size(3), t);
  };
  auto p = hipp_transform(*f, e.get(), x, 3, mixer, false);
  auto back = hipp_transform(*f, e.get(), p, 3, mixer, true);
  // E never touches the thumbnail: before 8-bit clipping the block means are the original's.
  auto means = [](const torch::Tensor& t) { return torch::avg_pool2d(t, 8); };
  EXPECT_LT((means(p) - means(x)).abs().max().item<double>(), 1e-5);
  EXPECT_LT((back - x).abs().max().item<double>(), 1e-4);
}

TEST(HippWithEncoder, LevelsPastTheEncodersRunOnTheMixingAlone) {
  auto f = test::tiny_wavelet_flow();
  auto e = std::make_shared<Encoder>(tiny_config(2));
  test::perturb(*e, 0.05);
  e->eval();
  auto img = scene(32);
  HippScheme with(f, 8, torch::kCPU, e), without(f, 8);
  SideData side;
  auto p = with.protect(img, key_of(1), nonce_of(2), &side);
  EXPECT_FALSE(torch::equal(p, without.protect(img, key_of(1), nonce_of(2))));  // E acts on levels 0 and 1
  EXPECT_GT(metrics::psnr(img, with.restore(p, key_of(1), nonce_of(2), side)), 30.0);
}

namespace {
train::EncoderTrainOptions tiny_training(const std::string& out) {
  train::EncoderTrainOptions o;
  o.flow = std::string(HIPP_SOURCE_DIR) + "/models/celeba64-wavelet";
  o.data = {test::fixture("scenes")};
  o.spec.test_fraction = 0;
  o.test_data = {test::fixture("faces")};
  o.out = out;
  o.config = tiny_config(3);
  o.batch = 2;
  o.iters = 2;
  o.lr = 1e-3;
  o.eval_every = 0;
  o.eval_images = 1;
  o.log_every = 1;
  return o;
}
}  // namespace

TEST(TrainEncoder, WritesResumesAndRefuses) {
  torch::set_num_threads(2);
  test::TempDir dir;
  auto o = tiny_training(dir / "e");
  auto r = train::train_encoder(o);
  EXPECT_EQ(r.step, 2);
  EXPECT_GT(r.test_psnr, 20.0);
  EXPECT_GT(r.baseline_psnr, 20.0);
  auto f = load_encoder(dir / "e/encoder.weights");
  EXPECT_EQ(f.flow_name, "celeba64-wavelet");
  EXPECT_EQ(f.block, 8);
  EXPECT_EQ(f.record["iterations"], 2);
  EXPECT_EQ(f.record["lambda1"], 10.0);
  std::ifstream log(dir / "e/train_log.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) ++lines;
  EXPECT_EQ(lines, 2);
  EXPECT_ERROR_HAS(train::train_encoder(o), "already holds an encoder");
  o.resume = true;
  o.iters = 3;
  EXPECT_EQ(train::train_encoder(o).step, 3);
  EXPECT_EQ(load_encoder(dir / "e/encoder.weights").record["iterations"], 3);
  // From the weights alone (what a GPU session brings back), with a fresh optimizer.
  fs::remove(dir / "e/checkpoint.weights");
  o.iters = 4;
  EXPECT_EQ(train::train_encoder(o).step, 4);
  EXPECT_EQ(load_encoder(dir / "e/encoder.weights").record["iterations"], 4);
  EXPECT_EQ(io::load_tensor_file(dir / "e/checkpoint.weights").tensors.at("adam.step").item<int64_t>(), 1);

  auto bad = tiny_training(dir / "b");
  bad.block = 16;
  EXPECT_ERROR_HAS(train::train_encoder(bad), "not offered");
  bad.block = 0;
  bad.flow = std::string(HIPP_SOURCE_DIR) + "/models/celeba64-glow";
  EXPECT_ERROR_HAS(train::train_encoder(bad), "not a wavelet flow");
  bad = tiny_training(dir / "c");
  bad.resume = true;
  EXPECT_ERROR_HAS(train::train_encoder(bad), "holds neither");
}

TEST(TrainEncoder, ResumesFromTheShippedEncoderWithoutTouchingIt) {
  test::TempDir dir;
  const std::string shipped = std::string(HIPP_SOURCE_DIR) + "/models/celeba64-hipp/encoder.weights";
  fs::create_directories(dir / "h");
  fs::copy_file(shipped, dir / "h/encoder.weights");
  const auto iterations = load_encoder(shipped).record.at("iterations").get<int64_t>();
  auto o = tiny_training(dir / "h");
  o.iters = iterations + 1;
  o.resume = true;
  EXPECT_EQ(train::train_encoder(o).step, iterations + 1);
  EXPECT_EQ(load_encoder(dir / "h/encoder.weights").record["iterations"], iterations + 1);
}

TEST(TrainEncoder, AModelFolderWithItsEncoderRestoresAndIsTiedToItsFlow) {
  test::TempDir dir;
  fs::create_directories(dir / "models/celeba64-wavelet");
  fs::copy_file(std::string(HIPP_SOURCE_DIR) + "/models/celeba64-wavelet/wavelet.weights",
                dir / "models/celeba64-wavelet/wavelet.weights");
  auto o = tiny_training(dir / "models/mine");
  o.iters = 1;
  train::train_encoder(o);
  auto m = resolve_model(dir / "models/mine");
  EXPECT_EQ(m.name, "mine");
  EXPECT_FALSE(m.encoder.empty());
  EXPECT_EQ(m.size, 64);
  EXPECT_NE(hex(m.id), hex(resolve_model(dir / "models/celeba64-wavelet").id));
  auto s = load_hipp(m, 8, torch::kCPU);
  auto img = scene(64);
  auto back = s->restore(s->protect(img, key_of(2), nonce_of(3)), key_of(2), nonce_of(3));
  auto bare = load_hipp(resolve_model(dir / "models/celeba64-wavelet"), 8, torch::kCPU);
  auto back0 = bare->restore(bare->protect(img, key_of(2), nonce_of(3)), key_of(2), nonce_of(3));
  // A busy street scene squeezed to 64x64 restores poorly with either (SSIM about 0.69); one
  // training step must not make it worse.
  EXPECT_GT(metrics::ssim(img, back), metrics::ssim(img, back0) - 0.02);
  EXPECT_GT(metrics::ssim(img, back), 0.6);
  // Another flow under the same name: refused, not silently misused.
  {
    auto tf = io::load_tensor_file(dir / "models/celeba64-wavelet/wavelet.weights");
    tf.tensors.begin()->second = tf.tensors.begin()->second + 1;
    io::save_tensor_file(dir / "models/celeba64-wavelet/wavelet.weights", tf);
  }
  EXPECT_ERROR_HAS(load_hipp(resolve_model(dir / "models/mine"), 8, torch::kCPU), "trained on other weights");
  fs::remove_all(dir / "models/celeba64-wavelet");
  EXPECT_ERROR_HAS(resolve_model(dir / "models/mine"), "is not beside it");
}

TEST(TrainEncoderCli, HelpAndUsageErrors) {
  auto help = test::run_hipp("train encoder --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("--lambda2"), std::string::npos);
  EXPECT_NE(help.output.find("--beta1"), std::string::npos);
  EXPECT_EQ(test::run_hipp("train encoder --data x --out y").code, 2);  // --flow missing
  test::TempDir dir;
  auto r = test::run_hipp("train encoder --flow " + dir / "none" + " --data " + test::fixture("scenes") + " --out " +
                          dir / "o");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("hipp: error:"), std::string::npos);
}
