#pragma once
// Glow's building blocks (Kingma & Dhariwal 2018), each an Invertible.
#include <string>
#include <vector>

#include "flow/invertible.h"

namespace hipp::flow {

// Per-channel affine y = (x + b) * exp(s). In training mode, its first forward sets b and s
// so that the batch comes out with zero mean and unit variance (data-dependent init).
class ActNorm : public Invertible {
 public:
  explicit ActNorm(int channels);
  FlowResult forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  bool initialized() const;
  torch::Tensor logdet_per_position() const { return logs_.sum(); }

 private:
  torch::Tensor bias_, logs_, initialized_;
};

// Invertible 1x1 convolution, W = P L (U + diag(sign * exp(log_s))): log|det| is sum(log_s).
class InvConv1x1 : public Invertible {
 public:
  explicit InvConv1x1(int channels);
  FlowResult forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  torch::Tensor weight() const;
  torch::Tensor logdet_per_position() const { return log_s_.sum(); }

 private:
  torch::Tensor p_, lower_, upper_, log_s_, sign_s_, lower_mask_, eye_;
};

// 3x3 convolution that starts at zero, with a learned log-scale, so new layers start as identity.
class ZeroConv2d : public torch::nn::Module {
 public:
  ZeroConv2d(int in, int out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::Tensor logscale_;
};

enum class CouplingType { Additive, Affine };
CouplingType parse_coupling(const std::string& name);
std::string coupling_name(CouplingType t);

// The first C/2 channels (plus an optional condition of `cond_channels` feature maps) feed a
// network that shifts (additive, volume-preserving) or shifts and scales (affine) the other
// C - C/2. Affine scales are exp(b * tanh(r / b)): bounded by exp(+-b), so the inverse cannot
// blow up when it meets latents off the training distribution.
class Coupling : public Invertible {
 public:
  Coupling(int channels, int hidden, CouplingType type, double scale_bound, int cond_channels = 0);
  FlowResult forward(const torch::Tensor& x) override { return forward(x, {}); }
  torch::Tensor inverse(const torch::Tensor& y) override { return inverse(y, {}); }
  FlowResult forward(const torch::Tensor& x, const torch::Tensor& cond);
  torch::Tensor inverse(const torch::Tensor& y, const torch::Tensor& cond);
  CouplingType type() const { return type_; }

 private:
  std::pair<torch::Tensor, torch::Tensor> shift_logscale(const torch::Tensor& xa, const torch::Tensor& cond);
  std::vector<torch::Tensor> halves(const torch::Tensor& x) const;
  CouplingType type_;
  double bound_;
  int channels_, cond_channels_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  std::shared_ptr<ZeroConv2d> out_;
};

// Space-to-depth: [N,C,H,W] -> [N,4C,H/2,W/2]; a permutation, so log|det| = 0.
class Squeeze : public Invertible {
 public:
  FlowResult forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
};
torch::Tensor squeeze2d(const torch::Tensor& x);
torch::Tensor unsqueeze2d(const torch::Tensor& y);

// One step of flow: ActNorm -> 1x1 convolution -> coupling (optionally conditioned).
class FlowStep : public Invertible {
 public:
  FlowStep(int channels, int hidden, CouplingType type, double scale_bound, int cond_channels = 0);
  FlowResult forward(const torch::Tensor& x) override { return forward(x, {}); }
  torch::Tensor inverse(const torch::Tensor& y) override { return inverse(y, {}); }
  FlowResult forward(const torch::Tensor& x, const torch::Tensor& cond);
  torch::Tensor inverse(const torch::Tensor& y, const torch::Tensor& cond);
  // log|det| per spatial position; the whole log-det when the coupling is additive.
  torch::Tensor logdet_per_position() const;

 private:
  std::shared_ptr<ActNorm> actnorm_;
  std::shared_ptr<InvConv1x1> invconv_;
  std::shared_ptr<Coupling> coupling_;
};

// log N(x; mean, exp(logs)^2), elementwise.
torch::Tensor gaussian_log_p(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& logs);

}  // namespace hipp::flow
