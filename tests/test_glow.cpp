// The whole multi-scale Glow: exact inverse at any valid size, log-det, sampling, packing.
#include "common/error.h"
#include "flow/glow.h"
#include "io/tensor_file.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::flow;
using hipp::test::brute_force_logdet;
using hipp::test::perturb;

namespace {

GlowConfig tiny(int levels, CouplingType coupling = CouplingType::Additive) {
  GlowConfig c;
  c.levels = levels;
  c.steps = 2;
  c.hidden = 16;
  c.coupling = coupling;
  return c;
}

std::shared_ptr<Glow> initialized_glow(const GlowConfig& c, int64_t size) {
  auto g = std::make_shared<Glow>(c);
  g->train();
  {
    torch::NoGradGuard ng;
    g->encode(torch::rand({8, 3, size, size}) - 0.5);  // data-dependent ActNorm init
  }
  perturb(*g, 0.05);
  g->eval();
  return g;
}

}  // namespace

TEST(Glow, RoundTripAtTrainingAndOtherSizes) {
  torch::manual_seed(0);
  for (auto coupling : {CouplingType::Additive, CouplingType::Affine}) {
    auto g = initialized_glow(tiny(3, coupling), 16);
    torch::NoGradGuard ng;
    for (auto hw : {std::pair<int64_t, int64_t>{16, 16}, {24, 40}}) {
      auto x = torch::rand({2, 3, hw.first, hw.second}) - 0.5;
      auto enc = g->encode(x);
      ASSERT_EQ(enc.z.size(), 3u);
      auto shapes = g->latent_shapes(hw.first, hw.second);
      for (size_t i = 0; i < 3; ++i) EXPECT_EQ(enc.z[i].sizes().slice(1), torch::IntArrayRef(shapes[i]));
      EXPECT_LT((g->decode(enc.z) - x).abs().max().item<double>(), 1e-4) << hw.first << "x" << hw.second;
    }
  }
}

TEST(Glow, LatentsSplitFinestFirst) {
  Glow g(tiny(3));
  auto s = g.latent_shapes(64, 64);
  EXPECT_EQ(s[0], (std::vector<int64_t>{6, 32, 32}));
  EXPECT_EQ(s[1], (std::vector<int64_t>{12, 16, 16}));
  EXPECT_EQ(s[2], (std::vector<int64_t>{48, 8, 8}));
}

TEST(Glow, PackedInvertibleInterface) {
  torch::manual_seed(1);
  auto g = initialized_glow(tiny(3), 16);
  torch::NoGradGuard ng;
  auto x = torch::rand({2, 3, 16, 24}) - 0.5;
  auto r = g->forward(x);
  EXPECT_EQ(r.y.sizes(), torch::IntArrayRef({2, 192, 2, 3}));
  EXPECT_LT((g->inverse(r.y) - x).abs().max().item<double>(), 1e-4);
  auto z = g->unpack(r.y);
  EXPECT_TRUE(torch::equal(g->pack(z), r.y));
}

TEST(Glow, LogdetMatchesBruteForceJacobian) {
  torch::manual_seed(2);
  for (auto coupling : {CouplingType::Additive, CouplingType::Affine}) {
    auto g = initialized_glow(tiny(2, coupling), 4);
    g->to(torch::kFloat64);
    auto x = torch::rand({1, 3, 4, 4}, torch::kFloat64) - 0.5;
    double expected = brute_force_logdet([&](const torch::Tensor& t) { return g->forward(t).y; }, x);
    EXPECT_NEAR(g->forward(x).logdet.item<double>(), expected, 1e-8);
  }
}

TEST(Glow, RejectsSizesNotDivisibleByTwoToTheLevels) {
  Glow g(tiny(3));
  EXPECT_THROW(g.encode(torch::zeros({1, 3, 20, 16})), hipp::Error);
  EXPECT_THROW(g.sample(1, 4, 4, 1.0), hipp::Error);
}

TEST(Glow, SamplesAreFiniteAndTemperatureZeroIsTheMode) {
  torch::manual_seed(3);
  auto g = initialized_glow(tiny(2), 8);
  torch::NoGradGuard ng;
  auto s = g->sample(4, 8, 16, 0.7);
  EXPECT_EQ(s.sizes(), torch::IntArrayRef({4, 3, 8, 16}));
  EXPECT_TRUE(torch::isfinite(s).all().item<bool>());
  auto m = g->sample(2, 8, 8, 0.0);
  EXPECT_LT((m[0] - m[1]).abs().max().item<double>(), 1e-6);
}

