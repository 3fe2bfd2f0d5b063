#include "crypto/keystream.h"

#include <sodium.h>

#include <numeric>

#include "common/error.h"

namespace hipp::crypto {
void ensure_sodium() {
  static const int rc = sodium_init();  // 0 or 1 (already initialised) are both fine
  if (rc < 0) throw Error("libsodium failed to initialise");
}

Key random_key() {
  ensure_sodium();
  Key k;
  randombytes_buf(k.data(), k.size());
  return k;
}

Nonce random_nonce() {
  ensure_sodium();
  Nonce n;
  randombytes_buf(n.data(), n.size());
  return n;
}

KeyStream::KeyStream(const Key& key, const Nonce& nonce, const std::string& domain) : nonce_(nonce) {
  ensure_sodium();
  // Keyed BLAKE2b(key, domain) is a PRF: each domain gets an independent subkey.
  crypto_generichash(subkey_.data(), subkey_.size(), reinterpret_cast<const unsigned char*>(domain.data()),
                     domain.size(), key.data(), key.size());
  pos_ = buf_.size();  // refill on first use
}

void KeyStream::refill() {
  static_assert(sizeof(buf_) % 64 == 0, "whole ChaCha blocks");
  buf_.fill(0);
  // XOR with zeros at counter `counter_` = the keystream continued in chunks.
  crypto_stream_xchacha20_xor_ic(buf_.data(), buf_.data(), buf_.size(), nonce_.data(), counter_,
                                 subkey_.data());
  counter_ += buf_.size() / 64;
  pos_ = 0;
}

uint32_t KeyStream::next_u32() {
  if (pos_ + 4 > buf_.size()) refill();
  const uint8_t* b = buf_.data() + pos_;
  pos_ += 4;
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

uint32_t KeyStream::uniform(uint32_t bound) {
  if (bound == 0) throw Error("KeyStream::uniform: bound must be at least 1");
  if (bound == 1) return 0;
  const uint32_t threshold = (0u - bound) % bound;  // 2^32 mod bound: reject the short tail
  for (;;) {
    uint32_t x = next_u32();
    if (x >= threshold) return x % bound;
  }
}

void KeyStream::shuffle(std::vector<int64_t>& v) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform(static_cast<uint32_t>(i))]);
}

std::vector<int64_t> KeyStream::permutation(int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(p.begin(), p.end(), 0);
  shuffle(p);
  return p;
}

}  // namespace hipp::crypto
