// Each invertible layer: exact round trip, and log-det equal to a brute-force Jacobian.
#include "flow/layers.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::flow;
using hipp::test::brute_force_logdet;
using hipp::test::perturb;

namespace {

double max_abs(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Round trip in fp32 at two sizes, then log-det against autograd in float64 on 1x12x2x2.
void check_layer(const std::shared_ptr<Invertible>& layer, int64_t channels) {
  layer->eval();
  for (auto hw : {std::pair<int64_t, int64_t>{8, 8}, {6, 10}}) {
    auto x = torch::randn({3, channels, hw.first, hw.second});
    auto r = layer->forward(x);
    EXPECT_EQ(r.logdet.sizes(), torch::IntArrayRef({3}));
    EXPECT_LT(max_abs(layer->inverse(r.y), x), 1e-4) << hw.first << "x" << hw.second;
  }
  layer->to(torch::kFloat64);
  auto x = torch::randn({1, channels, 2, 2}, torch::kFloat64);
  double expected = brute_force_logdet([&](const torch::Tensor& t) { return layer->forward(t).y; }, x);
  EXPECT_NEAR(layer->forward(x).logdet.item<double>(), expected, 1e-8);
  layer->to(torch::kFloat32);
}

}  // namespace

TEST(ActNorm, DataDependentInitStandardizes) {
  torch::manual_seed(0);
  auto an = std::make_shared<ActNorm>(4);
  an->train();
  auto x = torch::randn({64, 4, 5, 5}) * 3 + 2;
  auto y = an->forward(x).y;
  EXPECT_TRUE(an->initialized());
  EXPECT_LT(y.mean({0, 2, 3}).abs().max().item<double>(), 1e-4);
  EXPECT_NEAR(y.std({0, 2, 3}, false).mean().item<double>(), 1.0, 1e-3);
  // Initialisation happens once: a second batch does not move the parameters.
  auto y2 = an->forward(x * 5).y;
  EXPECT_GT(y2.std().item<double>(), 4.0);
  check_layer(an, 12 / 3);
}

TEST(ActNorm, RoundTripAndLogdet) {
  torch::manual_seed(1);
  auto an = std::make_shared<ActNorm>(12);
  perturb(*an, 0.5);
  check_layer(an, 12);
}

TEST(InvConv1x1, RoundTripAndLogdet) {
  torch::manual_seed(2);
  auto c = std::make_shared<InvConv1x1>(12);
  perturb(*c, 0.1);
  check_layer(c, 12);
}

TEST(InvConv1x1, StartsAsRotation) {
  torch::manual_seed(3);
  InvConv1x1 c(6);
  auto w = c.weight();
  EXPECT_LT(max_abs(torch::matmul(w, w.t()), torch::eye(6)), 1e-5);
}

TEST(Coupling, AdditiveIsVolumePreserving) {
  torch::manual_seed(4);
  auto c = std::make_shared<Coupling>(12, 16, CouplingType::Additive, 1.0);
  perturb(*c, 0.1);
  EXPECT_EQ(c->forward(torch::randn({2, 12, 4, 4})).logdet.abs().max().item<double>(), 0.0);
  check_layer(c, 12);
}

TEST(Coupling, AffineRoundTripAndLogdet) {
  torch::manual_seed(5);
  auto c = std::make_shared<Coupling>(12, 16, CouplingType::Affine, 1.0);
  perturb(*c, 0.1);
  check_layer(c, 12);
}

TEST(Coupling, AffineScaleStaysBounded) {
  torch::manual_seed(6);
  double bound = 0.5;
  auto c = std::make_shared<Coupling>(12, 16, CouplingType::Affine, bound);
  perturb(*c, 3.0);  // wild weights: raw log-scales far beyond the bound
  auto x = torch::randn({2, 12, 4, 4}) * 100;
  auto r = c->forward(x);
  EXPECT_LE(r.logdet.abs().max().item<double>(), bound * 6 * 4 * 4 + 1e-3);
  EXPECT_TRUE(torch::isfinite(c->inverse(r.y)).all().item<bool>());
}

TEST(Squeeze, IsAPermutation) {
  auto s = std::make_shared<Squeeze>();
  auto x = torch::arange(2 * 3 * 4 * 6, torch::kFloat32).view({2, 3, 4, 6});
  auto r = s->forward(x);
  EXPECT_EQ(r.y.sizes(), torch::IntArrayRef({2, 12, 2, 3}));
  EXPECT_TRUE(torch::equal(std::get<0>(r.y.flatten().sort()), x.flatten()));
  EXPECT_TRUE(torch::equal(s->inverse(r.y), x));
  EXPECT_EQ(r.logdet.abs().max().item<double>(), 0.0);
  EXPECT_THROW(squeeze2d(torch::zeros({1, 3, 5, 4})), c10::Error);
}

TEST(FlowStep, RoundTripAndLogdet) {
  torch::manual_seed(7);
  for (auto type : {CouplingType::Additive, CouplingType::Affine}) {
    auto s = std::make_shared<FlowStep>(12, 16, type, 1.0);
    perturb(*s, 0.1);
    check_layer(s, 12);
  }
}
