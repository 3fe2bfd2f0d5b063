// The range fit: scaled details stay inside the 8-bit range with every block mean (the
// thumbnail) unchanged, undo brings them back, the stored codes need the key, and HIPP with
// the fit restores a bright image that clipping would damage.
#include <cmath>

#include "hipp/hipp_scheme.h"
#include "hipp/range_fit.h"
#include "hipp/range_fit_storage.h"
#include "metrics/metrics.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::protect;

namespace {
namespace F = torch::nn::functional;
torch::Tensor means(const torch::Tensor& y, int b) { return F::avg_pool2d(y, F::AvgPool2dFuncOptions(b)); }
}  // namespace

TEST(RangeFit, BringsEveryValueInsideAndKeepsBlockMeans) {
  torch::manual_seed(1);
  // Block means inside the range, details that overshoot it in some blocks.
  auto mean = (torch::rand({1, 3, 4, 5}) - 0.5) * 0.98;
  auto y = mean.repeat_interleave(8, 2).repeat_interleave(8, 3) + torch::randn({1, 3, 32, 40}) * 0.08;
  y = y - (means(y, 8) - mean).repeat_interleave(8, 2).repeat_interleave(8, 3);
  ASSERT_GT((y.abs() >= 0.5).sum().item<int64_t>(), 0) << "the test image should overshoot somewhere";
  auto codes = range_codes(y, 8);
  ASSERT_EQ(codes.sizes(), (torch::IntArrayRef{1, 3, 4, 5}));
  auto fitted = scale_details(y, codes, 8, false);
  EXPECT_GE(fitted.min().item<double>(), -0.5);
  EXPECT_LT(fitted.max().item<double>(), 0.5);
  EXPECT_LT((means(fitted, 8) - means(y, 8)).abs().max().item<double>(), 1e-6);
  EXPECT_LT((scale_details(fitted, codes, 8, true) - y).abs().max().item<double>(), 1e-5);
  // A batch gets each image's own codes.
  auto both = range_codes(torch::cat({y, y.flip({3})}), 8);
  EXPECT_TRUE(torch::equal(both[0], codes[0]));
  EXPECT_TRUE(torch::equal(both[1], range_codes(y.flip({3}), 8)[0]));
  // Blocks already inside are left alone; the others get the least scaling that fits.
  auto inside = F::max_pool2d(y.abs(), F::MaxPool2dFuncOptions(8)) < 0.499;
  EXPECT_TRUE(torch::equal(codes.masked_select(inside), torch::zeros({inside.sum().item<int64_t>()}, torch::kUInt8)));
  EXPECT_GT(codes.max().item<int>(), 0);
  auto looser = (codes.to(torch::kInt) - 1).clamp_min(0).to(torch::kUInt8);
  auto over = scale_details(y, looser, 8, false);
  auto changed = (looser != codes);
  auto overshoot = F::max_pool2d(over.abs(), F::MaxPool2dFuncOptions(8)) >= 0.5;
  EXPECT_TRUE(torch::equal(overshoot.masked_select(changed), torch::ones({changed.sum().item<int64_t>()}, torch::kBool)));
}

TEST(RangeFit, DetailScalesSnapDownToCodesAndSetAFloor) {
  EXPECT_EQ(scale_code(1.0), 0);
  EXPECT_EQ(scale_code(0.71), 1);  // 2^-1/2 = 0.7071 is not above 0.71
  EXPECT_EQ(scale_code(0.7), 2);
  EXPECT_EQ(scale_code(0.5), 2);
  EXPECT_NEAR(code_scale(3), std::pow(2.0, -1.5), 1e-12);
  EXPECT_ERROR_HAS(scale_code(0), "must be in (0, 1]");
  EXPECT_ERROR_HAS(scale_code(1.5), "must be in (0, 1]");
  EXPECT_ERROR_HAS(scale_code(0.001), "below the smallest");
  auto y = torch::rand({1, 3, 16, 16}) * 0.2 - 0.1;  // well inside: no fit needed
  EXPECT_EQ(range_codes(y, 8).max().item<int>(), 0);
  auto floor2 = range_codes(y, 8, 2);
  EXPECT_EQ(floor2.min().item<int>(), 2);
  EXPECT_EQ(floor2.max().item<int>(), 2);
}

TEST(RangeFit, StoredCodesRoundTripOnlyWithTheKey) {
  auto codes = torch::randint(0, kMaxRangeCode + 1, {3, 5, 7}).to(torch::kUInt8);
  auto key = test::filled<32>(1);
  auto nonce = test::filled<24>(2);
  auto bytes = range_fit_bytes(codes, key, nonce);
  EXPECT_EQ(bytes.size(), (3u * 5 * 7 + 1) / 2);
  EXPECT_TRUE(torch::equal(range_fit_codes(bytes, 3, 5, 7, key, nonce), codes));
  EXPECT_FALSE(torch::equal(range_fit_codes(bytes, 3, 5, 7, test::filled<32>(9), nonce), codes));
  // All-zero codes are not stored as zeros.
  auto zeros = range_fit_bytes(torch::zeros({3, 5, 7}, torch::kUInt8), key, nonce);
  EXPECT_NE(std::count(zeros.begin(), zeros.end(), 0), static_cast<long>(zeros.size()));
  EXPECT_ERROR_HAS(range_fit_codes(bytes, 3, 5, 8, key, nonce), "damaged hipp file (range data");
}

