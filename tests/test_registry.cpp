// The scheme registry: every scheme by name, HIPP included, resolved for an image the way protect
// and restore resolve it; the error kinds that drive exit codes and HTTP statuses.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/error.h"
#include "crypto/keystream.h"
#include "scheme/registry.h"
#include "test_util.h"

using namespace hipp;

TEST(Registry, KnowsEverySchemeWithHippFirst) {
  auto& n = scheme::names();
  ASSERT_FALSE(n.empty());
  EXPECT_EQ(n.front(), "hipp");
  for (auto s : {"tpe-ideal", "drpe", "tpe-lsb", "shuffle", "jpeg-scramble"})
    EXPECT_NE(std::find(n.begin(), n.end(), s), n.end()) << s;
  EXPECT_TRUE(scheme::uses_model("hipp"));
  EXPECT_FALSE(scheme::uses_model("shuffle"));
  EXPECT_FALSE(scheme::uses_model("nope"));
  EXPECT_NE(scheme::names_text().find("jpeg-scramble"), std::string::npos);
}

TEST(Registry, EveryPixelSchemeBuildsByNameAndRoundTrips) {
  auto img = torch::randint(0, 256, {3, 32, 48}).to(torch::kUInt8);
  crypto::Key key = test::filled<32>(7);
  crypto::Nonce nonce = test::filled<24>(9);
  for (auto& name : scheme::names()) {
    scheme::Request q;
    q.name = name;
    auto r = scheme::resolve(q, 32, 48);
    auto s = scheme::make(r);
    EXPECT_EQ(s->name(), name);
    if (s->jpeg_native()) continue;  // test_jpeg covers it, on a JPEG file
    scheme::SideData side;
    auto prot = s->protect(img, key, nonce, &side);
    EXPECT_EQ(prot.sizes(), img.sizes()) << name;
    EXPECT_FALSE(torch::equal(prot, img)) << name;
    auto back = s->restore(prot, key, nonce, side);
    EXPECT_EQ(back.sizes(), img.sizes()) << name;
  }
}

TEST(Registry, DefaultBlocksFollowTheSchemeAndTheImage) {
  scheme::Request q;
  q.name = "tpe-ideal";
  EXPECT_EQ(scheme::resolve(q, 64, 64).block, 8);
  EXPECT_EQ(scheme::resolve(q, 4000, 3000).block, 64);  // at most 64 blocks on the long side
  q.name = "drpe";
  EXPECT_EQ(scheme::resolve(q, 64, 64).block, 16);
  q.block = 32;
  EXPECT_EQ(scheme::resolve(q, 64, 64).block, 32);
  EXPECT_FALSE(scheme::resolve(q, 64, 64).model);
  EXPECT_EQ(scheme::resolve(q, 64, 64).model_id(), protect::ModelId{});

  q = {};  // hipp: the model for the size, at its largest trained block
  auto r = scheme::resolve(q, 64, 64);
  ASSERT_TRUE(r.model);
  EXPECT_EQ(r.block, 1 << r.model->levels);
  EXPECT_EQ(r.model_id(), r.model->id);
  EXPECT_EQ(r.label(), "hipp (" + r.model->name + ")");
  // What a file records resolves to the same model, whatever the size suggests.
  q.model_id = r.model->id;
  q.block = r.block;
  auto again = scheme::resolve(q, 1000, 1000);
  EXPECT_EQ(again.model->name, r.model->name);
  EXPECT_EQ(again.key(), r.key());
}

TEST(Registry, ErrorsHaveKinds) {
  scheme::Request q;
  q.name = "rot13";
  EXPECT_ERROR_KIND(scheme::resolve(q, 64, 64), ErrorKind::usage);
  q.model_id = protect::ModelId{};  // a file naming a scheme this hipp lacks: a newer file
  EXPECT_ERROR_KIND(scheme::resolve(q, 64, 64), ErrorKind::unsupported);
  q = {};
  q.model_id = test::filled<16>(0xAB);  // a model that is not here
  EXPECT_ERROR_KIND(scheme::resolve(q, 64, 64), ErrorKind::unsupported);
  q = {};
  q.name = "shuffle";
  q.detail_scale = 0.5;
  EXPECT_ERROR_KIND(scheme::resolve(q, 64, 64), ErrorKind::usage);
  EXPECT_ERROR_KIND(scheme::make("shuffle", 0), ErrorKind::usage);
  q = {};
  q.model = "no-such-model";
  EXPECT_ERROR_KIND(scheme::resolve(q, 64, 64), ErrorKind::usage);
}

TEST(Errors, KindsMapToDistinctExitCodesAndStatuses) {
  const ErrorKind all[] = {ErrorKind::failed,  ErrorKind::usage,       ErrorKind::wrong_key, ErrorKind::altered,
                           ErrorKind::not_protected, ErrorKind::damaged, ErrorKind::unsupported, ErrorKind::too_large};
  std::vector<int> codes;
  for (auto k : all) codes.push_back(exit_code(k));
  EXPECT_EQ(codes, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(http_status(ErrorKind::wrong_key), 403);
  EXPECT_EQ(http_status(ErrorKind::altered), 422);
  EXPECT_EQ(http_status(ErrorKind::too_large), 413);
  EXPECT_EQ(http_status(ErrorKind::damaged), 400);
  EXPECT_STREQ(kind_name(ErrorKind::not_protected), "not_protected");
  EXPECT_EQ(Error("x").kind, ErrorKind::failed);
}

// No caller special-cases a scheme by its name: the registry is the one place that knows them.
TEST(Registry, NoSourceFileComparesASchemeName) {
  namespace fs = std::filesystem;
  const std::regex by_name(R"([=!]=\s*"(hipp|tpe-ideal|drpe|tpe-lsb|shuffle|jpeg-scramble)\")");
  int files = 0;
  for (auto& e : fs::recursive_directory_iterator(std::string(HIPP_SOURCE_DIR) + "/src")) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    ++files;
    EXPECT_FALSE(std::regex_search(text, by_name)) << e.path();
  }
  EXPECT_GT(files, 50);
}

TEST(Registry, ModelNamesListEachModelOnce) {
  std::vector<scheme::Resolved> resolved;
  for (auto name : {"hipp", "shuffle", "hipp-smooth"}) {
    scheme::Request q;
    q.name = name;
    resolved.push_back(scheme::resolve(q, 128, 128));
  }
  EXPECT_EQ(scheme::model_names(resolved), resolved[0].model->name);  // hipp and hipp-smooth share it
  scheme::Request q;
  q.name = "hipp";
  q.model = "celeba128-wavelet";
  resolved.push_back(scheme::resolve(q, 128, 128));
  EXPECT_EQ(scheme::model_names(resolved), resolved[0].model->name + ", celeba128-wavelet");
  EXPECT_EQ(scheme::model_names({resolved[1]}), "");  // shuffle has none
}
