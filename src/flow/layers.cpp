#include "flow/layers.h"

#include <cmath>

#include "common/error.h"

namespace hipp::flow {
namespace F = torch::nn::functional;

namespace {
torch::Tensor per_sample(const torch::Tensor& scalar, const torch::Tensor& like) {
  return scalar.expand({like.size(0)});
}
}  // namespace

// ---------------------------------------------------------------- ActNorm
ActNorm::ActNorm(int channels) {
  bias_ = register_parameter("bias", torch::zeros({1, channels, 1, 1}));
  logs_ = register_parameter("logs", torch::zeros({1, channels, 1, 1}));
  initialized_ = register_buffer("initialized", torch::zeros({1}));
}

bool ActNorm::initialized() const { return initialized_.item<float>() > 0; }

FlowResult ActNorm::forward(const torch::Tensor& x) {
  if (is_training() && !initialized()) {
    torch::NoGradGuard ng;
    auto mean = x.mean({0, 2, 3}, true);
    auto std = x.std({0, 2, 3}, /*unbiased=*/false, true);
    bias_.copy_(-mean);
    logs_.copy_(torch::log(1.0 / (std + 1e-6)));
    initialized_.fill_(1);
  }
  auto y = (x + bias_) * torch::exp(logs_);
  auto logdet = logs_.sum() * (x.size(2) * x.size(3));
  return {y, per_sample(logdet, x)};
}

torch::Tensor ActNorm::inverse(const torch::Tensor& y) { return y * torch::exp(-logs_) - bias_; }

// ---------------------------------------------------------------- InvConv1x1
InvConv1x1::InvConv1x1(int channels) {
  torch::NoGradGuard ng;
  // Start from a random rotation, stored as its LU factors.
  auto q = std::get<0>(torch::linalg_qr(torch::randn({channels, channels}, torch::kFloat64)));
  auto [lu, piv] = torch::linalg_lu_factor(q);
  auto [p, l, u] = torch::lu_unpack(lu, piv);
  auto s = torch::diagonal(u);
  p_ = register_buffer("p", p.to(torch::kFloat32));
  sign_s_ = register_buffer("sign_s", torch::sign(s).to(torch::kFloat32));
  lower_mask_ = register_buffer("lower_mask", torch::tril(torch::ones({channels, channels}), -1));
  eye_ = register_buffer("eye", torch::eye(channels));
  lower_ = register_parameter("lower", l.to(torch::kFloat32));
  upper_ = register_parameter("upper", torch::triu(u, 1).to(torch::kFloat32));
  log_s_ = register_parameter("log_s", torch::log(torch::abs(s)).to(torch::kFloat32));
}

torch::Tensor InvConv1x1::weight() const {
  auto l = lower_ * lower_mask_ + eye_;
  auto u = upper_ * lower_mask_.t() + torch::diag(sign_s_ * torch::exp(log_s_));
  return torch::matmul(p_, torch::matmul(l, u));
}

FlowResult InvConv1x1::forward(const torch::Tensor& x) {
  auto w = weight();
  auto y = F::conv2d(x, w.unsqueeze(2).unsqueeze(3));
  auto logdet = log_s_.sum() * (x.size(2) * x.size(3));
  return {y, per_sample(logdet, x)};
}

torch::Tensor InvConv1x1::inverse(const torch::Tensor& y) {
  // Invert in float64 so the inverse weight carries no more error than fp32 storage.
  auto w_inv = torch::inverse(weight().to(torch::kFloat64)).to(y.scalar_type());
  return F::conv2d(y, w_inv.unsqueeze(2).unsqueeze(3));
}

// ---------------------------------------------------------------- ZeroConv2d
ZeroConv2d::ZeroConv2d(int in, int out) {
  conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
  torch::NoGradGuard ng;
  conv_->weight.zero_();
  conv_->bias.zero_();
  logscale_ = register_parameter("logscale", torch::zeros({1, out, 1, 1}));
}

torch::Tensor ZeroConv2d::forward(const torch::Tensor& x) { return conv_->forward(x) * torch::exp(logscale_ * 3); }

// ---------------------------------------------------------------- Coupling
CouplingType parse_coupling(const std::string& name) {
  if (name == "additive") return CouplingType::Additive;
  if (name == "affine") return CouplingType::Affine;
  throw Error("coupling must be additive or affine, not '" + name + "'");
}

std::string coupling_name(CouplingType t) { return t == CouplingType::Additive ? "additive" : "affine"; }

Coupling::Coupling(int channels, int hidden, CouplingType type, double scale_bound, int cond_channels)
    : type_(type), bound_(scale_bound), channels_(channels), cond_channels_(cond_channels) {
  TORCH_CHECK(channels >= 2, "coupling needs at least two channels");
  int a = channels / 2, b = channels - a;
  conv1_ = register_module("conv1",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(a + cond_channels, hidden, 3).padding(1)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, hidden, 1)));
  out_ = register_module("out", std::make_shared<ZeroConv2d>(hidden, type == CouplingType::Affine ? 2 * b : b));
  torch::NoGradGuard ng;
  for (auto* conv : {&conv1_, &conv2_}) {
    (*conv)->weight.normal_(0, 0.05);
    (*conv)->bias.zero_();
  }
}