TEST(RangeFit, HippWithTheFitRestoresABrightImageBetterThanClipping) {
  auto f = test::tiny_wavelet_flow();
  HippScheme s(f, 8);
  // A bright, textured image: the protected details overshoot 255 in many blocks.
  torch::manual_seed(4);
  auto img = (235 + torch::rand({3, 32, 40}) * 20).round().to(torch::kUInt8);
  auto key = test::filled<32>(1);
  auto nonce = test::filled<24>(3);
  SideData side;
  auto fitted = s.protect(img, key, nonce, &side);
  EXPECT_EQ(side.size(), (3u * 4 * 5 + 1) / 2);
  auto clipped = s.protect(img, key, nonce);
  EXPECT_FALSE(torch::equal(fitted, clipped)) << "the fit should have changed some block";
  auto with_fit = s.restore(fitted, key, nonce, side), without = s.restore(clipped, key, nonce);
  EXPECT_GT(metrics::psnr(img, with_fit), metrics::psnr(img, without) + 3);
  EXPECT_GT(metrics::thumbnail_psnr(img, fitted, 8), 45.0);
  // Side data of the wrong length is a damaged file, not a crash.
  SideData shorter(side.begin(), side.end() - 1);
  EXPECT_ERROR_HAS(s.restore(fitted, key, nonce, shorter), "damaged hipp file");
  // An image smaller than a block has no region to fit and keeps no side data.
  auto tiny = img.slice(1, 0, 5).slice(2, 0, 6).contiguous();
  SideData none{1};
  s.protect(tiny, key, nonce, &none);
  EXPECT_TRUE(none.empty());
  EXPECT_ERROR_HAS(s.restore(tiny, key, nonce, SideData{1}), "keeps no side data");
}

TEST(RangeFit, ADetailScaleSoftensTheProtectedImageAndStillRestores) {
  auto f = test::tiny_wavelet_flow();
  HippScheme s(f, 8);
  EXPECT_EQ(s.detail_scale(), 1.0);
  auto img = (torch::rand({3, 32, 32}) * 200 + 20).round().to(torch::kUInt8);
  auto key = test::filled<32>(1);
  auto nonce = test::filled<24>(5);
  SideData side, soft_side;
  auto prot = s.protect(img, key, nonce, &side);
  s.set_detail_scale(0.5);
  EXPECT_EQ(s.detail_scale(), 0.5);
  auto soft = s.protect(img, key, nonce, &soft_side);
  // Softer: the protected image varies less around its block means, which stay the thumbnail.
  auto spread = [](const torch::Tensor& t) {
    auto v = t.to(torch::kFloat).unsqueeze(0);
    return (v - F::avg_pool2d(v, F::AvgPool2dFuncOptions(8)).repeat_interleave(8, 2).repeat_interleave(8, 3))
        .abs().mean().item<double>();
  };
  EXPECT_LT(spread(soft), 0.8 * spread(prot));
  EXPECT_GT(metrics::thumbnail_psnr(img, soft, 8), 45.0);
  // Restoring needs only the stored codes, not the setting.
  HippScheme fresh(f, 8);
  EXPECT_GT(metrics::psnr(img, fresh.restore(soft, key, nonce, soft_side)), 35.0);
  EXPECT_ERROR_HAS(s.set_detail_scale(0), "must be in (0, 1]");
}

// Big images are fitted in bands of block rows (bounded memory); each block's arithmetic is the
// same, so codes and scaled details must equal those of the whole-image path, bit for bit, also
// when scaled in place (as protect and restore do, to spare a copy of the photo).
TEST(RangeFit, BandsOfABigImageGiveTheWholeImagesResult) {
  torch::manual_seed(5);
  auto y = (torch::rand({1, 3, 1024, 1536}) - 0.5) * 1.2;
  auto codes = range_codes(y, 8);
  std::vector<torch::Tensor> parts;  // slices small enough to take the whole-image path
  for (int64_t r = 0; r < 1024; r += 64) parts.push_back(range_codes(y.slice(2, r, r + 64), 8));
  EXPECT_TRUE(torch::equal(codes, torch::cat(parts, 2)));
  auto whole = scale_details(y, codes, 8, false);  // gradients enabled: one piece
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::equal(scale_details(y, codes, 8, false), whole));
  auto in_place = y.clone();
  scale_details_(in_place, codes, 8, false);
  EXPECT_TRUE(torch::equal(in_place, whole));
  scale_details_(in_place, codes, 8, true);
  EXPECT_TRUE(torch::equal(in_place, scale_details(whole, codes, 8, true)));
}
