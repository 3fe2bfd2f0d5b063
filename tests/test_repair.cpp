// Repair data (repair/repair.h): blocks that restore below the floor carry a quantized
// residual, lossless payloads restore every pixel, the payload survives encryption and is
// refused when damaged; and with the shipped models (repair/checked.h), a dark, saturated
// photo that HIPP alone restores badly comes back above the floor, or bit-exactly.
#include "crypto/keystream.h"
#include "data/stress.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "repair/block_coding.h"
#include "repair/checked.h"
#include "scheme/scheme.h"
#include "test_util.h"

using namespace hipp;
using repair::RepairOptions;

namespace {

torch::Tensor random_image(int64_t h, int64_t w, int seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {3, h, w}, torch::kUInt8);
}

// `x` with seeded errors of up to +-amp in the given block (block grid of size `block`).
torch::Tensor damage_block(const torch::Tensor& x, int block, int64_t by, int64_t bx, int amp, int seed) {
  torch::manual_seed(seed);
  auto y = x.to(torch::kInt32).clone();
  auto part = y.slice(1, by * block, (by + 1) * block).slice(2, bx * block, (bx + 1) * block);
  part.add_(torch::randint(-amp, amp + 1, part.sizes(), torch::kInt32));
  return y.clamp(0, 255).to(torch::kUInt8);
}

double block_psnr(const torch::Tensor& a, const torch::Tensor& b, int block, int64_t by, int64_t bx) {
  auto cut = [&](const torch::Tensor& t) {
    return t.slice(1, by * block, (by + 1) * block).slice(2, bx * block, (bx + 1) * block);
  };
  return metrics::psnr_255(cut(a), cut(b));
}

// Lowest PSNR of any thumbnail block (edge blocks cut short included).
double worst_block_psnr(const torch::Tensor& a, const torch::Tensor& b, int block) {
  double worst = INFINITY;
  for (int64_t y = 0; y < a.size(1); y += block)
    for (int64_t x = 0; x < a.size(2); x += block) {
      auto cut = [&](const torch::Tensor& t) { return t.slice(1, y, y + block).slice(2, x, x + block); };
      worst = std::min(worst, metrics::psnr_255(cut(a), cut(b)));
    }
  return worst;
}

}  // namespace

// The block views visit each block's pixels row-major, blocks in raster order, cut-short edge
// blocks included: the order shuffle, tpe-ideal and the repair data all depend on.
TEST(BlockGrid, ViewsListEachBlocksPixelsRowMajorInRasterOrder) {
  for (auto [h, w, block] : {std::tuple{64, 64, 16}, {37, 53, 16}, {8, 70, 32}, {5, 3, 8}}) {
    scheme::BlockGrid grid(h, w, block);
    ASSERT_EQ(grid.blocks(), scheme::BlockGrid::count(h, w, block));
    int64_t b = 0;
    for (int by = 0; by < h; by += block)
      for (int bx = 0; bx < w; bx += block, ++b) {
        auto v = grid.view(b);
        int64_t j = 0;
        for (int y = by; y < std::min(by + block, h); ++y)
          for (int x = bx; x < std::min(bx + block, w); ++x, ++j)
            ASSERT_EQ(v.idx(j), int64_t{y} * w + x) << h << "x" << w << " block " << b;
        EXPECT_EQ(v.n, j);
        EXPECT_EQ(v.width, std::min(block, w - bx));
      }
    EXPECT_EQ(b, grid.blocks());
  }
}

TEST(Repair, AnExactRestorationNeedsNoResidual) {
  auto x = random_image(24, 40, 1);
  auto r = repair::make_repair(x, x, 8, {});
  EXPECT_EQ(r.stats.blocks, 15);
  EXPECT_EQ(r.stats.repaired, 0);
  EXPECT_TRUE(std::isinf(r.stats.worst_before));
  EXPECT_LT(r.payload.size(), 40u);
  EXPECT_TRUE(torch::equal(repair::apply_repair(x, r.payload, 8, "t"), x));
}

