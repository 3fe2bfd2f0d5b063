#include "hipp/range_fit_storage.h"

#include "common/error.h"

namespace hipp::protect {
namespace {
std::vector<uint8_t> stream_bytes(size_t n, const crypto::Key& key, const crypto::Nonce& nonce) {
  crypto::KeyStream ks(key, nonce, "hipp/range-fit");
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(ks.next_u32());
  return out;
}
}  // namespace

std::vector<uint8_t> range_fit_bytes(const torch::Tensor& codes, const crypto::Key& key, const crypto::Nonce& nonce) {
  auto c = codes.to(torch::kCPU, torch::kUInt8).contiguous().flatten();
  const auto* p = c.data_ptr<uint8_t>();
  const int64_t n = c.numel();
  auto out = stream_bytes(static_cast<size_t>((n + 1) / 2), key, nonce);
  for (int64_t i = 0; i < n; ++i) out[i / 2] ^= static_cast<uint8_t>((p[i] & 0x0F) << (i % 2 ? 4 : 0));
  return out;
}

torch::Tensor range_fit_codes(const std::vector<uint8_t>& bytes, int64_t channels, int64_t rows, int64_t cols,
                              const crypto::Key& key, const crypto::Nonce& nonce) {
  const int64_t n = channels * rows * cols;
  if (static_cast<int64_t>(bytes.size()) != (n + 1) / 2)
    throw Error(ErrorKind::damaged, "damaged hipp file (range data of " + std::to_string(bytes.size()) + " bytes, expected " +
                std::to_string((n + 1) / 2) + ")");
  auto ks = stream_bytes(bytes.size(), key, nonce);
  auto codes = torch::empty({n}, torch::kUInt8);
  auto* p = codes.data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(((bytes[i / 2] ^ ks[i / 2]) >> (i % 2 ? 4 : 0)) & 0x0F);
  return codes.view({channels, rows, cols});
}

}  // namespace hipp::protect
