// Model ids: a protected file finds its model by the id in its header. Id v2 is of the configuration and tensors (a resave keeps it); files
// written before it record v1, the hash of the file's bytes, which still resolves.
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "hipp/models.h"
#include "io/tensor_file.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::protect;
namespace fs = std::filesystem;

namespace {

// The frozen ids (v2: what files protected now record; v1: what files protected before model id
// v2 record), from tests/vectors/kat/kat.json, which test_kat checks and never regenerates.
const nlohmann::json& known_ids() {
  static const auto ids =
      nlohmann::json::parse(test::read_bytes(std::string(HIPP_SOURCE_DIR) + "/tests/vectors/kat/kat.json"))["model_ids"];
  return ids;
}

std::string known(const std::string& model, const char* version) { return known_ids().at(model).at(version); }

fs::path shipped(const std::string& name) { return fs::path(HIPP_SOURCE_DIR) / "models" / name; }

// A copy of a shipped flow folder whose weights were loaded and saved again.
fs::path resaved(const test::TempDir& dir, const std::string& name, bool half,
                 const std::function<void(io::TensorFile&)>& edit = {}) {
  auto tf = io::load_tensor_file((shipped(name) / "wavelet.weights").string());
  if (edit) edit(tf);
  auto out = fs::path(dir.path) / (name + (half ? "-f16" : "-f32"));
  fs::create_directories(out);
  io::save_tensor_file((out / "wavelet.weights").string(), tf, half);
  return out;
}

}  // namespace

TEST(ModelIds, EitherIdFindsTheShippedModel) {
  ASSERT_FALSE(known_ids().empty());
  for (auto& [model, ids] : known_ids().items()) {  // new files, and files protected before model id v2
    EXPECT_EQ(model_by_id(parse_model_id(ids["v2"])).name, model);
    EXPECT_EQ(model_by_id(parse_model_id(ids["v1"])).name, model);
  }
}

TEST(ModelIds, AResaveKeepsTheIdAndAChangeDoesNot) {
  test::TempDir dir;
  // photos64-lite-wavelet is stored at float32; saved once at float16 it is another model, whose
  // id then survives every further resave, at float16 or float32, and a rewritten training log.
  auto half = resolve_model(resaved(dir, "photos64-lite-wavelet", true).string());
  auto full = resolve_model(resaved(dir, "photos64-lite-wavelet", false).string());
  EXPECT_EQ(hex(full.id), hex(resolve_model("photos64-lite-wavelet").id));
  EXPECT_NE(hex(half.id), hex(full.id));
  test::TempDir again;
  auto reload = [&](bool as_half, const std::string& tag) {
    auto tf = io::load_tensor_file((fs::path(half.weights)).string());
    tf.meta["record"]["note"] = tag;
    auto out = fs::path(again.path) / tag;
    fs::create_directories(out);
    io::save_tensor_file((out / "wavelet.weights").string(), tf, as_half);
    return resolve_model(out.string());
  };
  EXPECT_EQ(hex(reload(true, "a").id), hex(half.id));
  EXPECT_EQ(hex(reload(false, "b").id), hex(half.id));
  EXPECT_NE(hex(reload(false, "b").legacy_ids.front()), hex(half.legacy_ids.front()));  // the bytes differ

  auto nudged = resolve_model(resaved(again, "photos64-wavelet", false, [](io::TensorFile& tf) {
                                auto& t = tf.tensors.begin()->second;
                                t = t.clone();
                                t.view(-1)[0] += 1e-3;
                              }).string());
  EXPECT_NE(hex(nudged.id), hex(resolve_model("photos64-wavelet").id));
  test::TempDir third;
  auto reconfigured = resolve_model(resaved(third, "photos64-wavelet", false, [](io::TensorFile& tf) {
                                      tf.meta["config"]["n_bits"] = 7;
                                    }).string());
  EXPECT_NE(hex(reconfigured.id), hex(resolve_model("photos64-wavelet").id));
}

TEST(ModelIds, ALegacyIdsFileKeepsOldPhotosFindingAResavedModel) {
  test::TempDir dir;
  auto folder = resaved(dir, "celeba64-wavelet", true);  // new bytes, new v1 id
  auto before = resolve_model(folder.string());
  const auto v1 = known("celeba64-wavelet", "v1");
  EXPECT_NE(hex(before.legacy_ids.front()), v1);
  EXPECT_FALSE(before.has_id(parse_model_id(v1)));
  test::write_bytes((folder / kLegacyIdsName).string(),
                    std::string("# what this model's files were called before\n") + v1 + "  # v1\n");
  EXPECT_TRUE(resolve_model(folder.string()).has_id(parse_model_id(v1)));
  test::write_bytes((folder / kLegacyIdsName).string(), "not-an-id\n");
  EXPECT_ERROR_KIND(resolve_model(folder.string()), ErrorKind::damaged);
}
