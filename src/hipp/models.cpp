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
#include "io/tensor_file.h"

#ifndef HIPP_SOURCE_MODELS
#define HIPP_SOURCE_MODELS ""
#endif

namespace hipp::protect {
namespace fs = std::filesystem;

namespace {

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
  crypto::ensure_sodium();
  crypto_generichash(m.id.data(), m.id.size(), bytes.data(), bytes.size(), nullptr, 0);
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
    auto w = e.path() / flow::weights_name("wavelet");
    if (fs::exists(w)) out.push_back(describe(w.string()));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.size < b.size || (a.size == b.size && a.name < b.name); });
  return cache[dir] = out;
}

ModelInfo resolve_model(const std::string& name_or_path) {
  if (fs::exists(name_or_path)) return describe(flow::resolve_model_path(name_or_path));
  auto in_dir = fs::path(models_dir()) / name_or_path;
  if (!models_dir().empty() && fs::is_directory(in_dir)) return describe(flow::resolve_model_path(in_dir.string()));
  std::string names;
  for (auto& m : shipped_models()) names += (names.empty() ? "" : ", ") + m.name;
  throw Error("--model " + name_or_path + ": no such model (shipped: " + (names.empty() ? "none found" : names) + ")");
}

ModelInfo nearest_model(int64_t height, int64_t width) {
  auto all = shipped_models();
  if (all.empty()) throw Error("no shipped wavelet model found under '" + models_dir() + "' (set HIPP_MODELS or pass --model)");
  double scale = std::sqrt(static_cast<double>(height) * width);
  return *std::min_element(all.begin(), all.end(), [&](auto& a, auto& b) {
    return std::abs(std::log(scale / a.size)) < std::abs(std::log(scale / b.size));
  });
}

ModelInfo model_by_id(const ModelId& id) {
  for (auto& m : shipped_models())
    if (m.id == id) return m;
  throw Error("the image was protected with model " + hex(id) + ", which is not among the models under '" +
              models_dir() + "' (set HIPP_MODELS to the folder that holds it)");
}

std::shared_ptr<flow::WaveletFlow> load_wavelet(const ModelInfo& m, torch::Device device) {
  auto fm = flow::load_flow(m.weights, device);
  return std::dynamic_pointer_cast<flow::WaveletFlow>(fm.flow);
}

std::string hex(const ModelId& id) {
  std::string s(33, '\0');
  sodium_bin2hex(s.data(), s.size(), id.data(), id.size());
  s.pop_back();
  return s;
}

}  // namespace hipp::protect
