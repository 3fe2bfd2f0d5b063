#pragma once
// The key's part in HIPP: a secret member of the orthogonal mixing family
// (orthogonal_mixing.h), drawn from a libsodium keystream per (key, nonce, domain).
#include <string>
#include <vector>

#include "crypto/keystream.h"
#include "hipp/orthogonal_mixing.h"

namespace hipp::protect {

// One mixing per domain, all of length n, applied together: row g of a [G, n] tensor gets the
// mixing drawn from (key, nonce, domains[g]). With one domain, a 1-D vector of length n works too.
class KeyedMixing : public OrthogonalMixing {
 public:
  KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::vector<std::string>& domains,
              int64_t n, int rounds = 3);
  KeyedMixing(const crypto::Key& key, const crypto::Nonce& nonce, const std::string& domain, int64_t n,
              int rounds = 3)
      : KeyedMixing(key, nonce, std::vector<std::string>{domain}, n, rounds) {}
};

}  // namespace hipp::protect
