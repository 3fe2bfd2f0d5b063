#include "face/weight_map.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "face/face_net.h"

namespace hipp::face {
namespace fs = std::filesystem;

std::map<std::string, torch::Tensor> load_tfjs_weights(const std::string& manifest) {
  nlohmann::json groups;
  try {
    auto text = read_file(manifest);
    groups = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest + ": not a weights manifest (" + e.what() + ")");
  }
  std::map<std::string, torch::Tensor> out;
  for (const auto& group : groups) {
    // A group's weights are laid end to end across its shards, in order.
    std::vector<uint8_t> bytes;
    for (const auto& shard : group.at("paths")) {
      auto part = read_file((fs::path(manifest).parent_path() / shard.get<std::string>()).string());
      bytes.insert(bytes.end(), part.begin(), part.end());
    }
    size_t pos = 0;
    for (const auto& spec : group.at("weights")) {
      auto name = spec.at("name").get<std::string>();
      auto shape = spec.at("shape").get<std::vector<int64_t>>();
      if (spec.at("dtype") != "float32") throw Error(manifest + ": " + name + " is not float32");
      int64_t count = 1;
      for (auto d : shape) count *= d;
      auto t = torch::empty(shape, torch::kFloat32);
      float* dst = t.data_ptr<float>();
      std::string qtype = spec.contains("quantization") ? spec["quantization"].at("dtype").get<std::string>() : "";
      size_t width = qtype.empty() ? 4 : qtype == "uint8" ? 1 : qtype == "uint16" ? 2 : 0;
      if (width == 0) throw Error(manifest + ": " + name + ": unsupported quantization " + qtype);
      if (pos + count * width > bytes.size()) throw Error(manifest + ": weights end before " + name);
      const uint8_t* src = bytes.data() + pos;
      if (qtype.empty()) {
        std::memcpy(dst, src, count * 4);  // little-endian float32, as tfjs writes it
      } else {
        double scale = spec["quantization"].at("scale"), min = spec["quantization"].at("min");
        for (int64_t i = 0; i < count; ++i) {
          double q = width == 1 ? src[i] : src[2 * i] | (src[2 * i + 1] << 8);
          dst[i] = static_cast<float>(q * scale + min);
        }
      }
      pos += count * width;
      out[name] = t;
    }
    if (pos != bytes.size()) throw Error(manifest + ": " + std::to_string(bytes.size() - pos) + " bytes left over");
  }
  return out;
}

FaceApiWeights::FaceApiWeights(const std::string& dir, const std::string& model, const std::string& what)
    : what_(what) {
  auto d = dir.empty() ? face_model_dir(model) : dir;
  auto manifest = fs::path(d) / (model + "-weights_manifest.json");
  std::error_code ec;
  if (d.empty() || !fs::exists(manifest, ec) || !fs::exists(fs::path(d) / (model + ".bin"), ec))
    throw Error(what + " model not found" + (d.empty() ? std::string() : " in " + d) +
                " (run scripts/setup.sh to fetch it, or point HIPP_FACE_MODEL at its folder)");
  w_ = load_tfjs_weights(manifest.string());
  for (auto& [name, t] : w_) {
    if (name.find("depthwise") != std::string::npos) t = t.permute({2, 3, 0, 1}).contiguous();  // [kh,kw,c,1] -> [c,1,kh,kw]
    else if (t.dim() == 4) t = t.permute({3, 2, 0, 1}).contiguous();  // [kh,kw,in,out] -> [out,in,kh,kw]
  }
}

const torch::Tensor& FaceApiWeights::operator[](const std::string& name) const {
  auto it = w_.find(name);
  if (it == w_.end()) throw Error(what_ + " model lacks weight " + name);
  return it->second;
}

}  // namespace hipp::face
