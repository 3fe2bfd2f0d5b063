// The hipp binary end to end: every user-facing error path exits non-zero with a one-line
// message and writes nothing; the happy paths write what they promise.
#include "flow/model_file.h"
#include "test_util.h"

using namespace hipp;
using test::run_hipp;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

void expect_failure(const std::string& args, const std::string& message, int code = 1) {
  auto r = run_hipp(args);
  EXPECT_EQ(r.code, code) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
}

// One tiny model shared by the tests below (trained once, in about a second).
class CliWithModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto r = run_hipp("--threads 2 -q train flow --data " + q(test::fixture("scenes")) +
                      " --size 16 --levels 2 --steps 1 --hidden 8 --iters 5 --warmup 1 --test-fraction 0 "
                      "--sample-every 0 --out " + q(*dir_ / "model"));
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return *dir_ / "model"; }
  static test::TempDir* dir_;
};
test::TempDir* CliWithModel::dir_ = nullptr;

}  // namespace

TEST(Cli, HelpAndUsageErrors) {
  auto r = run_hipp("--help");
  EXPECT_EQ(r.code, 0);
  for (auto cmd : {"train", "flow", "thumbnail"}) EXPECT_NE(r.output.find(cmd), std::string::npos);
  expect_failure("", "A subcommand is required", 2);
  expect_failure("frobnicate", "unknown command 'frobnicate'", 2);
  expect_failure("thumbnail", "input is required", 2);
  expect_failure("thumbnail x.png -o y.png --block 0", "--block", 2);
  expect_failure("train flow --data x", "--out is required", 2);
  expect_failure("train flow --data x --out y --coupling weird", "--coupling", 2);
}

TEST(Cli, ThumbnailWritesTheBlockAverages) {
  test::TempDir dir;
  auto r = run_hipp("thumbnail " + q(test::fixture("scenes/forest.jpg")) + " -o " + q(dir / "t.png") + " -b 10");
  ASSERT_EQ(r.code, 0) << r.output;
  auto img = run_hipp("thumbnail " + q(test::fixture("scenes/forest.jpg")) + " -o " + q(dir / "u.png") +
                      " -b 10 --upscale");
  ASSERT_EQ(img.code, 0) << img.output;
  EXPECT_LT(std::filesystem::file_size(dir / "t.png"), std::filesystem::file_size(dir / "u.png"));
}

TEST(Cli, BadImagesFailAndWriteNothing) {
  test::TempDir dir;
  test::write_bytes(dir / "empty.png", "");
  test::write_bytes(dir / "text.png", "hello");
  auto jpeg = test::read_bytes(test::fixture("scenes/sea.jpg"));
  test::write_bytes(dir / "cut.jpg", jpeg.substr(0, 2000));
  std::string out = dir / "out.png";
  expect_failure("thumbnail " + q(dir / "missing.png") + " -o " + q(out), "missing.png: no such file");
  expect_failure("thumbnail " + q(dir / "empty.png") + " -o " + q(out), "empty.png: empty file");
  expect_failure("thumbnail " + q(dir / "text.png") + " -o " + q(out), "text.png: not a readable image", 6);
  expect_failure("thumbnail " + q(dir / "cut.jpg") + " -o " + q(out), "cut.jpg: truncated JPEG", 6);
  expect_failure("thumbnail " + q(test::fixture("scenes/sea.jpg")) + " -o " + q(dir / "no/dir/x.png"),
                 "does not exist");
  EXPECT_FALSE(std::filesystem::exists(out));
  // One line, prefixed, no backtrace.
  auto r = run_hipp("thumbnail " + q(dir / "text.png") + " -o " + q(out));
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_EQ(r.output.rfind("hipp: error: ", 0), 0u) << r.output;
}

TEST(Cli, CudaOnAMachineWithoutItFailsClearly) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is present here";
  expect_failure("flow sample --model m -o x.png --device cuda", "CUDA is not available", 2);
}

TEST(Cli, TrainErrors) {
  test::TempDir dir;
  expect_failure("train flow --data " + q(dir / "nowhere") + " --out " + q(dir / "m"), "nowhere: no such folder");
  expect_failure("train flow --data " + q(test::fixture("scenes")) + " --size 20 --levels 3 --out " + q(dir / "m"),
                 "must be a multiple of 8");
  expect_failure("train flow --data " + q(test::fixture("scenes")) + " --resume --out " + q(dir / "m"),
                 "holds neither checkpoint.weights nor model weights", 2);
  expect_failure("train flow --data " + q(test::fixture("scenes")) + " --identities " + q(dir / "ids.txt") +
                     " --out " + q(dir / "m"),
                 "cannot open identity list");
}

