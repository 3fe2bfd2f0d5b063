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
    {"celeba64-glow", 64, 5.1281},
};

std::string model_path(const char* name) { return std::string(HIPP_SOURCE_DIR) + "/models/" + name; }

}  // namespace

TEST(ShippedModels, LoadInvertAndScoreAsRecorded) {
  torch::set_num_threads(2);
  auto files = data::list_images({test::fixture("scenes")});
  for (auto& g : kGolden) {
    SCOPED_TRACE(g.model);
    auto m = flow::load_glow(model_path(g.model));
    EXPECT_EQ(m.size, g.size);
    EXPECT_LT(std::filesystem::file_size(m.path), 16u << 20);
    ASSERT_TRUE(m.record.contains("test_bpd"));
    auto set = data::load_images(files, g.size, 1.0, false);
    torch::NoGradGuard ng;
    int bits = m.glow->config().n_bits;
    auto x = flow::preprocess(set.images, bits, false);
    auto back = m.glow->decode(m.glow->encode(x).z);
    EXPECT_LT((back - x).abs().max().item<double>(), 1e-4);
    EXPECT_TRUE(torch::equal(flow::postprocess(back, bits), set.images));
    // And at another size than it was trained on.
    auto wide = flow::preprocess(data::load_images(files, g.size / 2, 1.0, false).images.repeat({1, 1, 1, 3}), bits, false);
    EXPECT_LT((m.glow->decode(m.glow->encode(wide).z) - wide).abs().max().item<double>(), 1e-4);
    EXPECT_NEAR(flow::mean_bits_per_dim(*m.glow, set.images, 16, torch::kCPU), g.fixture_bpd, 0.01);
  }
}