TEST(Glow, PreprocessPostprocessRoundTrip) {
  auto img = torch::randint(0, 256, {2, 3, 8, 8}).to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(postprocess(preprocess(img, 8, false), 8), img));
  EXPECT_TRUE(torch::equal(postprocess(preprocess(img, 8, true), 8), img));  // noise stays inside the bin
  auto five = postprocess(preprocess(img, 5, true), 5);
  EXPECT_TRUE(torch::equal(five, (img / 8).floor().mul(8).to(torch::kUInt8)));
  auto x = preprocess(img, 8, true);
  EXPECT_GE(x.min().item<double>(), -0.5);
  EXPECT_LE(x.max().item<double>(), 0.5);
}

TEST(Glow, BitsPerDimOfStandardNormalPrior) {
  // A fresh Glow is close to identity + N(0,1) prior: bpd must be finite and positive.
  torch::manual_seed(4);
  auto g = initialized_glow(tiny(2), 8);
  torch::NoGradGuard ng;
  auto img = torch::randint(0, 256, {4, 3, 8, 8}).to(torch::kUInt8);
  auto bpd = bits_per_dim(g->log_density(preprocess(img, 8, true)), 3 * 64, 8);
  EXPECT_TRUE(torch::isfinite(bpd).all().item<bool>());
  EXPECT_GT(bpd.min().item<double>(), 0.0);
}

TEST(Glow, PositionalTopPriorSamplesAndScoresPerPosition) {
  torch::manual_seed(5);
  auto c = tiny(2);
  auto channel = initialized_glow(c, 8);
  c.top_prior_size = 2;  // 8x8 images, two levels: a 2x2 top latent
  Glow g(c);
  auto state = io::module_state(*channel);
  auto mean = torch::randn({1, 24, 2, 2}), logs = 0.3 * torch::randn({1, 24, 2, 2});
  state["top_mean"] = mean;
  state["top_logs"] = logs;
  io::load_module_state(g, state, "test");
  g.eval();
  torch::NoGradGuard ng;

  // Temperature 0 draws the mode: each position's own mean.
  auto mode = g.sample(2, 8, 8, 0.0);
  EXPECT_LT((g.encode(mode).z.back() - mean).abs().max().item<double>(), 1e-4);

  // The flow is the per-channel one's; only the top term of log p differs.
  auto x = torch::rand({3, 3, 8, 8}) - 0.5;
  auto a = g.encode(x), b = channel->encode(x);
  auto top = a.z.back();
  auto expected = b.logp - gaussian_log_p(top, channel->top_prior(2, 2).first, channel->top_prior(2, 2).second)
                               .sum({1, 2, 3}) + gaussian_log_p(top, mean, logs).sum({1, 2, 3});
  EXPECT_LT((a.logp - expected).abs().max().item<double>(), 1e-3);
  EXPECT_LT((a.logdet - b.logdet).abs().max().item<double>(), 1e-5);

  // Other sizes resize the grid: still a valid, finite model there, exact at the grid itself.
  EXPECT_EQ(g.top_prior(2, 4).first.sizes(), torch::IntArrayRef({1, 24, 2, 4}));
  EXPECT_TRUE(torch::equal(g.top_prior(2, 2).first, mean));
  auto wide = g.sample(2, 8, 16, 0.7);
  EXPECT_EQ(wide.sizes(), torch::IntArrayRef({2, 3, 8, 16}));
  EXPECT_TRUE(torch::isfinite(g.log_density(torch::rand({1, 3, 16, 8}) - 0.5)).all().item<bool>());
}

TEST(Glow, ConfigJsonKeepsTheTopPriorAndReadsOlderFiles) {
  auto c = tiny(3);
  c.top_prior_size = 8;
  auto j = config_to_json(c);
  EXPECT_EQ(config_from_json(j, "t").top_prior_size, 8);
  j.erase("top_prior_size");  // weights written before the option existed
  EXPECT_EQ(config_from_json(j, "t").top_prior_size, 0);
  j["top_prior_size"] = -1;
  EXPECT_THROW(config_from_json(j, "t"), hipp::Error);
}
