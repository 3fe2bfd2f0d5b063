#include "hipp/models.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "common/error.h"
#include "common/files.h"
#include "crypto/keystream.h"
#include "flow/model_file.h"
#include "hipp/hipp_scheme.h"
#include "io/tensor_file.h"

#ifndef HIPP_SOURCE_MODELS
#define HIPP_SOURCE_MODELS ""
#endif

namespace hipp::protect {
namespace fs = std::filesystem;

namespace {

// A detail flow's multiply-adds per position (flow/wavelet_flow.h): the conditioning network,
// then per step the 1x1 mixing and a coupling of 3x3, 1x1 and 3x3 convolutions.
int64_t detail_cost(const nlohmann::json& config) {
  const int64_t in = config.at("base").value("in_channels", 3), c = 3 * in, a = c / 2, b = c - a;
  const int64_t steps = config.value("steps", 0), hidden = config.value("hidden", 0), cond = config.value("cond_hidden", 0);
  const int64_t cond_net = 9 * in * cond + 9 * cond * cond;
  return cond_net + steps * (c * c + 9 * (a + cond) * hidden + hidden * hidden + 9 * hidden * b);
}

ModelInfo describe(const std::string& weights) {
  auto bytes = read_file(weights);  // read once: hashed for the id and parsed for the metadata
  auto tf = io::parse_tensor_file(bytes, weights);
  if (tf.meta.value("kind", "") != "wavelet")
    throw Error(weights + ": not a wavelet flow (HIPP needs one; kind is '" + tf.meta.value("kind", "") + "')");
  ModelInfo m;
  m.weights = weights;
  m.name = fs::path(weights).parent_path().filename().string();
  m.size = tf.meta.value("size", 0);
  m.levels = tf.meta.at("config").value("levels", 0);
  m.domain = tf.meta.value("record", nlohmann::json::object()).value("domain", "faces");  // older models: CelebA
  m.cost = detail_cost(tf.meta.at("config"));
  crypto::ensure_sodium();
  crypto_generichash(m.id.data(), m.id.size(), bytes.data(), bytes.size(), nullptr, 0);
  return m;
}

// An encoder folder: its flow is the folder named in its metadata, beside its own.
ModelInfo describe_encoder(const std::string& encoder) {
  auto bytes = read_file(encoder);
  auto tf = io::parse_tensor_file(bytes, encoder);
  if (tf.meta.value("kind", "") != "hipp-encoder") throw Error(encoder + ": not a HIPP encoder");
  auto flow_name = tf.meta.value("flow", "");
  auto flow_weights = fs::path(encoder).parent_path().parent_path() / flow_name / flow::weights_name("wavelet");
  if (flow_name.empty() || !fs::exists(flow_weights))
    throw Error(encoder + ": its flow '" + flow_name + "' is not beside it (expected " + flow_weights.string() + ")");
  ModelInfo m = describe(flow_weights.string());
  m.encoder = encoder;
  m.name = fs::path(encoder).parent_path().filename().string();
  m.levels = std::min(m.levels, tf.meta.at("config").value("levels", 0));
  // The id covers both files: the flow's id, then the encoder's bytes.
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, m.id.size());
  crypto_generichash_update(&st, m.id.data(), m.id.size());
  crypto_generichash_update(&st, bytes.data(), bytes.size());
  crypto_generichash_final(&st, m.id.data(), m.id.size());
  return m;
}

ModelInfo describe_folder(const fs::path& dir) {
  auto enc = dir / kEncoderWeightsName;
  return fs::exists(enc) ? describe_encoder(enc.string()) : describe(flow::resolve_model_path(dir.string()));
}

fs::path exe_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p.parent_path();
}

}  // namespace

std::string models_dir() {
  if (const char* env = std::getenv("HIPP_MODELS"); env && *env) return env;
  auto beside = exe_dir().parent_path() / "models";
  if (fs::is_directory(beside)) return beside.string();
  return HIPP_SOURCE_MODELS;
}

