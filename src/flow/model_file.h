#pragma once
// Flow weights on disk: a hipp tensor file whose metadata carries the kind, configuration and
// training record, so a model loads with no extra flags. A model is a folder holding
// `<kind>.weights` (`wavelet.weights` or `glow.weights`); the folder or the file may be named.
#include <nlohmann/json.hpp>
#include <string>

#include "flow/glow.h"
#include "flow/wavelet_flow.h"

namespace hipp::flow {

inline constexpr const char* kGlowWeightsName = "glow.weights";
std::string weights_name(const std::string& kind);  // "<kind>.weights"

struct FlowModel {
  std::shared_ptr<DensityFlow> flow;
  std::string kind;
  int size = 0;           // training resolution (square)
  nlohmann::json record;  // training record: data, iterations, images seen, bits/dim, ...
  std::string path;       // the weights file it came from
};

// A fresh model of `kind` ("glow" or "wavelet") from its stored configuration.
std::shared_ptr<DensityFlow> make_flow(const std::string& kind, const nlohmann::json& config, const std::string& where);

// Folder -> the weights file inside it; a file path is returned as is.
std::string resolve_model_path(const std::string& path_or_folder);

// Writes fp32 unless that would exceed 16 MiB, then fp16.
void save_flow(const std::string& file, DensityFlow& flow, int size, const nlohmann::json& record);
FlowModel load_flow(const std::string& path_or_folder, torch::Device device = torch::kCPU);

// For callers that need a plain Glow: throws hipp::Error for any other kind.
struct GlowModel {
  std::shared_ptr<Glow> glow;
  int size = 0;
  nlohmann::json record;
  std::string path;
};
void save_glow(const std::string& file, Glow& glow, int size, const nlohmann::json& record);
GlowModel load_glow(const std::string& path_or_folder, torch::Device device = torch::kCPU);

}  // namespace hipp::flow
