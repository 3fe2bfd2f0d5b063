#include "scheme/registry.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "baselines/drpe.h"
#include "baselines/jpeg_scramble.h"
#include "baselines/tpe_ideal.h"
#include "baselines/tpe_lsb.h"
#include "common/error.h"
#include "hipp/hipp_scheme.h"
#include "hipp/range_fit.h"
#include "scheme/shuffle.h"

namespace hipp::scheme {
namespace {

struct Family {
  std::string name;
  // Where thumbnail_block starts: 16 for the JPEG-domain schemes (drpe, tpe-lsb: at least two
  // 8x8 DCT blocks per side; jpeg-scramble: a whole 4:2:0 chroma block), 8 for the others. A
  // scheme with a model starts at the model's largest trained block instead.
  int own_block;
  bool has_model;
  std::string side_data;  // what the scheme keeps in the header's side data, for `hipp info`
  std::function<std::unique_ptr<Scheme>(const Resolved&, torch::Device)> build;
};

std::unique_ptr<Scheme> build_hipp(const Resolved& r, torch::Device device, bool smooth) {
  auto s = protect::load_hipp(*r.model, r.block, device);
  s->set_detail_scale(r.detail_scale);
  s->set_smooth(smooth);
  return s;
}

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      {"hipp", 0, true, "range fit: 4 bits per block and channel",
       [](const Resolved& r, torch::Device d) { return build_hipp(r, d, false); }},
      {"hipp-smooth", 0, true, "range fit: 4 bits per block and channel",
       [](const Resolved& r, torch::Device d) { return build_hipp(r, d, true); }},
      {"tpe-ideal", 8, false, "",
       [](const Resolved& r, torch::Device) -> std::unique_ptr<Scheme> {
         if (r.params.rounds < 1)
           throw Error(ErrorKind::usage, "tpe-ideal needs at least 1 round, got " + std::to_string(r.params.rounds));
         return std::make_unique<baselines::TpeIdeal>(r.block, r.params.rounds);
       }},
      {"drpe", 16, false, "",
       [](const Resolved& r, torch::Device) -> std::unique_ptr<Scheme> {
         return std::make_unique<baselines::Drpe>(r.block, r.params.jpeg_quality);
       }},
      {"tpe-lsb", 16, false, "",
       [](const Resolved& r, torch::Device) -> std::unique_ptr<Scheme> {
         return std::make_unique<baselines::TpeLsb>(r.block, r.params.jpeg_quality, r.params.lsb_bits);
       }},
      {"shuffle", 8, false, "",
       [](const Resolved& r, torch::Device) -> std::unique_ptr<Scheme> { return std::make_unique<Shuffle>(r.block); }},
      {"jpeg-scramble", 16, false, "the original's DC terms",
       [](const Resolved& r, torch::Device) -> std::unique_ptr<Scheme> {
         return std::make_unique<baselines::JpegScramble>(r.block);
       }},
  };
  return all;
}

const Family* find(const std::string& name) {
  for (auto& f : families())
    if (f.name == name) return &f;
  return nullptr;
}

const Family& family(const std::string& name, ErrorKind if_unknown) {
  if (auto* f = find(name)) return *f;
  throw Error(if_unknown, "unknown scheme '" + name + "' (known: " + names_text() + ")");
}

// A model named by the user, read and hashed once per process (a folder run asks per image).
protect::ModelInfo model_named(const std::string& name_or_path) {
  static std::map<std::string, protect::ModelInfo> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(name_or_path);
  if (it == cache.end()) it = cache.emplace(name_or_path, protect::resolve_model(name_or_path)).first;
  return it->second;
}

}  // namespace

const std::vector<std::string>& names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> n;
    for (auto& f : families()) n.push_back(f.name);
    return n;
  }();
  return all;
}

std::string names_text() {
  std::string s;
  for (auto& n : names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

bool uses_model(const std::string& name) {
  auto* f = find(name);
  return f && f->has_model;
}

std::string side_data_of(const std::string& name) {
  auto* f = find(name);
  return f ? f->side_data : "";
}

protect::ModelId Resolved::model_id() const { return model ? model->id : protect::ModelId{}; }

std::string Resolved::key() const {
  return name + "#" + std::to_string(block) + "#" + (model ? protect::hex(model->id) : "") + "#" +
         std::to_string(protect::scale_code(detail_scale)) + "#" + std::to_string(params.rounds) + "#" +
         std::to_string(params.jpeg_quality) + "#" + std::to_string(params.lsb_bits);
}

std::string Resolved::label() const { return model ? name + " (" + model->name + ")" : name; }

std::string model_names(const std::vector<Resolved>& resolved) {
  std::vector<std::string> seen;
  std::string out;
  for (auto& r : resolved)
    if (r.model && std::find(seen.begin(), seen.end(), r.model->name) == seen.end()) {
      seen.push_back(r.model->name);
      out += (out.empty() ? "" : ", ") + r.model->name;
    }
  return out;
}

Resolved resolve(const Request& q, int64_t height, int64_t width) {
  // A file's scheme this hipp lacks is a newer file, not a typing error.
  const Family& f = family(q.name, q.model_id ? ErrorKind::unsupported : ErrorKind::usage);
  if (q.block < 0) throw Error(ErrorKind::usage, "block size must be at least 1, got " + std::to_string(q.block));
  Resolved r;
  r.name = f.name;
  r.params = q.params;
  if (f.has_model) {
    r.model = q.model_id ? protect::model_by_id(*q.model_id)
              : q.model.empty() ? protect::nearest_model(height, width, q.content)
                                : model_named(q.model);
    r.block = q.block ? q.block : protect::default_block(*r.model, height, width, q.thumbnail);
    r.detail_scale = q.detail_scale;
  } else {
    if (q.detail_scale != 1)
      throw Error(ErrorKind::usage, "a detail scale applies to schemes with a model only, not to " + f.name);
    r.block = q.block ? q.block : thumbnail_block(height, width, f.own_block, q.thumbnail);
  }
  return r;
}

std::unique_ptr<Scheme> make(const Resolved& r, torch::Device device) {
  if (r.block < 1) throw Error(ErrorKind::usage, "block size must be at least 1, got " + std::to_string(r.block));
  return family(r.name, ErrorKind::usage).build(r, device);
}

std::unique_ptr<Scheme> make(const std::string& name, int block, const SchemeParams& params) {
  if (block < 1) throw Error(ErrorKind::usage, "block size must be at least 1, got " + std::to_string(block));
  Request q;
  q.name = name;
  q.block = block;
  q.params = params;
  return make(resolve(q, block, block));
}

}  // namespace hipp::scheme
