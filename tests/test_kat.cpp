// Known answers of the key schedule, the header and the model ids (tests/vectors/kat/kat.json),
// computed by a second implementation (scripts/format_kat.py) from docs/format.md. Restore
// re-derives every random choice from the key, so an answer that changes here is a format change
// that loses every photo protected before it: never regenerate the file.
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "container/protected_png.h"
#include "crypto/keystream.h"
#include "hipp/models.h"
#include "keys/key.h"
#include "test_util.h"

using namespace hipp;
using nlohmann::json;

namespace {

const json& kat() {
  static const json k = json::parse(test::read_bytes(std::string(HIPP_SOURCE_DIR) + "/tests/vectors/kat/kat.json"));
  return k;
}

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out(s.size() / 2);
  size_t n = 0;
  if (sodium_hex2bin(out.data(), out.size(), s.data(), s.size(), nullptr, &n, nullptr) != 0 || n != out.size())
    throw std::runtime_error("kat.json: bad hex " + s);
  return out;
}

template <size_t N>
std::array<uint8_t, N> unhex_array(const std::string& s) {
  auto v = unhex(s);
  if (v.size() != N) throw std::runtime_error("kat.json: expected " + std::to_string(N) + " bytes: " + s);
  std::array<uint8_t, N> a;
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

template <typename Bytes>
std::string hexs(const Bytes& b) {
  std::string s(2 * b.size() + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), b.data(), b.size());
  s.pop_back();
  return s;
}

crypto::Key master() { return unhex_array<32>(kat()["master_key"]); }
crypto::Nonce nonce() { return unhex_array<24>(kat()["nonce"]); }

// "master" or "subkey:<label>", as in kat.json.
crypto::Key stream_key(const std::string& spec) {
  if (spec == "master") return master();
  return keys::derive_subkey(master(), nonce(), spec.substr(spec.find(':') + 1));
}

// The test image of kat.json: channel-major uint8, value (37 i + 11) mod 256.
torch::Tensor kat_pixels() {
  const auto& p = kat()["pixels"];
  auto t = torch::empty({3, p["height"].get<int64_t>(), p["width"].get<int64_t>()}, torch::kUInt8);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_ptr<uint8_t>()[i] = static_cast<uint8_t>((37 * i + 11) % 256);
  return t;
}

container::Header header_from(const json& f) {
  container::Header h;
  h.version = f["version"];
  h.scheme = f["scheme"];
  if (f.contains("model_id")) h.model_id = unhex_array<16>(f["model_id"]);
  h.block = f["block"];
  h.width = f["width"];
  h.height = f["height"];
  if (f.contains("salt")) {
    h.passphrase = true;
    h.salt = unhex_array<16>(f["salt"]);
    h.argon2 = {f["ops"].get<uint32_t>(), f["mem_kib"].get<uint32_t>()};
  }
  if (f.contains("side")) h.side = unhex(f["side"]);
  if (f.contains("repair")) h.repair = unhex(f["repair"]);
  if (f.contains("original")) h.original = unhex(f["original"]);
  h.original_jxl = f.value("original_jxl", false);
  h.original_as_is = f.value("original_heif", false) || f.value("original_as_is", false);
  if (f.contains("pixel_tag")) h.pixel_tag = unhex_array<16>(f["pixel_tag"]);
  if (f.contains("origin")) h.origin = container::Header::JpegOrigin{f["origin"][0], f["origin"][1], f["origin"][2]};
  h.nonce = unhex_array<24>(f["nonce"]);
  h.check_tag = unhex_array<16>(f["check_tag"]);
  return h;
}

}  // namespace

TEST(Kat, Subkeys) {
  for (auto& [label, expected] : kat()["subkeys"].items())
    EXPECT_EQ(hexs(keys::derive_subkey(master(), nonce(), label)), expected.get<std::string>()) << label;
}

TEST(Kat, EveryKeystreamDomain) {
  for (auto& s : kat()["keystreams"]) {
    auto n = nonce();
    n[0] ^= s["nonce_first_byte_xor"].get<uint8_t>();
    crypto::KeyStream ks(stream_key(s["key"]), n, s["domain"]);
    std::vector<uint32_t> u;
    for (int i = 0; i < 1028; ++i) u.push_back(ks.next_u32());  // across the first refill
    const std::string what = s["key"].get<std::string>() + " " + s["domain"].get<std::string>();
    EXPECT_EQ(std::vector<uint32_t>(u.begin(), u.begin() + 8), s["first"].get<std::vector<uint32_t>>()) << what;
    EXPECT_EQ(std::vector<uint32_t>(u.begin() + 1020, u.end()), s["from_1020"].get<std::vector<uint32_t>>()) << what;
  }
}