TEST_F(CliWithModel, RefusesToOverwriteAModel) {
  expect_failure("train flow --data " + q(test::fixture("scenes")) + " --out " + q(model()), "already holds a model", 2);
}

TEST_F(CliWithModel, EvalSampleRecon) {
  test::TempDir dir;
  auto r = run_hipp("-q flow eval --model " + q(model()) + " --data " + q(test::fixture("scenes")) + " --json " +
                    q(dir / "e.json"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("bits/dim"), std::string::npos);
  EXPECT_NE(test::read_bytes(dir / "e.json").find("\"bits_per_dim\""), std::string::npos);

  r = run_hipp("flow sample --model " + q(model()) + " -n 4 -o " + q(dir / "s.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "s.png"));

  r = run_hipp("flow recon " + q(test::fixture("scenes/sea.jpg")) + " " + q(test::fixture("scenes/forest.jpg")) +
               " --model " + q(model()) + " --size 32 -o " + q(dir / "r.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n') >= 2, true);
  EXPECT_NE(r.output.find("exact after rounding"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("NOT exact"), std::string::npos) << r.output;
}

TEST_F(CliWithModel, BadModelFilesFailClearly) {
  test::TempDir dir;
  test::write_bytes(dir / "junk.weights", std::string(100, 'x'));
  expect_failure("flow sample --model " + q(dir / "junk.weights") + " -o " + q(dir / "s.png"),
                 "not a hipp weights file");
  expect_failure("flow sample --model " + q(dir / "none") + " -o " + q(dir / "s.png"), "no such model");
  expect_failure("flow eval --model " + q(model()) + " --data " + q(test::fixture("scenes")) + " --size 18",
                 "must be a multiple of 4");
  expect_failure("flow recon " + q(dir / "missing.jpg") + " --model " + q(model()), "missing.jpg: no such file");
  EXPECT_FALSE(std::filesystem::exists(dir / "s.png"));
}

TEST_F(CliWithModel, FitPriorWritesAPositionalModelAndRefusesToClobber) {
  test::TempDir dir;
  const std::string data = " --data " + q(test::fixture("scenes")) + " --test-fraction 0";
  auto r = run_hipp("-q flow fit-prior --model " + q(model()) + data + " -o " + q(dir / "fit"));
  ASSERT_EQ(r.code, 0) << r.output;
  auto m = flow::load_glow(dir / "fit");
  EXPECT_EQ(m.glow->config().top_prior_size, 4);  // 16x16 images, two levels
  EXPECT_TRUE(m.record.contains("top_prior_fit"));
  r = run_hipp("flow sample --model " + q(dir / "fit") + " -n 2 --size 32 -o " + q(dir / "s.png"));
  EXPECT_EQ(r.code, 0) << r.output;

  // Refitting in place is allowed; a stale checkpoint or another model in --out is not.
  EXPECT_EQ(run_hipp("-q flow fit-prior --model " + q(dir / "fit") + data + " -o " + q(dir / "fit")).code, 0);
  expect_failure("flow fit-prior --model " + q(model()) + data + " -o " + q(model()), "holds a checkpoint.weights", 2);
  expect_failure("flow fit-prior --model " + q(model()) + data + " -o " + q(dir / "fit"), "already holds another model", 2);
  expect_failure("flow fit-prior --model " + q(model()) + " --data " + q(dir / "nowhere") + " -o " + q(dir / "x"),
                 "no such folder");
  expect_failure("flow fit-prior --model " + q(std::string(HIPP_SOURCE_DIR) + "/models/celeba64-wavelet") + data + " -o " +
                     q(dir / "x"),
                 "not a Glow weights file");
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));

  // Trained from the start with one.
  r = run_hipp("-q --threads 2 train flow" + data + " --size 16 --levels 2 --steps 1 --hidden 8 --iters 2 --warmup 1 "
               "--sample-every 0 --positional-prior --out " + q(dir / "trained"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(flow::load_glow(dir / "trained").glow->config().top_prior_size, 4);
  expect_failure("train flow" + data + " --arch wavelet --positional-prior --out " + q(dir / "w"), "--arch glow", 2);
}
