#pragma once
// Device selection and numerics settings shared by every command.
#include <torch/torch.h>

#include <string>

namespace hipp {

// "cpu" or "cuda" (optionally "cuda:N"); throws hipp::Error when CUDA is asked for but absent.
torch::Device parse_device(const std::string& name);

// Exact inversion needs full fp32 matmuls: TF32 rounds to 10 mantissa bits.
void disable_tf32();

// 0: every core, unless OMP_NUM_THREADS is set (then LibTorch's choice).
void set_threads(int threads);

// Flows allocate and free tensors of tens of MB per layer. glibc would map and unmap each one,
// and the kernel would zero every page again: a third of a big photo's time went to page
// faults. This keeps freed memory in the heap instead (the peak is what it was). Call first.
void keep_freed_memory();

}  // namespace hipp
