#include "common/device.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "common/error.h"

namespace hipp {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(ErrorKind::usage, "--device " + name + ": CUDA is not available in this build or on this machine");
    return torch::Device(name);
  }
  throw Error(ErrorKind::usage, "--device must be cpu or cuda, not '" + name + "'");
}

void disable_tf32() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

void set_threads(int threads) {
  // Debian's LibTorch starts with one thread on these machines; use every core unless told
  // otherwise (--threads, or OMP_NUM_THREADS for LibTorch's own choice).
  if (threads <= 0 && std::getenv("OMP_NUM_THREADS")) return;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
}

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace hipp
