// The thumbnail attack: thumbnail consistency, shapes, model files, training and resume.
#include "attack/thumbnail_attack.h"

#include <gtest/gtest.h>

#include "data/image_set.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "test_util.h"
#include "train/attack_trainer.h"

using namespace hipp;

namespace {

attack::ReconNet perturbed_net(int block) {
  torch::manual_seed(block);
  attack::ReconNet net(attack::ReconConfig{block, 16, 1});
  test::perturb(*net, 0.05);
  return net;
}

torch::Tensor random_faces(int64_t n, int size) {
  torch::manual_seed(7);
  // Smooth random images: noise upsampled, so thumbnails carry structure.
  auto low = torch::rand({n, 3, size / 8, size / 8}) * 255;
  return torch::nn::functional::interpolate(
             low, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{size, size})
                      .mode(torch::kBilinear).align_corners(false))
      .round().clamp(0, 255).to(torch::kUInt8);
}

}  // namespace

TEST(ThumbnailAttack, OutputsKeepTheKnownThumbnailAtEveryBlockSize) {
  for (int b : {2, 4, 8, 16}) {
    auto net = perturbed_net(b);
    auto thumb = torch::rand({2, 3, 4, 5}) - 0.5;
    auto y = net->forward(thumb);
    ASSERT_EQ(y.image.sizes(), (std::vector<int64_t>{2, 3, 4 * b, 5 * b})) << b;
    ASSERT_EQ(y.coarse.sizes(), (std::vector<int64_t>{2, 3, 4 * b / 2, 5 * b / 2})) << b;
    EXPECT_LT((attack::block_mean(y.image, b) - thumb).abs().max().item<double>(), 1e-5) << b;
    EXPECT_LT((attack::block_mean(y.coarse, b / 2) - thumb).abs().max().item<double>(), 1e-5) << b;
    EXPECT_GT(y.image.std().item<double>(), 0) << b;
  }
}

TEST(ThumbnailAttack, ReconstructionsAndUpsamplingKeepTheThumbnailUpToRounding) {
  auto faces = random_faces(3, 64);
  auto net = perturbed_net(8);
  auto rec = attack::reconstruct(net, faces);
  auto up = attack::upsample_thumbnail(faces, 8);
  ASSERT_EQ(rec.sizes(), faces.sizes());
  ASSERT_EQ(rec.scalar_type(), torch::kUInt8);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_GT(metrics::thumbnail_psnr(faces[i], rec[i], 8), 40) << i;  // clipping may move a block slightly
    EXPECT_GT(metrics::thumbnail_psnr(faces[i], up[i], 8), 40) << i;
    EXPECT_FALSE(torch::equal(rec[i], up[i])) << "the network adds detail of its own";
  }
  EXPECT_THROW(attack::reconstruct(net, random_faces(1, 60)), Error);  // 60 is no multiple of 8
  EXPECT_THROW(attack::upsample_thumbnail(faces[0], 8), Error);        // needs a batch
}

TEST(ThumbnailAttack, ModelFilesRoundTripAndRefuseOtherKinds) {
  test::TempDir dir;
  auto net = perturbed_net(4);
  attack::save_attack(dir / "attack.weights", net, 64, {{"note", "test"}});
  auto m = attack::load_attack(dir.path.string());  // the folder names the model
  EXPECT_EQ(m.size, 64);
  EXPECT_EQ(m.net->config().block, 4);
  EXPECT_EQ(m.record.value("note", ""), "test");
  auto faces = random_faces(2, 32);
  EXPECT_TRUE(torch::equal(attack::reconstruct(net, faces), attack::reconstruct(m.net, faces)));
  EXPECT_THROW(attack::load_attack(dir / "missing"), Error);
  test::write_bytes(dir / "bad.weights", "not a tensor file");
  EXPECT_THROW(attack::load_attack(dir / "bad.weights"), Error);
}

