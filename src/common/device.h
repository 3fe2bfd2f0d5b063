#pragma once
// Device selection and numerics settings shared by every command.
#include <torch/torch.h>

#include <string>

namespace hipp {

// "cpu" or "cuda" (optionally "cuda:N"); throws hipp::Error when CUDA is asked for but absent.
torch::Device parse_device(const std::string& name);

// Exact inversion needs full fp32 matmuls: TF32 rounds to 10 mantissa bits.
void disable_tf32();

// 0 keeps LibTorch's default.
void set_threads(int threads);

}  // namespace hipp
