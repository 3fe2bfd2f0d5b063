#include "flow/glow_file.h"

#include <filesystem>

#include "common/error.h"
#include "io/tensor_file.h"

namespace hipp::flow {
namespace fs = std::filesystem;
using nlohmann::json;

json config_to_json(const GlowConfig& c) {
  return {{"in_channels", c.in_channels}, {"levels", c.levels},
          {"steps", c.steps},             {"hidden", c.hidden},
          {"n_bits", c.n_bits},           {"coupling", coupling_name(c.coupling)},
          {"scale_bound", c.scale_bound}};
}

GlowConfig config_from_json(const json& j, const std::string& where) {
  auto field = [&](const char* name) -> const json& {
    if (!j.is_object() || !j.contains(name)) throw Error(where + ": model configuration lacks field '" + name + "'");
    return j.at(name);
  };
  GlowConfig c;
  try {
    c.in_channels = field("in_channels").get<int>();
    c.levels = field("levels").get<int>();
    c.steps = field("steps").get<int>();
    c.hidden = field("hidden").get<int>();
    c.n_bits = field("n_bits").get<int>();
    c.coupling = parse_coupling(field("coupling").get<std::string>());
    c.scale_bound = field("scale_bound").get<double>();
  } catch (const json::exception& e) {
    throw Error(where + ": model configuration has a field of the wrong type (" + e.what() + ")");
  }
  if (c.in_channels < 1 || c.levels < 1 || c.steps < 1 || c.hidden < 1 || c.n_bits < 1 || c.n_bits > 8)
    throw Error(where + ": model configuration is out of range");
  return c;
}

std::string resolve_model_path(const std::string& p) {
  return fs::is_directory(p) ? (fs::path(p) / kGlowWeightsName).string() : p;
}

void save_glow(const std::string& file, Glow& glow, int size, const json& record) {
  io::TensorFile tf;
  tf.meta = {{"kind", "glow"}, {"config", config_to_json(glow.config())}, {"size", size}, {"record", record}};
  tf.tensors = io::module_state(glow);
  int64_t bytes = 0;
  for (auto& [n, t] : tf.tensors) bytes += t.numel() * 4;
  io::save_tensor_file(file, tf, /*half=*/bytes > 16 * 1024 * 1024 - 65536);
}

GlowModel load_glow(const std::string& path_or_folder, torch::Device device) {
  GlowModel m;
  m.path = resolve_model_path(path_or_folder);
  if (!fs::exists(m.path)) throw Error(path_or_folder + ": no such model (expected a folder with " +
                                       kGlowWeightsName + " or a weights file)");
  auto tf = io::load_tensor_file(m.path);
  if (tf.meta.value("kind", "") != "glow") throw Error(m.path + ": not a Glow weights file (kind is not 'glow')");
  if (!tf.meta.contains("config")) throw Error(m.path + ": model file lacks field 'config'");
  if (!tf.meta.contains("size") || !tf.meta["size"].is_number_integer())
    throw Error(m.path + ": model file lacks field 'size'");
  m.glow = std::make_shared<Glow>(config_from_json(tf.meta["config"], m.path));
  io::load_module_state(*m.glow, tf.tensors, m.path);
  m.glow->to(device);
  m.glow->eval();
  m.size = tf.meta["size"].get<int>();
  m.record = tf.meta.value("record", json::object());
  return m;
}

}  // namespace hipp::flow
