#pragma once
// Keys for protect/restore. A key file holds either a raw 256-bit key ("hipp-key-v1 <hex>",
// made by `hipp keygen`) or, if it holds anything else, a passphrase. Every image gets its
// own subkeys from the master key and its random nonce, so one key can protect many images
// without two of them sharing keystream, check tag or MAC key.
#include <array>
#include <cstdint>
#include <string>

#include "crypto/keystream.h"

namespace hipp::keys {

// The first token of a raw key file; a version bump would change the line format.
inline constexpr const char* kKeyFilePrefix = "hipp-key-v1 ";

// Writes a fresh random key to `path` with mode 0600. Refuses to replace an existing file
// (a lost key means images that can never be restored), and never leaves half a file.
void generate_key_file(const std::string& path);

struct KeySource {
  enum Kind { Raw, Passphrase } kind = Raw;
  crypto::Key raw{};       // Raw only
  std::string passphrase;  // Passphrase only
};

// Reads a key file: exactly a key line (an optional trailing newline allowed) is Raw; a file
// that starts like one but is not a valid one is an error ("malformed key file"), so a
// damaged key is never silently used as a passphrase; anything else non-empty is a
// passphrase (the content, minus one trailing "\n" or "\r\n"). Warns when a raw key file is
// readable by group or others.
KeySource read_key_source(const std::string& path);

// Argon2id cost for passphrases, stored in each image's header so restore uses the same.
struct Argon2Params {
  uint32_t ops;      // passes (crypto_pwhash opslimit)
  uint32_t mem_kib;  // memory in KiB (crypto_pwhash memlimit / 1024)
};
Argon2Params default_argon2();  // libsodium's INTERACTIVE limits: 2 passes, 64 MiB

// Throws hipp::Error if `p` is below libsodium's minimum or beyond what hipp ever writes
// (so a damaged or hostile header cannot make restore allocate terabytes).
void check_argon2(const Argon2Params& p);

// The master key: Raw -> the key itself (salt and params unused); Passphrase -> Argon2id13
// of the passphrase with `salt`. Throws hipp::Error when Argon2 fails (out of memory).
crypto::Key derive_master(const KeySource& src, const std::array<uint8_t, 16>& salt, const Argon2Params& p);

// Per-image subkey for one purpose ("check", "mac", "mix", ...): keyed BLAKE2b-256 under
// `master` of nonce || purpose.
crypto::Key derive_subkey(const crypto::Key& master, const crypto::Nonce& nonce, const std::string& purpose);

}  // namespace hipp::keys
