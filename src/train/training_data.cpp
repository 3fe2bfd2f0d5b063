#include "train/training_data.h"

#include <atomic>
#include <csignal>

#include "common/error.h"
#include "io/tensor_file.h"
#ifdef HIPP_WITH_IMAGES
#include "data/image_folder.h"
#endif

namespace hipp::train {

std::map<std::string, torch::Tensor> load_checkpoint_model(torch::nn::Module& module,
                                                           const std::map<std::string, torch::Tensor>& tensors,
                                                           const std::string& where) {
  std::map<std::string, torch::Tensor> model_state, adam_state;
  for (auto& [k, v] : tensors) (k.rfind("adam.", 0) == 0 ? adam_state : model_state)[k] = v;
  io::load_module_state(module, model_state, where);
  return adam_state;
}

data::ImageSet load_training_set(const std::vector<std::string>& paths, const DataSpec& spec, data::Split split,
                                 int size, int64_t limit, bool show_progress) {
  std::vector<torch::Tensor> packed;
  std::vector<std::string> folders;
  for (auto& p : paths) {
    if (data::is_packed(p))
      packed.push_back(data::load_packed(p).images);
    else
      folders.push_back(p);
  }
  data::ImageSet set;
  if (!folders.empty()) {
#ifdef HIPP_WITH_IMAGES
    auto files = data::list_images(folders);
    if (split != data::Split::All) files = data::select_split(files, split, spec.identity_file, spec.test_fraction);
    if (files.empty()) return set;
    if (limit > 0 && static_cast<int64_t>(files.size()) > limit) files.resize(limit);
    packed.push_back(data::load_images(files, size, spec.crop, show_progress).images);
#else
    throw Error("this trainer-only build reads packed sets (*.tensors) only, not " + folders.front());
#endif
  }
  if (packed.empty()) return set;
  for (auto& t : packed)
    if (t.size(2) != size || t.size(3) != size)
      throw Error("packed set of " + std::to_string(t.size(3)) + "x" + std::to_string(t.size(2)) +
                  " images does not match --size " + std::to_string(size));
  set.images = torch::cat(packed);
  if (limit > 0 && set.images.size(0) > limit) set.images = set.images.slice(0, 0, limit);
  return set;
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }
}  // namespace

StopOnSignal::StopOnSignal() {
  g_stop = false;
  old_int_ = std::signal(SIGINT, on_signal);
  old_term_ = std::signal(SIGTERM, on_signal);
}

StopOnSignal::~StopOnSignal() {
  std::signal(SIGINT, old_int_);
  std::signal(SIGTERM, old_term_);
}

bool StopOnSignal::requested() const { return g_stop; }

}  // namespace hipp::train
