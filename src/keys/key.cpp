#include "keys/key.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"

namespace hipp::keys {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;  // a passphrase file, not a data file
constexpr uint32_t kMaxOps = 64;
constexpr uint32_t kMaxMemKib = 4u * 1024 * 1024;  // 4 GiB

// Creates `path` exclusively with mode 0600 and writes `data`, flushed to disk. Returns 0,
// or errno with nothing left behind.
int write_new_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int err = 0;
  if (::fchmod(fd, 0600) != 0) err = errno;  // the umask may have taken bits we want
  size_t done = 0;
  while (!err && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
    } else {
      done += static_cast<size_t>(n);
    }
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (err) ::unlink(path.c_str());
  return err;
}

std::string errno_text(int e) { return std::strerror(e); }

bool is_hex_lower_or_upper(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

void generate_key_file(const std::string& path) {
  crypto::ensure_sodium();
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path() && !fs::is_directory(target.parent_path(), ec))
    throw Error(path + ": folder " + target.parent_path().string() + " does not exist");
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) throw Error(path + " already exists; refusing to overwrite");

  crypto::Key key;
  randombytes_buf(key.data(), key.size());
  char hex[2 * sizeof(crypto::Key) + 1];
  sodium_bin2hex(hex, sizeof hex, key.data(), key.size());  // lowercase
  std::string line = std::string(kKeyFilePrefix) + hex + "\n";
  sodium_memzero(key.data(), key.size());
  sodium_memzero(hex, sizeof hex);

  // Write a temporary file, then hard-link it into place: link() fails if the name was
  // taken meanwhile, so the key appears whole or not at all and never replaces a file.
  std::random_device rd;
  std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int err = write_new_file(tmp, line);
  if (err == 0) {
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      err = 0;
    } else {
      err = errno;
      ::unlink(tmp.c_str());
      if (err != EEXIST) err = write_new_file(path, line);  // no hard links here: create it directly
    }
  }
  sodium_memzero(line.data(), line.size());
  if (err == EEXIST) throw Error(path + " already exists; refusing to overwrite");
  if (err) throw Error(path + ": cannot write key file: " + errno_text(err));
}

KeySource read_key_source(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int e = errno;
    throw Error(path + ": " + (e == ENOENT ? std::string("no such key file") : "cannot read key file: " + errno_text(e)));
  }
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a key file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open key file for reading");
  std::string content;
  content.resize(kMaxKeyFileBytes + 1);
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) throw Error(path + ": cannot read key file");
  content.resize(static_cast<size_t>(in.gcount()));
  if (content.size() > kMaxKeyFileBytes)
    throw Error(ErrorKind::too_large, path + ": too large for a key file (over " + std::to_string(kMaxKeyFileBytes / 1024) + " KiB)");

  if (content.size() >= 2 && content.compare(content.size() - 2, 2, "\r\n") == 0)
    content.resize(content.size() - 2);
  else if (!content.empty() && content.back() == '\n')
    content.pop_back();
  if (content.empty()) throw Error(path + ": key file is empty");

  if (S_ISREG(st.st_mode) && (st.st_mode & (S_IRGRP | S_IROTH)))
    spdlog::warn("{}: key file is readable by other users (chmod 600 {})", path, path);

  KeySource src;
  const std::string prefix = kKeyFilePrefix;
  if (content.compare(0, prefix.size(), prefix) == 0) {
    std::string hex = content.substr(prefix.size());
    bool ok = hex.size() == 2 * src.raw.size();
    for (char c : hex) ok = ok && is_hex_lower_or_upper(c);
    sodium_memzero(content.data(), content.size());
    if (!ok) {
      sodium_memzero(hex.data(), hex.size());
      throw Error(path + ": malformed key file (expected 'hipp-key-v1 ' followed by 64 hex digits)");
    }
    for (size_t i = 0; i < src.raw.size(); ++i)
      src.raw[i] = static_cast<uint8_t>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
    sodium_memzero(hex.data(), hex.size());
    src.kind = KeySource::Raw;
    return src;
  }
  src.kind = KeySource::Passphrase;
  src.passphrase = std::move(content);
  return src;
}

Argon2Params default_argon2() {
  return {static_cast<uint32_t>(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE),
          static_cast<uint32_t>(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE / 1024)};
}

void check_argon2(const Argon2Params& p) {
  const uint32_t min_ops = crypto_pwhash_argon2id_OPSLIMIT_MIN;
  const uint32_t min_kib = crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024;
  if (p.ops < min_ops || p.ops > kMaxOps)
    throw Error("Argon2 passes " + std::to_string(p.ops) + " out of range [" + std::to_string(min_ops) + ", " +
                std::to_string(kMaxOps) + "]");
  if (p.mem_kib < min_kib || p.mem_kib > kMaxMemKib)
    throw Error("Argon2 memory " + std::to_string(p.mem_kib) + " KiB out of range [" + std::to_string(min_kib) +
                ", " + std::to_string(kMaxMemKib) + "] KiB");
}

crypto::Key derive_master(const KeySource& src, const std::array<uint8_t, 16>& salt, const Argon2Params& p) {
  if (src.kind == KeySource::Raw) return src.raw;
  crypto::ensure_sodium();
  static_assert(std::tuple_size<std::array<uint8_t, 16>>::value == crypto_pwhash_SALTBYTES, "salt size");
  check_argon2(p);
  if (src.passphrase.empty()) throw Error("empty passphrase");
  crypto::Key out;
  if (crypto_pwhash(out.data(), out.size(), src.passphrase.data(), src.passphrase.size(), salt.data(), p.ops,
                    static_cast<size_t>(p.mem_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw Error("Argon2 key derivation failed: not enough memory for " + std::to_string(p.mem_kib / 1024) +
                " MiB");
  return out;
}

crypto::Key derive_subkey(const crypto::Key& master, const crypto::Nonce& nonce, const std::string& purpose) {
  crypto::ensure_sodium();
  if (purpose.empty()) throw Error("derive_subkey: empty purpose");
  crypto_generichash_state st;
  crypto::Key out;
  crypto_generichash_init(&st, master.data(), master.size(), out.size());
  crypto_generichash_update(&st, nonce.data(), nonce.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size());
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace hipp::keys