TEST(Repair, OnlyTheBlockBelowTheFloorIsRepairedAndMeetsIt) {
  auto x = random_image(32, 32, 2);
  auto bad = damage_block(x, 8, 1, 2, 40, 3);      // about 24 dB
  auto mild = damage_block(bad, 8, 3, 0, 1, 4);    // +-1: far above 40 dB
  auto r = repair::make_repair(x, mild, 8, {});
  EXPECT_EQ(r.stats.repaired, 1);
  EXPECT_LT(r.stats.worst_before, 30);
  EXPECT_GE(r.stats.worst_after, 40);
  auto fixed = repair::apply_repair(mild, r.payload, 8, "t");
  EXPECT_GE(block_psnr(x, fixed, 8, 1, 2), 40.0);
  EXPECT_NEAR(block_psnr(x, fixed, 8, 1, 2), r.stats.worst_after, 0.01);
  // Every other block is left exactly as the scheme restored it.
  auto untouched = (fixed != mild).to(torch::kInt32).sum(0);
  untouched.slice(0, 8, 16).slice(1, 16, 24).zero_();
  EXPECT_EQ(untouched.sum().item<int>(), 0);
  // A coarse step, not the exact residual: smaller than storing it losslessly.
  RepairOptions exact;
  exact.lossless = true;
  EXPECT_LT(r.payload.size(), repair::make_repair(x, mild, 8, exact).payload.size());
}

TEST(Repair, AHigherFloorRepairsMore) {
  auto x = random_image(16, 16, 5);
  auto y = damage_block(x, 8, 0, 0, 6, 6);  // about 35 dB in one block
  RepairOptions low, high;
  low.min_psnr = 30;
  high.min_psnr = 45;
  EXPECT_EQ(repair::make_repair(x, y, 8, low).stats.repaired, 0);
  auto r = repair::make_repair(x, y, 8, high);
  EXPECT_EQ(r.stats.repaired, 1);
  EXPECT_GE(block_psnr(x, repair::apply_repair(y, r.payload, 8, "t"), 8, 0, 0), 45.0);
}

TEST(Repair, ADarkFlatBlockAbove40dBIsStillRepairedForItsSsim) {
  // Noise of +-2 on a nearly black block: about 44 dB, but plainly visible (SSIM about 0.9).
  auto x = torch::full({3, 16, 16}, 3, torch::kUInt8);
  x.slice(1, 0, 8).add_(2);
  auto y = damage_block(x, 16, 0, 0, 2, 13);
  RepairOptions psnr_only;
  psnr_only.min_ssim = 0;
  EXPECT_EQ(repair::make_repair(x, y, 16, psnr_only).stats.repaired, 0);
  auto r = repair::make_repair(x, y, 16, {});
  EXPECT_GT(r.stats.worst_before, 40);
  EXPECT_EQ(r.stats.repaired, 1);
  EXPECT_GE(metrics::ssim(x, repair::apply_repair(y, r.payload, 16, "t")), 0.99);
  RepairOptions bad;
  bad.min_ssim = 1;
  EXPECT_THROW(repair::make_repair(x, y, 16, bad), Error);
}

TEST(Repair, TheSsimFloorIsTheImagesSoOneGrainyBlockAmongExactOnesIsLeft) {
  auto x = torch::full({3, 64, 64}, 3, torch::kUInt8);
  x.slice(2, 0, 32).add_(2);
  auto y = damage_block(x, 16, 1, 1, 2, 14);  // one of 16 blocks, SSIM about 0.9
  auto r = repair::make_repair(x, y, 16, {});
  EXPECT_EQ(r.stats.repaired, 0);  // the image's mean SSIM is still above 0.99
  RepairOptions strict;
  strict.min_ssim = 0.999;
  auto s = repair::make_repair(x, y, 16, strict);
  EXPECT_EQ(s.stats.repaired, 1);
  EXPECT_TRUE(torch::equal(repair::apply_repair(y, s.payload, 16, "t").slice(1, 0, 16), x.slice(1, 0, 16)));
}

TEST(Repair, LosslessIsBitExactOnCutShortEdgeBlocks) {
  auto x = random_image(21, 13, 7);
  torch::manual_seed(8);
  auto y = (x.to(torch::kInt32) + torch::randint(-3, 4, x.sizes(), torch::kInt32)).clamp(0, 255).to(torch::kUInt8);
  RepairOptions o;
  o.lossless = true;
  auto r = repair::make_repair(x, y, 8, o);
  EXPECT_EQ(r.stats.blocks, 6);
  EXPECT_TRUE(r.stats.lossless);
  EXPECT_TRUE(std::isinf(r.stats.worst_after));
  EXPECT_TRUE(torch::equal(repair::apply_repair(y, r.payload, 8, "t"), x));
  auto st = repair::read_stats(r.payload);
  EXPECT_EQ(st.repaired, r.stats.repaired);
  EXPECT_TRUE(st.lossless);
}

