// TPE baselines (shuffle, tpe-ideal) and the keyed stream they share: bit-exact restore,
// exact thumbnails, key/nonce sensitivity, and the KeyStream's determinism and ranges.
#include <algorithm>
#include <set>

#include "baselines/tpe_ideal.h"
#include "common/error.h"
#include "crypto/keystream.h"
#include "image/image.h"
#include "scheme/registry.h"
#include "test_util.h"

using namespace hipp;
using hipp::test::fixture;

namespace {

const auto key_of = &test::filled<32>;

const auto nonce_of = &test::filled<24>;

double mean_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().mean().item<double>();
}

std::vector<torch::Tensor> test_images() {
  torch::manual_seed(3);
  return {torch::randint(0, 256, {3, 37, 50}).to(torch::kUInt8), image::load(fixture("scenes/forest.jpg"))};
}

}  // namespace

class SchemeTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(SchemeTest, RestoresExactlyAndKeepsTheThumbnail) {
  auto [name, block] = GetParam();
  auto scheme = scheme::make(name, block);
  EXPECT_EQ(scheme->name(), name);
  auto key = key_of(7);
  auto nonce = nonce_of(9);
  for (const auto& x : test_images()) {
    auto y = scheme->protect(x, key, nonce);
    EXPECT_EQ(y.sizes(), x.sizes());
    EXPECT_EQ(y.scalar_type(), torch::kUInt8);
    EXPECT_FALSE(torch::equal(y, x));
    EXPECT_TRUE(torch::equal(scheme->restore(y, key, nonce), x));
    EXPECT_TRUE(torch::equal(image::thumbnail(y, block), image::thumbnail(x, block)));
    // Deterministic given (key, nonce); wrong key or nonce does not restore.
    EXPECT_TRUE(torch::equal(scheme->protect(x, key, nonce), y));
    // The baselines keep nothing beside the pixels; side data handed to them means a damaged file.
    scheme::SideData side{1}, stray{1, 2};
    EXPECT_TRUE(torch::equal(scheme->protect(x, key, nonce, &side), y));
    EXPECT_TRUE(side.empty());
    EXPECT_ERROR_HAS(scheme->restore(y, key, nonce, stray), "keeps no side data");
    EXPECT_FALSE(torch::equal(scheme->restore(y, key_of(8), nonce), x));
    EXPECT_FALSE(torch::equal(scheme->restore(y, key, nonce_of(10)), x));
    EXPECT_FALSE(torch::equal(scheme->protect(x, key, nonce_of(10)), y));
  }
}

INSTANTIATE_TEST_SUITE_P(Baselines, SchemeTest,
                         ::testing::Combine(::testing::Values("shuffle", "tpe-ideal"), ::testing::Values(4, 8, 16)),
                         [](const auto& info) {
                           auto n = std::get<0>(info.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n + "_block" + std::to_string(std::get<1>(info.param));
                         });

TEST(Baselines, TpeIdealHidesTheImage) {
  auto x = image::load(fixture("scenes/forest.jpg"));
  auto scheme = scheme::make("tpe-ideal", 8);
  auto y = scheme->protect(x, crypto::random_key(), crypto::random_nonce());
  EXPECT_GT(mean_abs_diff(x, y), 10.0);
}

TEST(Baselines, SumPreservingStepIsABijectionOnEveryPairSum) {
  for (int s = 0; s <= 510; ++s) {
    const uint32_t m = baselines::sum_preserving_range(s);
    const int lo = std::max(0, s - 255);
    for (uint32_t r : {0u, 1u, m / 2, m - 1}) {
      std::set<int> seen;
      for (int p = lo; p < lo + static_cast<int>(m); ++p) {
        int q = baselines::sum_preserving_forward(p, s, r);
        ASSERT_GE(q, lo);
        ASSERT_LE(s - q, 255);
        ASSERT_EQ(baselines::sum_preserving_inverse(q, s, r), p) << "s=" << s << " r=" << r;
        seen.insert(q);
      }
      EXPECT_EQ(seen.size(), m);
    }
  }
}

TEST(Baselines, UnknownSchemeListsTheKnownOnes) {
  try {
    scheme::make("nope", 8);
    FAIL() << "expected hipp::Error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("shuffle"), std::string::npos);
    EXPECT_NE(msg.find("tpe-ideal"), std::string::npos);
  }
  EXPECT_THROW(scheme::make("shuffle", 0), Error);
}

TEST(Baselines, RejectsNonImages) {
  auto scheme = scheme::make("tpe-ideal", 8);
  EXPECT_THROW(scheme->protect(torch::zeros({3, 8, 8}), key_of(1), nonce_of(1)), Error);
  EXPECT_THROW(scheme->protect(torch::zeros({1, 8, 8}, torch::kUInt8), key_of(1), nonce_of(1)), Error);
}

TEST(KeyStream, SameSeedSameSequenceOtherSeedOtherSequence) {
  auto draw = [](const crypto::Key& k, const crypto::Nonce& n, const std::string& d) {
    crypto::KeyStream ks(k, n, d);
    std::vector<uint32_t> v;
    for (int i = 0; i < 2000; ++i) v.push_back(ks.next_u32());  // crosses a refill
    return v;
  };
  auto a = draw(key_of(1), nonce_of(2), "tpe-ideal");
  EXPECT_EQ(a, draw(key_of(1), nonce_of(2), "tpe-ideal"));
  EXPECT_NE(a, draw(key_of(1), nonce_of(2), "shuffle"));
  EXPECT_NE(a, draw(key_of(1), nonce_of(3), "tpe-ideal"));
  EXPECT_NE(a, draw(key_of(4), nonce_of(2), "tpe-ideal"));
  EXPECT_NE(crypto::random_nonce(), crypto::random_nonce());
  EXPECT_NE(crypto::random_key(), crypto::random_key());
}

TEST(KeyStream, UniformStaysBelowBoundAndPermutationIsAPermutation) {
  crypto::KeyStream ks(key_of(5), nonce_of(6), "test");
  for (uint32_t bound : {1u, 2u, 3u, 7u, 256u, 1000u, 0x80000001u}) {
    for (int i = 0; i < 500; ++i) ASSERT_LT(ks.uniform(bound), bound);
  }
  EXPECT_THROW(ks.uniform(0), Error);
  // Every value of a small range shows up.
  std::set<uint32_t> seen;
  for (int i = 0; i < 500; ++i) seen.insert(ks.uniform(5));
  EXPECT_EQ(seen.size(), 5u);
  for (int64_t n : {0, 1, 2, 64, 257}) {
    auto p = ks.permutation(n);
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    auto sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(sorted[i], i);
  }
  EXPECT_NE(ks.permutation(64), ks.permutation(64));
}

TEST(ThumbnailBlock, GrowsSoTheThumbnailStaysWithinItsBlocks) {
  using scheme::thumbnail_block;
  EXPECT_EQ(thumbnail_block(64, 64, 8), 8);        // small images keep the scheme's own block
  EXPECT_EQ(thumbnail_block(768, 1024, 16), 16);   // 64x48 blocks
  EXPECT_EQ(thumbnail_block(768, 1025, 16), 32);   // one pixel more would make 65
  EXPECT_EQ(thumbnail_block(3024, 4032, 16), 64);  // a 12 MP photo keeps 63x47
  EXPECT_EQ(thumbnail_block(3024, 4032, 8, 200), 32);
  EXPECT_EQ(thumbnail_block(100, 20, 8, 1), 128);
  EXPECT_THROW(thumbnail_block(10, 10, 0), Error);
}
