#pragma once
// Adam (Kingma & Ba) with its state in plain named tensors, so checkpoints save in hipp's own
// tensor file and resume under any LibTorch version (torch::optim's archive format and state
// keys differ between 1.13 and 2.x).
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace hipp::train {

class Adam {
 public:
  Adam(std::vector<torch::Tensor> params, double beta1, double beta2, double eps);
  void zero_grad();
  void step(double lr);
  int64_t steps() const { return steps_; }
  const std::vector<torch::Tensor>& params() const { return params_; }

  std::map<std::string, torch::Tensor> state() const;  // "adam.m.<i>", "adam.v.<i>", "adam.step"
  // Throws hipp::Error mentioning `where` if the state does not fit these parameters.
  void load_state(const std::map<std::string, torch::Tensor>& tensors, const std::string& where);

 private:
  std::vector<torch::Tensor> params_, m_, v_;
  double beta1_, beta2_, eps_;
  int64_t steps_ = 0;
};

// Learning rate at `step`: linear warm-up over `warmup` steps from `warm_start`, then `peak`,
// then (when `final_lr` differs from `peak`) a cosine from `peak` at `decay_start` down to
// `final_lr` at the last step, `end` - 1. A function of the step alone, so resumed runs
// continue the same curve.
struct LrSchedule {
  double peak = 1e-3;
  double final_lr = 1e-3;
  int64_t warmup = 0, warm_start = 0, decay_start = 0, end = 1;
  double at(int64_t step) const;
};

}  // namespace hipp::train