TEST(ThumbnailAttack, TrainsResumesAndRefusesToOverwrite) {
  test::TempDir dir;
  data::ImageSet set;
  set.images = random_faces(12, 32);
  data::save_packed(dir / "faces.tensors", set);
  train::AttackTrainOptions o;
  o.data = {dir / "faces.tensors"};
  o.test_data = {dir / "faces.tensors"};
  o.size = 32;
  o.config = {4, 8, 1};
  o.batch = 4;
  o.iters = 3;
  o.out = dir / "attack";
  auto r = train::train_attack(o);
  EXPECT_EQ(r.step, 3);
  EXPECT_TRUE(std::isfinite(r.train_l1));
  EXPECT_GT(r.test_psnr, 10);
  EXPECT_GT(r.upsample_psnr, 10);
  EXPECT_THROW(train::train_attack(o), Error);  // a model is there: --resume or another --out
  o.resume = true;
  o.iters = 5;
  EXPECT_EQ(train::train_attack(o).step, 5);
  EXPECT_EQ(attack::load_attack(o.out).record.value("iterations", 0), 5);
  // From the weights alone, with a fresh optimizer; then from the shipped weights.
  std::filesystem::remove(dir / "attack/checkpoint.weights");
  o.iters = 6;
  EXPECT_EQ(train::train_attack(o).step, 6);
  EXPECT_EQ(attack::load_attack(o.out).record.value("iterations", 0), 6);
  const std::string shipped = std::string(HIPP_SOURCE_DIR) + "/models/attack128-b16/attack.weights";
  std::filesystem::create_directories(dir / "shipped");
  std::filesystem::copy_file(shipped, dir / "shipped/attack.weights");
  const int64_t iterations = attack::load_attack(shipped).record.at("iterations").get<int64_t>();
  set.images = random_faces(4, 128);
  data::save_packed(dir / "faces128.tensors", set);
  o.data = o.test_data = {dir / "faces128.tensors"};
  o.out = dir / "shipped";
  o.batch = 1;
  o.iters = iterations + 1;
  EXPECT_EQ(train::train_attack(o).step, iterations + 1);
  EXPECT_EQ(attack::load_attack(o.out).record.value("iterations", int64_t{0}), iterations + 1);
  o.out = dir / "none";
  EXPECT_THROW(train::train_attack(o), Error);  // nothing to resume
}

TEST(AttackCli, TrainsThenEvaluatesAndExplainsBadInput) {
  test::TempDir dir;
  auto q = [](const std::string& s) { return "'" + s + "'"; };
  auto scenes = q(test::fixture("scenes"));
  auto r = test::run_hipp("-q train attack --data " + scenes + " --test-fraction 0 --size 32 --block 4 --channels 8 "
                          "--res-blocks 1 --batch 2 --iters 2 --out " + q(dir / "a4"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("held-out PSNR"), std::string::npos) << r.output;
  r = test::run_hipp("-q attack eval --models " + q(dir / "a4") + " --data " + scenes + " --size 32 --limit 3 --out " +
                     q(dir / "ev"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto f : {"attack.json", "attack.md", "grid.png"})
    EXPECT_TRUE(std::filesystem::exists(dir.path / "ev" / f)) << f;
  EXPECT_NE(r.output.find("| 4 | bicubic thumbnail |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| 4 | attack a4 |"), std::string::npos) << r.output;
  // A size the block does not divide, a missing model, an existing model without --resume.
  r = test::run_hipp("attack eval --models " + q(dir / "a4") + " --data " + scenes + " --size 30 --out " + q(dir / "x"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("does not divide --size"), std::string::npos) << r.output;
  r = test::run_hipp("attack eval --models " + q(dir / "none") + " --data " + scenes + " --out " + q(dir / "x"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("no such thumbnail-attack model"), std::string::npos) << r.output;
  r = test::run_hipp("train attack --data " + scenes + " --size 32 --block 4 --out " + q(dir / "a4"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
}

// Golden results of the shipped attack models on the fixture face (resized to 128x128):
// PSNR of the reconstruction, recorded when the models were committed.
TEST(ShippedAttacks, RebuildTheFixtureFaceAsRecordedAndBeatUpsampling) {
  struct Golden {
    const char* name;
    int block;
    double psnr;
  };
  for (auto g : {Golden{"attack128-b4", 4, 30.2803}, Golden{"attack128-b8", 8, 24.4439},
                 Golden{"attack128-b16", 16, 19.4456}}) {
    auto m = attack::load_attack(std::string(HIPP_SOURCE_DIR) + "/models/" + g.name);
    EXPECT_EQ(m.net->config().block, g.block);
    EXPECT_EQ(m.size, 128);
    auto face = image::resize(image::load(test::fixture("faces/sample6_face.png")), 128, 128).unsqueeze(0);
    double psnr = metrics::psnr(face[0], attack::reconstruct(m.net, face)[0]);
    double upsampled = metrics::psnr(face[0], attack::upsample_thumbnail(face, g.block)[0]);
    EXPECT_NEAR(psnr, g.psnr, 0.05) << g.name;
    EXPECT_GT(psnr, upsampled) << g.name;
  }
}