std::vector<torch::Tensor> Coupling::halves(const torch::Tensor& x) const {
  int64_t a = channels_ / 2;
  return x.split_with_sizes({a, channels_ - a}, 1);
}

std::pair<torch::Tensor, torch::Tensor> Coupling::shift_logscale(const torch::Tensor& xa, const torch::Tensor& cond) {
  TORCH_CHECK(cond.defined() == (cond_channels_ > 0), "coupling condition ",
              cond_channels_ > 0 ? "missing" : "given to an unconditioned coupling");
  auto in = cond.defined() ? torch::cat({xa, cond}, 1) : xa;
  auto h = out_->forward(torch::relu(conv2_->forward(torch::relu(conv1_->forward(in)))));
  if (type_ == CouplingType::Additive) return {h, torch::Tensor()};
  auto parts = h.chunk(2, 1);
  return {parts[0], bound_ * torch::tanh(parts[1] / bound_)};
}

FlowResult Coupling::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  auto parts = halves(x);
  auto [shift, logs] = shift_logscale(parts[0], cond);
  if (type_ == CouplingType::Additive)
    return {torch::cat({parts[0], parts[1] + shift}, 1), torch::zeros({x.size(0)}, x.options())};
  auto yb = (parts[1] + shift) * torch::exp(logs);
  return {torch::cat({parts[0], yb}, 1), logs.sum({1, 2, 3})};
}

torch::Tensor Coupling::inverse(const torch::Tensor& y, const torch::Tensor& cond) {
  auto parts = halves(y);
  auto [shift, logs] = shift_logscale(parts[0], cond);
  if (type_ == CouplingType::Additive) return torch::cat({parts[0], parts[1] - shift}, 1);
  return torch::cat({parts[0], parts[1] * torch::exp(-logs) - shift}, 1);
}

// ---------------------------------------------------------------- Squeeze
torch::Tensor squeeze2d(const torch::Tensor& x) {
  auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  TORCH_CHECK(h % 2 == 0 && w % 2 == 0, "squeeze needs even height and width, got ", h, "x", w);
  return x.view({n, c, h / 2, 2, w / 2, 2}).permute({0, 1, 3, 5, 2, 4}).reshape({n, c * 4, h / 2, w / 2});
}

torch::Tensor unsqueeze2d(const torch::Tensor& y) {
  auto n = y.size(0), c = y.size(1), h = y.size(2), w = y.size(3);
  return y.view({n, c / 4, 2, 2, h, w}).permute({0, 1, 4, 2, 5, 3}).reshape({n, c / 4, h * 2, w * 2});
}

FlowResult Squeeze::forward(const torch::Tensor& x) { return {squeeze2d(x), torch::zeros({x.size(0)}, x.options())}; }
torch::Tensor Squeeze::inverse(const torch::Tensor& y) { return unsqueeze2d(y); }

// ---------------------------------------------------------------- FlowStep
FlowStep::FlowStep(int channels, int hidden, CouplingType type, double scale_bound, int cond_channels) {
  actnorm_ = register_module("actnorm", std::make_shared<ActNorm>(channels));
  invconv_ = register_module("invconv", std::make_shared<InvConv1x1>(channels));
  coupling_ = register_module("coupling",
                              std::make_shared<Coupling>(channels, hidden, type, scale_bound, cond_channels));
}

FlowResult FlowStep::forward(const torch::Tensor& x, const torch::Tensor& cond) {
  auto a = actnorm_->forward(x);
  auto b = invconv_->forward(a.y);
  auto c = coupling_->forward(b.y, cond);
  return {c.y, a.logdet + b.logdet + c.logdet};
}

torch::Tensor FlowStep::logdet_per_position() const {
  TORCH_CHECK(coupling_->type() == CouplingType::Additive, "an affine coupling's log-det depends on its input");
  return actnorm_->logdet_per_position() + invconv_->logdet_per_position();
}

torch::Tensor FlowStep::inverse(const torch::Tensor& y, const torch::Tensor& cond) {
  return actnorm_->inverse(invconv_->inverse(coupling_->inverse(y, cond)));
}

torch::Tensor gaussian_log_p(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& logs) {
  static const double kLog2Pi = std::log(2 * M_PI);
  return -0.5 * (kLog2Pi + 2.0 * logs + (x - mean).pow(2) * torch::exp(-2.0 * logs));
}

}  // namespace hipp::flow
