#include "common/device.h"

#include "common/error.h"

namespace hipp {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("--device " + name + ": CUDA is not available in this build or on this machine");
    return torch::Device(name);
  }
  throw Error("--device must be cpu or cuda, not '" + name + "'");
}

void disable_tf32() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

void set_threads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

}  // namespace hipp
