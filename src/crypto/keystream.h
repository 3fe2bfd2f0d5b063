#pragma once
// A keyed, reproducible stream of random numbers (libsodium XChaCha20). Schemes that must
// undo their own randomness regenerate it from (key, nonce, domain) instead of storing it;
// the domain label keeps unrelated uses of one key from sharing bytes.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hipp::crypto {

using Key = std::array<uint8_t, 32>;
using Nonce = std::array<uint8_t, 24>;

// Initialises libsodium once; every entry point that calls libsodium calls this first.
void ensure_sodium();

// Fresh random key / nonce from the OS generator (randombytes_buf).
Key random_key();
Nonce random_nonce();

class KeyStream {
 public:
  KeyStream(const Key& key, const Nonce& nonce, const std::string& domain);

  uint32_t next_u32();
  // Uniform in [0, bound) without modulo bias (rejection sampling). bound >= 1; bound == 1
  // returns 0 without consuming bytes.
  uint32_t uniform(uint32_t bound);
  // Uniformly random permutation of 0..n-1 (Fisher-Yates).
  std::vector<int64_t> permutation(int64_t n);
  void shuffle(std::vector<int64_t>& v);

 private:
  void refill();

  std::array<uint8_t, 32> subkey_{};
  Nonce nonce_{};
  std::array<uint8_t, 4096> buf_{};
  size_t pos_ = 0;
  uint64_t counter_ = 0;  // XChaCha20 block counter of the next refill
};

}  // namespace hipp::crypto
