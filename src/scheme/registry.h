#pragma once
// Every scheme by name, HIPP and the baselines alike. A request (what a user asks, or what a
// protected file's header records: name, block, model id) is resolved for one image, then built;
// callers never special-case a scheme by its name.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hipp/models.h"
#include "scheme/scheme.h"

namespace hipp::scheme {

// The names the registry knows, HIPP (the default) first.
const std::vector<std::string>& names();
// "hipp, tpe-ideal, drpe, ..." for help texts and errors.
std::string names_text();
// Whether `name` runs a trained model (HIPP): only those take --model and --detail-scale.
bool uses_model(const std::string& name);
// What the scheme keeps as side data in the header ("" if nothing, or an unknown name).
std::string side_data_of(const std::string& name);

// What a caller asks for; zero and empty fields are chosen for the image.
struct Request {
  std::string name = "hipp";
  int block = 0;                             // 0: the scheme's default for the image size
  int thumbnail = kDefaultThumbnail;         // block 0: at most this many blocks on the long side
  std::string model;                         // a model's name or folder; empty: the default for the image
  std::optional<protect::ModelId> model_id;  // restore: what the file's header records (wins over `model`)
  protect::Content content = protect::Content::unknown;  // what the image shows, for the default model
  double detail_scale = 1;                   // schemes with a model only
  SchemeParams params;
};

// A request resolved for one image: everything the protected file records, and the model.
struct Resolved {
  std::string name;
  int block = 0;
  std::optional<protect::ModelInfo> model;
  double detail_scale = 1;
  SchemeParams params;
  // The header's model id field: the model's id, or zeros for a scheme without one.
  protect::ModelId model_id() const;
  // Equal keys build schemes that behave the same (for caches).
  std::string key() const;
  // "hipp (photos256-wavelet)" or "drpe", for tables.
  std::string label() const;
};

// Throws hipp::Error: usage for an unknown name or bad setting; unsupported for a file's scheme
// or model that this hipp does not have.
// The distinct models of `resolved`, in order, comma-separated ("" when none has one): what a
// summary names (hipp and hipp-smooth of one run share theirs).
std::string model_names(const std::vector<Resolved>& resolved);

Resolved resolve(const Request& request, int64_t height, int64_t width);
std::unique_ptr<Scheme> make(const Resolved& resolved, torch::Device device = torch::kCPU);
// A scheme at a given block without a model choice (tests, tools): resolve + make for a
// block-sized image.
std::unique_ptr<Scheme> make(const std::string& name, int block, const SchemeParams& params = {});

}  // namespace hipp::scheme
