#include "hipp/models.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <fstream>
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

// Model id v2: BLAKE2b-128 of a label and each file's content_bytes (flow, then encoder), so
// resaving the same tensors keeps the id (docs/format.md).
constexpr char kIdLabel[] = "hipp model id v2";

struct IdHash {
  crypto_generichash_state st;
  IdHash() {
    crypto::ensure_sodium();
    crypto_generichash_init(&st, nullptr, 0, sizeof(ModelId));
  }
  void add(const std::vector<uint8_t>& b) { crypto_generichash_update(&st, b.data(), b.size()); }
  ModelId done() {
    ModelId id;
    crypto_generichash_final(&st, id.data(), id.size());
    return id;
  }
};

ModelId bytes_id(const std::vector<uint8_t>& bytes) {  // v1: of the weights file's bytes
  IdHash h;
  h.add(bytes);
  return h.done();
}

std::vector<ModelId> listed_legacy_ids(const fs::path& dir) {
  std::vector<ModelId> ids;
  std::ifstream in(dir / kLegacyIdsName);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    line.erase(std::remove_if(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); }), line.end());
    if (!line.empty()) ids.push_back(parse_model_id(line));
  }
  return ids;
}

void add_legacy(ModelInfo& m, const ModelId& v1, const fs::path& dir) {
  m.legacy_ids = {v1};
  for (auto& id : listed_legacy_ids(dir))
    if (!m.has_id(id)) m.legacy_ids.push_back(id);
}

ModelInfo describe(const std::string& weights) {
  auto bytes = read_file(weights);  // read once: hashed for the v1 id and parsed
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
  IdHash h;
  h.add(std::vector<uint8_t>(kIdLabel, kIdLabel + sizeof(kIdLabel)));  // the label and its NUL
  h.add(io::content_bytes(tf));
  m.id = h.done();
  add_legacy(m, bytes_id(bytes), fs::path(weights).parent_path());
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
  // Both ids cover both files. v2: the label, the flow's content, then the encoder's; v1: the
  // flow's v1 id, then the encoder file's bytes.
  IdHash v2;
  v2.add(std::vector<uint8_t>(kIdLabel, kIdLabel + sizeof(kIdLabel)));
  v2.add(io::content_bytes(io::load_tensor_file(flow_weights.string())));
  v2.add(io::content_bytes(tf));
  m.id = v2.done();
  IdHash v1;
  v1.add(std::vector<uint8_t>(m.legacy_ids.front().begin(), m.legacy_ids.front().end()));
  v1.add(bytes);
  add_legacy(m, v1.done(), fs::path(encoder).parent_path());
  return m;
}

ModelInfo describe_folder(const fs::path& dir) {
  auto enc = dir / kEncoderWeightsName;
  auto m = fs::exists(enc) ? describe_encoder(enc.string()) : describe(flow::resolve_model_path(dir.string()));
  m.retired = fs::exists(dir / kRetiredName);
  return m;
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

Content parse_content(const std::string& name) {
  if (name == "faces") return Content::faces;
  if (name == "photos") return Content::photos;
  throw Error(ErrorKind::usage, "content must be faces or photos, not '" + name + "'");
}

std::string content_name(Content c) {
  return c == Content::faces ? "faces" : c == Content::photos ? "photos" : "unknown";
}

ModelInfo nearest_model(int64_t height, int64_t width, Content content) {
  auto all = shipped_models();
  if (all.empty()) throw Error("no shipped wavelet model found under '" + models_dir() + "' (set HIPP_MODELS or pass --model)");
  std::vector<ModelInfo> current;
  std::copy_if(all.begin(), all.end(), std::back_inserter(current), [](auto& m) { return !m.retired; });
  if (!current.empty()) all = current;
  const int64_t side = std::max(height, width);
  std::vector<ModelInfo> pool;
  // Above kFacesUpTo only face models trained there: their larger blocks keep the thumbnail as
  // coarse as the photo model's would.
  if (content == Content::faces && side > kFacesUpTo && side <= kFaceModelsUpTo)
    for (auto& m : all)
      if (m.domain != "photos" && m.size > kFacesUpTo) pool.push_back(m);
  const bool big = side > kFacesUpTo && pool.empty();
  if (pool.empty())
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

bool ModelInfo::has_id(const ModelId& other) const {
  return other == id || std::find(legacy_ids.begin(), legacy_ids.end(), other) != legacy_ids.end();
}

ModelInfo model_by_id(const ModelId& id) {
  for (auto& m : shipped_models())
    if (m.has_id(id)) return m;
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

ModelId parse_model_id(const std::string& text) {
  ModelId id;
  size_t n = 0;
  if (text.size() != 2 * id.size() ||
      sodium_hex2bin(id.data(), id.size(), text.data(), text.size(), nullptr, &n, nullptr) != 0 || n != id.size())
    throw Error(ErrorKind::damaged, "'" + text + "' is not a model id (32 hex digits)");
  return id;
}

std::string hex(const ModelId& id) {
  std::string s(33, '\0');
  sodium_bin2hex(s.data(), s.size(), id.data(), id.size());
  s.pop_back();
  return s;
}

}  // namespace hipp::protect
