// The wavelet flow: exact Haar steps, conditional levels that invert, log-determinants that
// match brute-force Jacobians, and a whole model that round-trips and scores finite densities.
#include "flow/wavelet_flow.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::flow;

namespace {
WaveletConfig tiny() {
  WaveletConfig c;
  c.levels = 2;
  c.steps = 2;
  c.hidden = 8;
  c.cond_hidden = 4;
  c.base = GlowConfig{3, 1, 2, 8, 8, CouplingType::Additive, 1.0};
  return c;
}

// Perturbs zero-initialised layers so the test exercises non-identity maps.
void randomize(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  for (auto& p : m.named_parameters())
    if (p.key().find("initialized") == std::string::npos) p.value().add_(torch::randn_like(p.value()) * 0.05);
}
}  // namespace

TEST(Haar, SplitMergeIsExactAndAveragesBlocks) {
  auto x = torch::rand({2, 3, 8, 6}, torch::kFloat64);
  auto [low, detail] = haar_split(x);
  EXPECT_EQ(low.sizes(), (std::vector<int64_t>{2, 3, 4, 3}));
  EXPECT_EQ(detail.sizes(), (std::vector<int64_t>{2, 9, 4, 3}));
  EXPECT_TRUE(torch::allclose(low, torch::avg_pool2d(x, 2)));
  EXPECT_LT((haar_merge(low, detail) - x).abs().max().item<double>(), 1e-15);
}

TEST(Haar, LogDetMatchesBruteForceJacobian) {
  auto x = torch::rand({1, 1, 2, 2}, torch::kFloat64);
  auto f = [](const torch::Tensor& v) {
    auto [l, d] = haar_split(v.view({1, 1, 2, 2}));
    return torch::cat({l.flatten(), d.flatten()});
  };
  auto [low, detail] = haar_split(x);
  EXPECT_NEAR(test::brute_force_logdet(f, x.flatten()), haar_logdet(low), 1e-10);
}

TEST(DetailFlow, InvertsAndHasBruteForceLogDet) {
  torch::manual_seed(1);
  DetailFlow f(1, 2, 8, 4);
  f.to(torch::kFloat64);
  randomize(f);
  auto d = torch::randn({1, 3, 2, 2}, torch::kFloat64), low = torch::randn({1, 1, 2, 2}, torch::kFloat64);
  auto r = f.forward(d, low);
  EXPECT_LT((f.inverse(r.y, low) - d).abs().max().item<double>(), 1e-12);
  auto g = [&](const torch::Tensor& v) { return f.forward(v.view({1, 3, 2, 2}), low).y.flatten(); };
  EXPECT_NEAR(test::brute_force_logdet(g, d.flatten()), r.logdet.item<double>(), 1e-8);
}

TEST(WaveletFlow, RoundTripsSamplesAndScoresAnySupportedSize) {
  torch::manual_seed(2);
  WaveletFlow w(tiny());
  auto x = torch::rand({2, 3, 16, 24}) - 0.5;
  w.train();
  w.log_density(x);  // data-dependent ActNorm init
  w.eval();
  torch::NoGradGuard ng;
  EXPECT_LT((w.round_trip(x) - x).abs().max().item<double>(), 1e-5);
  auto ld = w.log_density(x);
  EXPECT_TRUE(torch::isfinite(ld).all().item<bool>());
  auto s = w.sample(3, 16, 8, 0.7);
  EXPECT_EQ(s.sizes(), (std::vector<int64_t>{3, 3, 16, 8}));
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
  EXPECT_ERROR_HAS(w.check_size(12, 16), "multiple of 8");
}

TEST(WaveletFlow, DensityIsThePyramidSum) {
  // log p(x) = log p_base(thumbnail) + sum over levels of (detail term + Haar log-det).
  torch::manual_seed(3);
  WaveletFlow w(tiny());
  w.eval();
  torch::NoGradGuard ng;
  auto x = torch::rand({1, 3, 8, 8}) - 0.5;
  auto [l1, d0] = haar_split(x);
  auto [l2, d1] = haar_split(l1);
  auto r0 = w.detail_forward(0, d0, l1), r1 = w.detail_forward(1, d1, l2);
  auto expected = w.base().log_density(l2) + r0.logdet + standard_normal_log_p(r0.y) + haar_logdet(l1) + r1.logdet +
                  standard_normal_log_p(r1.y) + haar_logdet(l2);
  EXPECT_NEAR(w.log_density(x).item<double>(), expected.item<double>(), 1e-3);
}
