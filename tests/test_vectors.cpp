// Frozen test vectors (tests/vectors/v*/README.md): files protected by earlier releases must
// keep restoring to exactly the pixels they restored to then. The vectors are never
// regenerated: each folder's SHA256SUMS is pinned here, and every file is checked against it.
#include <sodium.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "container/protected_png.h"
#include "image/image.h"
#include "keys/key.h"
#include "metrics/metrics.h"
#include "scheme/registry.h"
#include "service/protector.h"
#include "test_util.h"

using namespace hipp;
namespace fs = std::filesystem;

namespace {

// SHA-256 of each folder's SHA256SUMS. Changing a vector changes this: don't; add a version.
const std::map<std::string, std::string> kPinned = {
    {"v1", "6302577a0ebafbada40d579993fc1e54ce29fec76cf3943827cd306aca95a5d8"},
    {"v2", "b6511fc11d967c680698e345c9a94c2fcd6945d0486ae733afd512021498c6a7"},
    {"v3", "06a8aaea9c388efea711a35477496249b32ac5709b75a82016207c3693c81fd5"},
    {"v3-lite", "864a9166b7b7e53c0682cd8ea44f29e4283838d9ab7a533f904b93c414d52516"},
    {"v4", "959efe2fcecadd0d8084f41e1d5fb0a0ac0ae3aa90318169b4563b534d2369c9"},
    {"v3-all", "49fca0f52dd047ae1f4f239167d938b4ae6a31604a4bf485450634bec7505a48"},
    {"v4-all", "cf014cc87119cf8ea48b93ada42f20fb799df2d13edc36699d0edbd862c234ea"},
    {"v3-smooth", "14288dab2c959937933f80fd0b20dc3bac71ad18c0476cd0fe09d7ce3f31e35d"},
    {"v5", "b326bf10e76363d93f568c1764667b38cf45e7b3f0b53d875950bcffdcd8601f"},
    {"v6", "56ba93f8e0fef27a9e26cb2b90037e66f9dcbc7630d0d8c4d29da873cfca11c6"},
    {"v7", "b4b0b21bc406b24decc70bb407612fd43eab184c72e2acf7497d9f888c6f08fd"},
};

std::string vectors_dir(const std::string& version) {
  return std::string(HIPP_SOURCE_DIR) + "/tests/vectors/" + version;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[2 * sizeof d + 1];
  sodium_bin2hex(hex, sizeof hex, d, sizeof d);
  return hex;
}

// name -> hash, from a `sha256sum` listing.
std::map<std::string, std::string> sums(const std::string& version) {
  std::map<std::string, std::string> out;
  std::istringstream in(test::read_bytes(vectors_dir(version) + "/SHA256SUMS"));
  for (std::string hash, name; in >> hash >> name;) out[name] = hash;
  return out;
}

}  // namespace

class Vectors : public ::testing::TestWithParam<std::string> {};

TEST_P(Vectors, AreUnchangedSinceTheyWereFrozen) {
  const auto& v = GetParam();
  EXPECT_EQ(sha256_hex(test::read_bytes(vectors_dir(v) + "/SHA256SUMS")), kPinned.at(v));
  auto listed = sums(v);
  ASSERT_FALSE(listed.empty());
  for (auto& [name, hash] : listed) EXPECT_EQ(sha256_hex(test::read_bytes(vectors_dir(v) + "/" + name)), hash) << name;
}

namespace {

// Whether `jpeg` is, byte for byte, one of the folder's inputs (its listed files that are
// neither protected nor restored).
bool is_input(const std::string& v, const std::vector<uint8_t>& jpeg) {
  const auto hash = sha256_hex(std::string(jpeg.begin(), jpeg.end()));
  for (auto& [name, h] : sums(v))
    if (h == hash && name.find(".protected.") == std::string::npos && name.find(".restored.") == std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST_P(Vectors, RestoreToThePixelsTheyRestoredToWhenWritten) {
  const auto& v = GetParam();
  int checked = 0;
  for (auto& [name, hash] : sums(v)) {
    auto dot = name.rfind(".protected.");
    if (dot == std::string::npos) continue;
    const std::string suffix = name.substr(dot);  // .protected.png or .protected.jpg
    auto stem = name.substr(0, name.size() - suffix.size());
    auto key = vectors_dir(v) + (stem.find("passphrase") != std::string::npos ? "/passphrase.txt" : "/raw.key");
    service::Protector protector(keys::read_key_source(key), torch::kCPU);
    auto file = hipp::read_file(vectors_dir(v) + "/" + name);
    EXPECT_EQ(container::read_header(file, name).version, std::stoi(v.substr(1))) << name;
    auto result = protector.restore(file, name);
    auto& restored = result.rgb;
    auto expected = image::load(vectors_dir(v) + "/" + stem + ".restored.png");
    const bool kept = !container::read_header(file, name).original.empty();  // the original itself: exact
    if (kept) {
      EXPECT_TRUE(is_input(v, result.original)) << name << ": the kept original is not an input, byte for byte";
    }
    if (image::is_heif(result.original)) {
      // HEIF's pixels are libheif's decoding, whose colour conversion may differ between its
      // releases: exactly this libheif's, and near the one that wrote the vector.
      EXPECT_TRUE(torch::equal(restored, image::decode(result.original, name))) << name;
      EXPECT_GE(metrics::psnr(restored, expected), 35.0) << name;
    } else if (stem.rfind("hipp", 0) == 0 && !kept) {
      // A flow's float arithmetic depends on the thread count and CPU (the sums' order), which can
      // move a value that sat on a rounding boundary by one level; anything more is a break.
      auto diff = (restored.to(torch::kInt32) - expected.to(torch::kInt32)).abs();
      EXPECT_LE(diff.max().item<int>(), 1) << name;
      EXPECT_LE(diff.gt(0).sum().item<int64_t>(), diff.numel() / 1000) << name << ": restores differently";
    } else {
      EXPECT_TRUE(torch::equal(restored, expected)) << name << ": restores differently from when it was written";
    }
    ++checked;
  }
  EXPECT_GE(checked, 3);
}

INSTANTIATE_TEST_SUITE_P(Formats, Vectors, ::testing::Values("v1", "v2", "v3", "v3-lite", "v4", "v3-all", "v4-all",
                                                           "v3-smooth", "v5", "v6", "v7"),
                         [](const auto& info) {
                           auto name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

// Every scheme hipp writes today has frozen files under both key kinds, so a change to any
// scheme's key schedule or restore breaks a vector.
TEST(Vectors, CoverEverySchemeWithBothKeyKinds) {
  std::set<std::pair<std::string, bool>> frozen;  // (scheme, passphrase)
  for (const auto& v : {"v4", "v3-all", "v4-all", "v3-smooth"})  // model id v2's release, the one before, hipp-smooth
    for (auto& [name, hash] : sums(v))
      if (name.find(".protected.") != std::string::npos) {
        auto h = container::read_header(hipp::read_file(vectors_dir(v) + "/" + name), name);
        frozen.insert({h.scheme, h.passphrase});
      }
  for (auto& scheme : scheme::names()) {
    EXPECT_TRUE(frozen.count({scheme, false})) << scheme << " with a raw key";
    EXPECT_TRUE(frozen.count({scheme, true})) << scheme << " with a passphrase";
  }
}
