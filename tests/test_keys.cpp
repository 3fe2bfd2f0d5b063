// Key files, master-key derivation and per-image subkeys; `hipp keygen` and `hipp info`
// through the binary.
#include <sodium.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "common/error.h"
#include "container/protected_png.h"
#include "image/image.h"
#include "keys/key.h"
#include "test_util.h"

using namespace hipp;
using test::run_hipp;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

// The cheapest parameters libsodium accepts, so passphrase tests take milliseconds.
keys::Argon2Params small_argon2() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024};
}

const auto salt_of = &test::filled<16>;

const auto nonce_of = &test::filled<24>;

keys::KeySource passphrase(const std::string& p) {
  keys::KeySource s;
  s.kind = keys::KeySource::Passphrase;
  s.passphrase = p;
  return s;
}

// Captures spdlog output while alive.
struct LogCapture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> old = spdlog::default_logger();
  LogCapture() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(old); }
};

}  // namespace

TEST(KeyFile, KeygenWritesMode0600AndOneKeyLine) {
  test::TempDir dir;
  keys::generate_key_file(dir / "k");
  struct stat st;
  ASSERT_EQ(::stat((dir / "k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string line = test::read_bytes(dir / "k");
  EXPECT_TRUE(std::regex_match(line, std::regex("hipp-key-v1 [0-9a-f]{64}\n"))) << line;
  // Nothing else left in the folder (no temporary file).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 1);

  keys::generate_key_file(dir / "k2");
  EXPECT_NE(test::read_bytes(dir / "k2"), line) << "two keys must differ";
}

TEST(KeyFile, KeygenRefusesToOverwrite) {
  test::TempDir dir;
  test::write_bytes(dir / "k", "precious");
  EXPECT_ERROR_HAS(keys::generate_key_file(dir / "k"), "already exists; refusing to overwrite");
  EXPECT_EQ(test::read_bytes(dir / "k"), "precious");
  std::filesystem::create_directory(dir / "d");
  EXPECT_ERROR_HAS(keys::generate_key_file(dir / "d"), "already exists");
  EXPECT_ERROR_HAS(keys::generate_key_file(dir / "nope/k"), "does not exist");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 2);
}

TEST(KeyFile, RawKeysRoundTrip) {
  test::TempDir dir;
  keys::generate_key_file(dir / "k");
  auto src = keys::read_key_source(dir / "k");
  ASSERT_EQ(src.kind, keys::KeySource::Raw);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, src.raw.data(), src.raw.size());
  EXPECT_EQ(test::read_bytes(dir / "k"), std::string("hipp-key-v1 ") + hex + "\n");

  // CRLF, no newline and upper-case hex read as the same key.
  std::string body = std::string("hipp-key-v1 ") + hex;
  for (auto variant : {body + "\r\n", body}) {
    test::write_bytes(dir / "v", variant);
    auto v = keys::read_key_source(dir / "v");
    EXPECT_EQ(v.kind, keys::KeySource::Raw);
    EXPECT_EQ(v.raw, src.raw);
  }
}

TEST(KeyFile, AnythingElseIsAPassphrase) {
  test::TempDir dir;
  LogCapture quiet;  // these files are 0644
  struct Case {
    std::string content, passphrase;
  };
  for (const auto& c : std::vector<Case>{{"correct horse\n", "correct horse"},
                                         {"correct horse", "correct horse"},
                                         {"correct horse\r\n", "correct horse"},
                                         {"two\nlines\n\n", "two\nlines\n"},
                                         {" spaces kept ", " spaces kept "},
                                         {"hipp-key-v1", "hipp-key-v1"}}) {
    test::write_bytes(dir / "p", c.content);
    auto src = keys::read_key_source(dir / "p");
    EXPECT_EQ(src.kind, keys::KeySource::Passphrase) << c.content;
    EXPECT_EQ(src.passphrase, c.passphrase);
  }
}

TEST(KeyFile, MalformedEmptyAndMissingFilesAreErrors) {
  test::TempDir dir;
  LogCapture quiet;
  std::string hex64(64, 'a');
  for (auto bad : {"hipp-key-v1 " + hex64.substr(1), "hipp-key-v1 " + hex64 + "0", "hipp-key-v1 " + hex64.substr(1) + "g",
                   "hipp-key-v1 " + hex64 + "\n\n", std::string("hipp-key-v1 "), "hipp-key-v1  " + hex64}) {
    test::write_bytes(dir / "m", bad);
    EXPECT_ERROR_HAS(keys::read_key_source(dir / "m"), "malformed key file");
  }
  for (auto empty : {"", "\n", "\r\n"}) {
    test::write_bytes(dir / "e", empty);
    EXPECT_ERROR_HAS(keys::read_key_source(dir / "e"), "empty");
  }
  EXPECT_ERROR_HAS(keys::read_key_source(dir / "missing"), dir / "missing");
  EXPECT_ERROR_HAS(keys::read_key_source(dir.path.string()), "directory");
  test::write_bytes(dir / "big", std::string(70000, 'x'));
  EXPECT_ERROR_HAS(keys::read_key_source(dir / "big"), "too large");
}

TEST(KeyFile, WarnsWhenOthersCanReadIt) {
  test::TempDir dir;
  keys::generate_key_file(dir / "k");
  {
    LogCapture log;
    keys::read_key_source(dir / "k");
    EXPECT_EQ(log.out.str().find("readable by other users"), std::string::npos) << log.out.str();
  }
  std::filesystem::permissions(dir / "k", std::filesystem::perms(0644));
  {
    LogCapture log;
    keys::read_key_source(dir / "k");
    EXPECT_NE(log.out.str().find("readable by other users"), std::string::npos) << log.out.str();
  }
  test::write_bytes(dir / "p", "a passphrase is as secret");
  std::filesystem::permissions(dir / "p", std::filesystem::perms(0640));
  {
    LogCapture log;
    keys::read_key_source(dir / "p");
    EXPECT_NE(log.out.str().find("readable by other users"), std::string::npos) << log.out.str();
  }
}

TEST(KeyDerivation, RawKeyIsTheMaster) {
  keys::KeySource src;
  src.raw.fill(7);
  EXPECT_EQ(keys::derive_master(src, salt_of(1), small_argon2()), src.raw);
  EXPECT_EQ(keys::derive_master(src, salt_of(2), keys::Argon2Params{0, 0}), src.raw) << "salt and params unused";
}

TEST(KeyDerivation, PassphraseIsDeterministicPerSalt) {
  auto p = small_argon2();
  auto a = keys::derive_master(passphrase("hunter2"), salt_of(1), p);
  EXPECT_EQ(a, keys::derive_master(passphrase("hunter2"), salt_of(1), p));
  EXPECT_NE(a, keys::derive_master(passphrase("hunter2"), salt_of(2), p));
  EXPECT_NE(a, keys::derive_master(passphrase("hunter3"), salt_of(1), p));
  EXPECT_NE(a, keys::derive_master(passphrase("hunter2"), salt_of(1), keys::Argon2Params{p.ops + 1, p.mem_kib}));
  EXPECT_NE(a, keys::derive_master(passphrase("hunter2"), salt_of(1), keys::Argon2Params{p.ops, p.mem_kib * 2}));
  // Argon2id13 with libsodium's own API gives the same key.
  crypto::Key ref;
  auto salt = salt_of(1);
  ASSERT_EQ(crypto_pwhash(ref.data(), ref.size(), "hunter2", 7, salt.data(), p.ops, size_t(p.mem_kib) * 1024,
                          crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_EQ(a, ref);
}

TEST(KeyDerivation, Argon2ParametersAreChecked) {
  auto d = keys::default_argon2();
  EXPECT_EQ(d.ops, 2u);
  EXPECT_EQ(d.mem_kib, 65536u);
  EXPECT_NO_THROW(keys::check_argon2(d));
  EXPECT_ERROR_HAS(keys::derive_master(passphrase("x"), salt_of(1), keys::Argon2Params{0, 64}), "Argon2 passes");
  EXPECT_ERROR_HAS(keys::derive_master(passphrase("x"), salt_of(1), keys::Argon2Params{1, 1}), "Argon2 memory");
  EXPECT_ERROR_HAS(keys::check_argon2({1, 0xFFFFFFFFu}), "Argon2 memory");
  EXPECT_ERROR_HAS(keys::check_argon2({1000000, 64}), "Argon2 passes");
  EXPECT_ERROR_HAS(keys::derive_master(passphrase(""), salt_of(1), small_argon2()), "empty passphrase");
}

TEST(KeyDerivation, SubkeysDifferPerNonceAndPurpose) {
  crypto::Key m1, m2;
  m1.fill(1);
  m2.fill(2);
  auto a = keys::derive_subkey(m1, nonce_of(1), "check");
  EXPECT_EQ(a, keys::derive_subkey(m1, nonce_of(1), "check"));
  EXPECT_NE(a, keys::derive_subkey(m1, nonce_of(2), "check"));
  EXPECT_NE(a, keys::derive_subkey(m1, nonce_of(1), "mac"));
  EXPECT_NE(a, keys::derive_subkey(m2, nonce_of(1), "check"));
  EXPECT_NE(a, m1);
  EXPECT_ERROR_HAS(keys::derive_subkey(m1, nonce_of(1), ""), "purpose");
}

// ---- the binary ----

TEST(KeyCli, KeygenTwiceKeepsTheFirstKey) {
  test::TempDir dir;
  auto r = run_hipp("keygen -o " + q(dir / "k"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(dir / "k"), std::string::npos) << r.output;
  std::string first = test::read_bytes(dir / "k");
  EXPECT_TRUE(std::regex_match(first, std::regex("hipp-key-v1 [0-9a-f]{64}\n")));
  r = run_hipp("keygen -o " + q(dir / "k"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("hipp: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("refusing to overwrite"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_bytes(dir / "k"), first);
  EXPECT_EQ(run_hipp("keygen").code, 2);
}

TEST(KeyCli, InfoRejectsFilesNotMadeByHipp) {
  test::TempDir dir;
  auto img = torch::randint(0, 256, {3, 8, 8}).to(torch::kUInt8);
  image::save_png(dir / "plain.png", img);
  auto r = run_hipp("info " + q(dir / "plain.png"));
  EXPECT_EQ(r.code, 5) << r.output;
  EXPECT_NE(r.output.find("not made by hipp"), std::string::npos) << r.output;
  r = run_hipp("info " + q(test::fixture("scenes/forest.jpg")));
  EXPECT_EQ(r.code, 5) << r.output;
  EXPECT_NE(r.output.find("JPEG"), std::string::npos) << r.output;
  r = run_hipp("info " + q(dir / "missing.png"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("no such file"), std::string::npos) << r.output;
  EXPECT_EQ(run_hipp("info").code, 2);
}

TEST(KeyCli, InfoPrintsTheHeaderAndNoSecret) {
  test::TempDir dir;
  auto img = torch::randint(0, 256, {3, 12, 20}).to(torch::kUInt8);
  container::Header h;
  h.scheme = "hipp";
  for (size_t i = 0; i < h.model_id.size(); ++i) h.model_id[i] = static_cast<uint8_t>(0xa0 + i);
  h.block = 4;
  h.nonce = crypto::random_nonce();
  crypto::Key master;
  master.fill(9);
  hipp::write_file_atomic(dir / "raw.png", container::write_protected_png(img, h, master));

  h.passphrase = true;
  h.salt = salt_of(3);
  h.argon2 = small_argon2();
  h.model_id.fill(0);
  h.scheme = "tpe-ideal";
  hipp::write_file_atomic(dir / "pass.png", container::write_protected_png(img, h, master));

  auto r = run_hipp("info " + q(dir / "raw.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto s : {"header version 3", "scheme:     hipp", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "block:      4",
                 "size:       20x12", "raw key file"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, master.data(), master.size());
  EXPECT_EQ(r.output.find(hex), std::string::npos);

  r = run_hipp("info " + q(dir / "pass.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto s : {"scheme:     tpe-ideal", "model:      none", "passphrase (Argon2id, 1 passes, 8 KiB memory)"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
}
