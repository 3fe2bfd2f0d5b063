#pragma once
// The range fit's codes (range_fit.h) as the protected file stores them: two per byte, XORed
// with a keystream of (key, nonce), so they show nothing without the key.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "crypto/keystream.h"

namespace hipp::protect {

// codes: uint8 [C, rows, cols] of one image.
std::vector<uint8_t> range_fit_bytes(const torch::Tensor& codes, const crypto::Key& key, const crypto::Nonce& nonce);
// Checks the length and throws hipp::Error ("damaged hipp file") if it is wrong.
torch::Tensor range_fit_codes(const std::vector<uint8_t>& bytes, int64_t channels, int64_t rows, int64_t cols,
                              const crypto::Key& key, const crypto::Nonce& nonce);

}  // namespace hipp::protect
