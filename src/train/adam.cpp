#include "train/adam.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace hipp::train {

Adam::Adam(std::vector<torch::Tensor> params, double beta1, double beta2, double eps)
    : params_(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (auto& p : params_) {
    m_.push_back(torch::zeros_like(p));
    v_.push_back(torch::zeros_like(p));
  }
}

void Adam::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void Adam::step(double lr) {
  torch::NoGradGuard ng;
  ++steps_;
  double bc1 = 1.0 - std::pow(beta1_, steps_), bc2 = 1.0 - std::pow(beta2_, steps_);
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& g = params_[i].grad();
    if (!g.defined()) continue;
    m_[i].mul_(beta1_).add_(g, 1.0 - beta1_);
    v_[i].mul_(beta2_).addcmul_(g, g, 1.0 - beta2_);
    auto denom = (v_[i] / bc2).sqrt_().add_(eps_);
    params_[i].addcdiv_(m_[i], denom, -lr / bc1);
  }
}

std::map<std::string, torch::Tensor> Adam::state() const {
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    out["adam.m." + std::to_string(i)] = m_[i];
    out["adam.v." + std::to_string(i)] = v_[i];
  }
  out["adam.step"] = torch::tensor({steps_}, torch::kLong);
  return out;
}

void Adam::load_state(const std::map<std::string, torch::Tensor>& t, const std::string& where) {
  torch::NoGradGuard ng;
  auto get = [&](const std::string& name, const torch::Tensor& like) {
    auto it = t.find(name);
    if (it == t.end()) throw Error(where + ": optimizer state lacks '" + name + "'");
    if (it->second.sizes() != like.sizes()) throw Error(where + ": optimizer state '" + name + "' has the wrong shape");
    like.copy_(it->second);
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    get("adam.m." + std::to_string(i), m_[i]);
    get("adam.v." + std::to_string(i), v_[i]);
  }
  auto it = t.find("adam.step");
  if (it == t.end()) throw Error(where + ": optimizer state lacks 'adam.step'");
  steps_ = it->second.item<int64_t>();
}

double LrSchedule::at(int64_t step) const {
  double warm = std::min(1.0, static_cast<double>(step - warm_start + 1) / std::max<int64_t>(1, warmup));
  double lr = peak;
  if (final_lr != peak && step > decay_start) {
    double t = std::min(1.0, static_cast<double>(step - decay_start) / std::max<int64_t>(1, end - 1 - decay_start));
    lr = final_lr + (peak - final_lr) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * t));
  }
  return lr * warm;
}

}  // namespace hipp::train
