#pragma once
// The shipped wavelet flows HIPP protects with, found by name, by the identifier stored in a
// protected file, or by the image size they suit. Models live in folders under the models
// directory: $HIPP_MODELS if set, else `models/` beside the binary's parent folder (the
// repository layout: build/hipp -> models/), else the source tree's models/.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "flow/wavelet_flow.h"

namespace hipp::protect {

using ModelId = std::array<uint8_t, 16>;

struct ModelInfo {
  std::string name;     // folder name, e.g. "celeba64-wavelet"
  std::string weights;  // path of its wavelet.weights
  int size = 0;         // training resolution
  int levels = 0;       // detail levels: blocks 2 .. 2^levels
  ModelId id{};         // BLAKE2b-128 of the weights file
};

std::string models_dir();
// Every wavelet model under models_dir(), sorted by training size.
std::vector<ModelInfo> shipped_models();
// A model folder or weights file path, or the name of a shipped model.
ModelInfo resolve_model(const std::string& name_or_path);
// The shipped model whose training size is nearest (in scale) to an h x w image.
ModelInfo nearest_model(int64_t height, int64_t width);
// The shipped model with this identifier; throws hipp::Error naming the identifier otherwise.
ModelInfo model_by_id(const ModelId& id);

std::shared_ptr<flow::WaveletFlow> load_wavelet(const ModelInfo& m, torch::Device device);
std::string hex(const ModelId& id);

}  // namespace hipp::protect
