#include "flow/model_file.h"

#include <filesystem>

#include "common/error.h"
#include "io/tensor_file.h"

namespace hipp::flow {
namespace fs = std::filesystem;
using nlohmann::json;

std::string weights_name(const std::string& kind) { return kind + ".weights"; }

std::shared_ptr<DensityFlow> make_flow(const std::string& kind, const json& config, const std::string& where) {
  if (kind == "glow") return std::make_shared<Glow>(config_from_json(config, where));
  if (kind == "wavelet") return std::make_shared<WaveletFlow>(wavelet_config_from_json(config, where));
  throw Error(where + ": unknown model kind '" + kind + "' (expected glow or wavelet)");
}

std::string resolve_model_path(const std::string& p) {
  if (!fs::is_directory(p)) return p;
  for (const char* kind : {"wavelet", "glow"}) {
    auto f = fs::path(p) / weights_name(kind);
    if (fs::exists(f)) return f.string();
  }
  return (fs::path(p) / kGlowWeightsName).string();
}

void save_flow(const std::string& file, DensityFlow& flow, int size, const json& record) {
  io::TensorFile tf;
  tf.meta = {{"kind", flow.kind()}, {"config", flow.config_json()}, {"size", size}, {"record", record}};
  tf.tensors = io::module_state(flow.module());
  int64_t bytes = 0;
  for (auto& [n, t] : tf.tensors) bytes += t.numel() * 4;
  io::save_tensor_file(file, tf, /*half=*/bytes > 16 * 1024 * 1024 - 65536);
}

FlowModel load_flow(const std::string& path_or_folder, torch::Device device) {
  FlowModel m;
  m.path = resolve_model_path(path_or_folder);
  if (!fs::exists(m.path))
    throw Error(path_or_folder + ": no such model (expected a folder with wavelet.weights or glow.weights, or a weights file)");
  auto tf = io::load_tensor_file(m.path);
  m.kind = tf.meta.value("kind", "");
  if (m.kind != "glow" && m.kind != "wavelet")
    throw Error(m.path + ": not a flow weights file (kind is not 'glow' or 'wavelet')");
  if (!tf.meta.contains("config")) throw Error(m.path + ": model file lacks field 'config'");
  if (!tf.meta.contains("size") || !tf.meta["size"].is_number_integer())
    throw Error(m.path + ": model file lacks field 'size'");
  m.flow = make_flow(m.kind, tf.meta["config"], m.path);
  io::load_module_state(m.flow->module(), tf.tensors, m.path);
  m.flow->module().to(device);
  m.flow->module().eval();
  m.size = tf.meta["size"].get<int>();
  m.record = tf.meta.value("record", json::object());
  return m;
}

void save_glow(const std::string& file, Glow& glow, int size, const json& record) {
  save_flow(file, glow, size, record);
}

GlowModel load_glow(const std::string& path_or_folder, torch::Device device) {
  auto m = load_flow(path_or_folder, device);
  if (m.kind != "glow") throw Error(m.path + ": not a Glow weights file (kind is '" + m.kind + "')");
  return {std::dynamic_pointer_cast<Glow>(m.flow), m.size, m.record, m.path};
}

}  // namespace hipp::flow
