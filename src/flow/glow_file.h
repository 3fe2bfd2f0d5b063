#pragma once
// Glow weights on disk: a hipp tensor file whose metadata carries the configuration and
// training record, so a model loads with no extra flags. A model is a folder holding
// `glow.weights` (the folder or the file may be named).
#include <nlohmann/json.hpp>
#include <string>

#include "flow/glow.h"

namespace hipp::flow {

inline constexpr const char* kGlowWeightsName = "glow.weights";

struct GlowModel {
  std::shared_ptr<Glow> glow;
  int size = 0;           // training resolution (square)
  nlohmann::json record;  // training record: data, iterations, images seen, bits/dim, ...
  std::string path;       // the weights file it came from
};

nlohmann::json config_to_json(const GlowConfig& c);
// Throws hipp::Error naming `where` and the field when one is missing or wrong.
GlowConfig config_from_json(const nlohmann::json& j, const std::string& where);

// Folder -> folder/glow.weights; a file path is returned as is.
std::string resolve_model_path(const std::string& path_or_folder);

// Writes fp32 unless that would exceed 16 MiB, then fp16.
void save_glow(const std::string& file, Glow& glow, int size, const nlohmann::json& record);
GlowModel load_glow(const std::string& path_or_folder, torch::Device device = torch::kCPU);

}  // namespace hipp::flow
