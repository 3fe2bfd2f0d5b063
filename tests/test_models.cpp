// Golden checks of the shipped models on the CPU build: they load, invert exactly on the
// fixtures, and give the bits/dim recorded here when they were trained.
#include "data/image_folder.h"
#include "flow/model_file.h"
#include "test_util.h"

using namespace hipp;

namespace {

struct Golden {
  const char* model;
  int size;
  double fixture_bpd;  // `hipp flow eval --model M --data tests/fixtures/scenes` when shipped
};

// Recorded with the shipped weights; a change here needs a reason in the commit.
const Golden kGolden[] = {
    {"celeba64-glow", 64, 4.8754},  // with its fitted per-position top prior (was 4.8745 without)
    {"celeba128-glow", 128, 3.6179},  // with its fitted per-position top prior (was 3.6137 without)
    {"celeba64-wavelet", 64, 5.1187},
    {"celeba128-wavelet", 128, 4.9421},
    {"photos64-wavelet", 64, 4.5689},
    {"photos64-lite-wavelet", 64, 4.6364},
    {"photos256-wavelet", 256, 3.6506},  // trained on windows of every scale of 256 px photos
    {"photos256-lite-wavelet", 256, 3.7641},  // the same for the light flow
    {"photos256-glow", 256, 2.6673},  // trained on 64x64 patches, judges whole 256 px photos
};

std::string model_path(const char* name) { return std::string(HIPP_SOURCE_DIR) + "/models/" + name; }

}  // namespace

TEST(ShippedModels, LoadInvertAndScoreAsRecorded) {
  torch::set_num_threads(2);
  auto files = data::list_images({test::fixture("scenes")});
  for (auto& g : kGolden) {
    SCOPED_TRACE(g.model);
    auto m = flow::load_flow(model_path(g.model));
    EXPECT_EQ(m.size, g.size);
    EXPECT_LT(std::filesystem::file_size(m.path), 16u << 20);
    ASSERT_TRUE(m.record.contains("test_bpd"));
    auto set = data::load_images(files, g.size, 1.0, false);
    torch::NoGradGuard ng;
    int bits = m.flow->n_bits();
    auto x = flow::preprocess(set.images, bits, false);
    auto back = m.flow->round_trip(x);
    EXPECT_LT((back - x).abs().max().item<double>(), 1e-4);
    EXPECT_TRUE(torch::equal(flow::postprocess(back, bits), set.images));
    // And at another size than it was trained on (twice as wide).
    auto wide = flow::preprocess(set.images.repeat({1, 1, 1, 2}), bits, false);
    EXPECT_LT((m.flow->round_trip(wide) - wide).abs().max().item<double>(), 1e-4);
    EXPECT_NEAR(flow::mean_bits_per_dim(*m.flow, set.images, 16, torch::kCPU), g.fixture_bpd, 0.01);
  }
}