std::vector<ModelInfo> shipped_models() {
  // Hashing every model file is not free: scan once per process and directory.
  static std::map<std::string, std::vector<ModelInfo>> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto dir = models_dir();
  if (auto it = cache.find(dir); it != cache.end()) return it->second;
  std::vector<ModelInfo> out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    if (fs::exists(e.path() / kEncoderWeightsName) || fs::exists(e.path() / flow::weights_name("wavelet")))
      out.push_back(describe_folder(e.path()));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.size < b.size || (a.size == b.size && a.name < b.name); });
  return cache[dir] = out;
}

ModelInfo resolve_model(const std::string& name_or_path) {
  if (fs::is_directory(name_or_path)) return describe_folder(name_or_path);
  if (fs::exists(name_or_path))
    return fs::path(name_or_path).filename() == kEncoderWeightsName ? describe_encoder(name_or_path)
                                                                    : describe(name_or_path);
  auto in_dir = fs::path(models_dir()) / name_or_path;
  if (!models_dir().empty() && fs::is_directory(in_dir)) return describe_folder(in_dir);
  std::string names;
  for (auto& m : shipped_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw Error(ErrorKind::usage, "--model " + name_or_path + ": no such model (shipped: " + (names.empty() ? "none found" : names) + ")");
}

ModelInfo nearest_model(int64_t height, int64_t width) {
  auto all = shipped_models();
  if (all.empty()) throw Error("no shipped wavelet model found under '" + models_dir() + "' (set HIPP_MODELS or pass --model)");
  const int64_t side = std::max(height, width);
  const bool big = side > kFacesUpTo;
  std::vector<ModelInfo> pool;
  for (auto& m : all)
    if ((m.domain == "photos") == big) pool.push_back(m);
  auto by_cost = [](auto& a, auto& b) { return a.cost < b.cost || (a.cost == b.cost && a.name < b.name); };
  if (big && !pool.empty())
    return side > kLightPhotosAbove ? *std::min_element(pool.begin(), pool.end(), by_cost)
                                    : *std::max_element(pool.begin(), pool.end(), by_cost);
  if (!pool.empty()) all = pool;
  double scale = std::sqrt(static_cast<double>(height) * width);
  auto rank = [&](const ModelInfo& m) { return std::make_pair(std::abs(std::log(scale / m.size)), m.encoder.empty()); };
  return *std::min_element(all.begin(), all.end(), [&](auto& a, auto& b) { return rank(a) < rank(b); });
}

int default_block(const ModelInfo& m, int64_t height, int64_t width, int max_blocks) {
  return scheme::thumbnail_block(height, width, 1 << m.levels, max_blocks);
}

ModelInfo model_by_id(const ModelId& id) {
  for (auto& m : shipped_models())
    if (m.id == id) return m;
  throw Error(ErrorKind::unsupported, "the image was protected with model " + hex(id) + ", which is not among the models under '" +
              models_dir() + "' (set HIPP_MODELS to the folder that holds it)");
}

std::shared_ptr<flow::WaveletFlow> load_wavelet(const ModelInfo& m, torch::Device device) {
  auto fm = flow::load_flow(m.weights, device);
  return std::dynamic_pointer_cast<flow::WaveletFlow>(fm.flow);
}

std::unique_ptr<HippScheme> load_hipp(const ModelInfo& m, int block, torch::Device device) {
  auto flow = load_wavelet(m, device);
  std::shared_ptr<Encoder> encoder;
  if (!m.encoder.empty()) {
    auto e = load_encoder(m.encoder, device);
    double f = flow_fingerprint(*flow);
    if (std::abs(f - e.flow_fingerprint) > 1e-9 * std::abs(f))
      throw Error(m.encoder + " was trained on other weights of '" + e.flow_name + "' than " + m.weights);
    encoder = e.encoder;
  }
  return std::make_unique<HippScheme>(flow, block, device, encoder);
}

std::string hex(const ModelId& id) {
  std::string s(33, '\0');
  sodium_bin2hex(s.data(), s.size(), id.data(), id.size());
  s.pop_back();
  return s;
}

}  // namespace hipp::protect