TEST(Repair, EncryptionHidesThePayloadAndUndoesItself) {
  auto x = random_image(16, 16, 9);
  auto r = repair::make_repair(x, damage_block(x, 8, 0, 1, 50, 10), 8, {});
  crypto::Key k{};
  crypto::Nonce n{};
  n[0] = 1;
  auto sealed = repair::crypt(r.payload, k, n);
  EXPECT_NE(sealed, r.payload);
  EXPECT_EQ(repair::crypt(sealed, k, n), r.payload);
  n[0] = 2;
  EXPECT_NE(repair::crypt(r.payload, k, n), sealed);
}

TEST(Repair, DamagedPayloadsAndBadFloorsAreRefused) {
  auto x = random_image(16, 16, 11);
  auto r = repair::make_repair(x, damage_block(x, 8, 1, 1, 50, 12), 8, {});
  auto cut = r.payload;
  cut.pop_back();
  EXPECT_THROW(repair::apply_repair(x, cut, 8, "t"), Error);
  auto version = r.payload;
  version[0] = 9;
  EXPECT_THROW(repair::apply_repair(x, version, 8, "t"), Error);
  EXPECT_THROW(repair::apply_repair(x, r.payload, 4, "t"), Error);  // another block grid
  EXPECT_THROW(repair::apply_repair(random_image(24, 16, 1), r.payload, 8, "t"), Error);
  try {
    repair::apply_repair(x, cut, 8, "t");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("damaged hipp file (repair data"), std::string::npos) << e.what();
  }
  RepairOptions o;
  o.min_psnr = 0;
  EXPECT_THROW(repair::make_repair(x, x, 8, o), Error);
  o.min_psnr = 101;
  EXPECT_THROW(repair::make_repair(x, x, 8, o), Error);
}

// Shipped models: HIPP on a dark photo lit orange (the stress set's "dark-orange", the
// issue's worst case) restores some blocks below 40 dB by itself; the check repairs them.
class ShippedRepair : public ::testing::Test {
 protected:
  void SetUp() override {
    auto photo = image::center_crop_resize(image::load(test::fixture("scenes/glacier.jpg")), 64, 1.0);
    dark = data::stress_transform(photo, "dark-orange", 1);
    scheme = protect::load_hipp(protect::nearest_model(64, 64), 8, torch::kCPU);
    h.scheme = "hipp";
    h.block = 8;
    h.nonce[0] = 7;
  }
  torch::Tensor dark;
  std::unique_ptr<protect::HippScheme> scheme;
  container::Header h;
  crypto::Key key{};
};

TEST_F(ShippedRepair, ABlockHippRestoresBelowTheFloorIsRepaired) {
  repair::RepairStats st;
  auto prot = repair::protect_checked(*scheme, dark, key, h, {}, &st);
  EXPECT_GT(st.repaired, 0) << "HIPP alone restored every block of this dark photo above 40 dB";
  EXPECT_LT(st.worst_before, 40);
  EXPECT_GE(st.worst_after, 40);
  // The protected pixels are HIPP's own: the check does not touch them.
  scheme::SideData side;
  EXPECT_TRUE(torch::equal(prot, scheme->protect(dark, key, h.nonce, &side)));
  container::Parsed p{h, prot};
  auto back = repair::restore_checked(*scheme, p, key, "t");
  EXPECT_GE(worst_block_psnr(dark, back, 8), 40.0);
  EXPECT_LT(worst_block_psnr(dark, scheme->restore(prot, key, h.nonce, h.side), 8), 40.0);
}

TEST_F(ShippedRepair, LosslessRoundTripsOfStressImagesAreBitExact) {
  RepairOptions o;
  o.lossless = true;
  auto photo = image::center_crop_resize(image::load(test::fixture("scenes/street.jpg")), 64, 1.0);
  for (auto& name : data::stress_names()) {
    auto img = data::stress_transform(photo, name, 3);
    auto prot = repair::protect_checked(*scheme, img, key, h, o);
    container::Parsed p{h, prot};
    EXPECT_TRUE(torch::equal(repair::restore_checked(*scheme, p, key, "t"), img)) << name;
  }
}
