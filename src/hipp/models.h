#pragma once
// The shipped HIPP models, found by name, by the identifier stored in a protected file, or by
// the image size they suit. A model is a wavelet flow folder (`wavelet.weights`: HIPP without a
// trained encoder) or an encoder folder (`encoder.weights`, naming the flow folder beside it
// that it was trained on). Models live in folders under the models
// directory: $HIPP_MODELS if set, else `models/` beside the binary's parent folder (the
// repository layout: build/hipp -> models/), else the source tree's models/.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "flow/wavelet_flow.h"
#include "scheme/scheme.h"

namespace hipp::protect {

using ModelId = std::array<uint8_t, 16>;
class HippScheme;

struct ModelInfo {
  std::string name;     // folder name, e.g. "celeba64-wavelet"
  std::string weights;  // path of its (or its encoder's) wavelet.weights
  std::string encoder;  // path of its encoder.weights; empty without one
  int size = 0;         // training resolution
  int levels = 0;       // trained detail levels: blocks 2 .. 2^levels (bigger blocks share the coarsest)
  std::string domain;   // what it was trained on: "faces" (face crops) or "photos" (scenes)
  int64_t cost = 0;     // multiply-adds per finest-level position of one detail flow pass
  ModelId id{};         // model id v2, what protected files record: of the configuration and tensors
  std::vector<ModelId> legacy_ids;  // ids older files may record: v1 (of the files' bytes) and legacy_ids
  bool retired = false;  // replaced by a newer model: kept for its files, never a default
  bool has_id(const ModelId& other) const;  // `other` is this model's id or one of its legacy ids
};

// A model folder may list ids its files had before a resave, one hex id per line ('#' comments),
// so photos protected then still find it.
inline constexpr const char* kLegacyIdsName = "legacy_ids";
// A model folder holding this file (a line saying what replaced it) is retired: files that name
// it still restore, `--model` still picks it, the default never does.
inline constexpr const char* kRetiredName = "retired";

std::string models_dir();
// Every wavelet model under models_dir(), sorted by training size.
std::vector<ModelInfo> shipped_models();
// A model folder or weights file path, or the name of a shipped model.
ModelInfo resolve_model(const std::string& name_or_path);
// What an image shows, as far as the choice of model goes: `faces` when a face fills much of it
// (service/content.h decides with the face detector), `photos` otherwise, `unknown` when nobody
// looked.
enum class Content { unknown, faces, photos };
Content parse_content(const std::string& name);  // "faces", "photos"; throws a usage hipp::Error
std::string content_name(Content c);

// The default model for an h x w image: up to kFacesUpTo px on the long side a face model, the
// one trained nearest the image's size (in scale; of two, the one with a trained encoder); up to
// kFaceModelsUpTo px too when the image shows a face (`content` faces): face models make its
// protected face more face-like and its file smaller, at several times the photo model's time
// (docs/big-photos.md, *Which model*); other images a photo model, the costliest (fewest
// repairs, smallest files) up to kLightPhotosAbove px and the cheapest above. Falls back to any
// model if a kind is missing.
inline constexpr int64_t kFacesUpTo = 64;
inline constexpr int64_t kFaceModelsUpTo = 192;
inline constexpr int64_t kLightPhotosAbove = 1024;
ModelInfo nearest_model(int64_t height, int64_t width, Content content = Content::unknown);
// The block hipp protects an h x w image with by default: the model's largest trained block,
// doubled until the thumbnail has at most `max_blocks` blocks on its long side.
int default_block(const ModelInfo& m, int64_t height, int64_t width, int max_blocks = scheme::kDefaultThumbnail);
// The shipped model with this id or legacy id; throws hipp::Error naming the id otherwise.
ModelInfo model_by_id(const ModelId& id);

std::shared_ptr<flow::WaveletFlow> load_wavelet(const ModelInfo& m, torch::Device device);
// The model's flow and encoder (if any) as a scheme at this block; throws hipp::Error if the
// encoder was trained on other flow weights than the ones found.
std::unique_ptr<HippScheme> load_hipp(const ModelInfo& m, int block, torch::Device device);
std::string hex(const ModelId& id);
// Throws hipp::Error unless `text` is 32 hex digits.
ModelId parse_model_id(const std::string& text);

}  // namespace hipp::protect