TEST(Kat, UniformDrawsAndPermutations) {
  const auto& u = kat()["uniform"];
  crypto::KeyStream ks(master(), nonce(), u["domain"]);
  std::vector<uint32_t> got;
  for (auto b : u["bounds"].get<std::vector<uint32_t>>()) got.push_back(ks.uniform(b));
  EXPECT_EQ(got, u["values"].get<std::vector<uint32_t>>());
  EXPECT_EQ(ks.next_u32(), u["next_u32"].get<uint32_t>());  // the rejections consumed what they should

  const auto& p = kat()["permutation"];
  crypto::KeyStream pk(master(), nonce(), p["domain"]);
  auto sizes = p["n"].get<std::vector<int64_t>>();
  for (size_t i = 0; i < sizes.size(); ++i)
    EXPECT_EQ(pk.permutation(sizes[i]), p["values"][i].get<std::vector<int64_t>>()) << "n = " << sizes[i];
}

TEST(Kat, XChaCha20OfTheRepairAndDcData) {
  const auto& x = kat()["xchacha20"];
  std::vector<uint8_t> bytes(64, 0);
  auto key = stream_key(x["key"]);
  crypto_stream_xchacha20_xor(bytes.data(), bytes.data(), bytes.size(), nonce().data(), key.data());
  EXPECT_EQ(hexs(bytes), x["first_64_bytes"].get<std::string>());
}

TEST(Kat, CheckTagPixelTagHeaderAndMac) {
  EXPECT_EQ(hexs(container::check_tag_for(master(), nonce())), kat()["check_tag"].get<std::string>());
  auto pixels = kat_pixels();
  EXPECT_EQ(hexs(container::pixel_tag_for(pixels, master(), nonce())), kat()["pixel_tag"].get<std::string>());
  for (auto& [name, h] : kat()["headers"].items()) {
    auto header = header_from(h["fields"]);
    header.mac = container::mac_for(header, pixels, master());
    EXPECT_EQ(hexs(header.mac), h["mac"].get<std::string>()) << name;
    auto bytes = container::serialize(header);
    EXPECT_EQ(hexs(bytes), h["serialized"].get<std::string>()) << name;
    EXPECT_EQ(hexs(container::serialize(container::parse_header(bytes))), hexs(bytes)) << name;
  }
}

TEST(Kat, RawKeyFileAndArgon2id) {
  test::TempDir dir;
  const auto& r = kat()["raw_key_file"];
  test::write_bytes(dir / "raw.key", r["text"].get<std::string>());
  auto src = keys::read_key_source(dir / "raw.key");
  ASSERT_EQ(src.kind, keys::KeySource::Raw);
  EXPECT_EQ(hexs(src.raw), r["key"].get<std::string>());

  for (auto& a : kat()["argon2id"]) {
    keys::KeySource pass;
    pass.kind = keys::KeySource::Passphrase;
    pass.passphrase = a["passphrase"];
    auto key = keys::derive_master(pass, unhex_array<16>(a["salt"]), {a["ops"].get<uint32_t>(), a["mem_kib"].get<uint32_t>()});
    EXPECT_EQ(hexs(key), a["key"].get<std::string>()) << "ops " << a["ops"] << ", " << a["mem_kib"] << " KiB";
  }
}

TEST(Kat, ShippedModelIds) {
  for (auto& [name, ids] : kat()["model_ids"].items()) {
    auto m = protect::resolve_model(name);
    EXPECT_EQ(protect::hex(m.id), ids["v2"].get<std::string>()) << name;
    ASSERT_FALSE(m.legacy_ids.empty()) << name;
    EXPECT_EQ(protect::hex(m.legacy_ids.front()), ids["v1"].get<std::string>()) << name;
  }
  EXPECT_EQ(kat()["model_ids"].size(), protect::shipped_models().size()) << "a shipped model without known ids";
}
