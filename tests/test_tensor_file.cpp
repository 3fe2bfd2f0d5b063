// The weights container and Glow model files: round trip, fp16 storage, clear errors.
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "flow/model_file.h"
#include "io/tensor_file.h"
#include "test_util.h"

using namespace hipp;

namespace {
void expect_error_containing(const std::function<void()>& f, const std::string& part) {
  EXPECT_ERROR_HAS(f(), part);
}

flow::GlowConfig config(int levels, int steps, int hidden) {
  flow::GlowConfig c;
  c.levels = levels;
  c.steps = steps;
  c.hidden = hidden;
  return c;
}
}  // namespace

TEST(TensorFile, RoundTripKeepsValuesTypesAndMeta) {
  test::TempDir dir;
  io::TensorFile f;
  f.meta = {{"answer", 42}, {"name", "x"}};
  f.tensors["a"] = torch::randn({3, 4});
  f.tensors["b.c"] = torch::arange(10, torch::kLong);
  f.tensors["u"] = torch::randint(0, 255, {5}).to(torch::kUInt8);
  f.tensors["scalar"] = torch::tensor(3.5, torch::kFloat64);
  io::save_tensor_file(dir / "t.weights", f);
  auto g = io::load_tensor_file(dir / "t.weights");
  EXPECT_EQ(g.meta, f.meta);
  ASSERT_EQ(g.tensors.size(), 4u);
  for (auto& [k, v] : f.tensors) {
    EXPECT_EQ(g.tensors[k].scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(g.tensors[k], v)) << k;
  }
}

TEST(TensorFile, HalfStorageHalvesFloatsOnly) {
  test::TempDir dir;
  io::TensorFile f;
  f.tensors["w"] = torch::randn({1000});
  f.tensors["i"] = torch::arange(100, torch::kLong);
  io::save_tensor_file(dir / "full", f, false);
  io::save_tensor_file(dir / "half", f, true);
  EXPECT_LT(std::filesystem::file_size(dir / "half"), std::filesystem::file_size(dir / "full") - 1900);
  auto g = io::load_tensor_file(dir / "half");
  EXPECT_EQ(g.tensors["w"].scalar_type(), torch::kFloat32);
  EXPECT_LT((g.tensors["w"] - f.tensors["w"]).abs().max().item<double>(), 4e-3);
  EXPECT_TRUE(torch::equal(g.tensors["i"], f.tensors["i"]));
}

TEST(TensorFile, CorruptFilesFailClearly) {
  test::TempDir dir;
  expect_error_containing([&] { io::load_tensor_file(dir / "nope"); }, "cannot open");
  test::write_bytes(dir / "junk", "definitely not a weights file, but long enough");
  expect_error_containing([&] { io::load_tensor_file(dir / "junk"); }, "not a hipp weights file");
  io::TensorFile f;
  f.tensors["w"] = torch::randn({256});
  io::save_tensor_file(dir / "ok", f);
  auto bytes = test::read_bytes(dir / "ok");
  test::write_bytes(dir / "cut", bytes.substr(0, bytes.size() - 100));
  expect_error_containing([&] { io::load_tensor_file(dir / "cut"); }, "truncated");
}

// Shapes are checked against the bytes before anything is allocated (fuzz/fuzz_tensor_file.cpp
// found a negative dimension escaping as a c10::Error).
TEST(TensorFile, ImpossibleShapesAreDamagedFiles) {
  EXPECT_ERROR_KIND(io::load_tensor_file(test::fixture("fuzz/tensor-negative-shape.weights")), ErrorKind::damaged);
  test::TempDir dir;
  io::TensorFile f;
  f.tensors["w"] = torch::zeros({2, 2});
  io::save_tensor_file(dir / "ok", f, false);
  const auto bytes = test::read_bytes(dir / "ok");  // magic (8), version (4), header length (8), header
  uint64_t hlen = 0;
  std::memcpy(&hlen, bytes.data() + 12, 8);
  const auto header = nlohmann::json::parse(bytes.substr(20, hlen));
  for (auto shape : {nlohmann::json{2, -2}, nlohmann::json{4294967296, 4294967296}, nlohmann::json{3, 2}}) {
    auto h = header;
    h["tensors"][0]["shape"] = shape;
    const std::string text = h.dump();
    const uint64_t n = text.size();
    std::string edited = bytes.substr(0, 12) + std::string(reinterpret_cast<const char*>(&n), 8) + text + bytes.substr(20 + hlen);
    test::write_bytes(dir / "bad", edited);
    SCOPED_TRACE(shape.dump());
    EXPECT_ERROR_KIND(io::load_tensor_file(dir / "bad"), ErrorKind::damaged);
  }
}

TEST(GlowFile, SaveLoadRoundTripGivesTheSameFlow) {
  test::TempDir dir;
  auto c = config(2, 2, 8);
  c.coupling = flow::CouplingType::Affine;
  c.scale_bound = 0.7;
  auto g = std::make_shared<flow::Glow>(c);
  test::perturb(*g, 0.05);
  flow::save_glow(dir / "glow.weights", *g, 16, {{"test_bpd", 4.5}});
  auto m = flow::load_glow(dir.path.string());  // folder form
  EXPECT_EQ(m.size, 16);
  EXPECT_EQ(m.glow->config().levels, 2);
  EXPECT_EQ(m.glow->config().coupling, flow::CouplingType::Affine);
  EXPECT_DOUBLE_EQ(m.glow->config().scale_bound, 0.7);
  EXPECT_DOUBLE_EQ(m.record["test_bpd"].get<double>(), 4.5);
  torch::NoGradGuard ng;
  g->eval();
  auto x = torch::rand({2, 3, 16, 16}) - 0.5;
  EXPECT_TRUE(torch::equal(m.glow->forward(x).y, g->forward(x).y));
}

TEST(GlowFile, MissingOrWrongFieldsFailClearly) {
  test::TempDir dir;
  flow::Glow g(config(1, 1, 4));
  flow::save_glow(dir / "good", g, 8, {});
  auto good = io::load_tensor_file(dir / "good");

  auto edited = [&](const std::function<void(io::TensorFile&)>& edit) {
    auto f = good;
    edit(f);
    io::save_tensor_file(dir / "bad", f);
    return dir / "bad";
  };
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.meta["config"].erase("levels"); })); },
                          "lacks field 'levels'");
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.meta["config"]["hidden"] = "wide"; })); },
                          "wrong type");
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.meta.erase("size"); })); },
                          "lacks field 'size'");
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.meta["kind"] = "other"; })); },
                          "not a flow weights file");
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.tensors.erase("top_mean"); })); },
                          "missing tensor 'top_mean'");
  expect_error_containing([&] { flow::load_glow(edited([](auto& f) { f.meta["config"]["hidden"] = 5; })); },
                          "has shape");
  expect_error_containing([&] { flow::load_glow(dir / "absent"); }, "no such model");
}

TEST(GlowFile, LargeModelsAreStoredInHalfPrecisionUnder16MiB) {
  test::TempDir dir;
  flow::Glow g(config(3, 16, 256));
  int64_t fp32_bytes = 0;
  for (auto& p : g.parameters()) fp32_bytes += p.numel() * 4;
  ASSERT_GT(fp32_bytes, 16 << 20);
  flow::save_glow(dir / "big", g, 64, {});
  EXPECT_LT(std::filesystem::file_size(dir / "big"), 16u << 20);
}
