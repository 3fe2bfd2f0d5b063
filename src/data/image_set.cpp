#include "data/image_set.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "io/tensor_file.h"

namespace hipp::data {

Split parse_split(const std::string& name) {
  if (name == "all") return Split::All;
  if (name == "train") return Split::Train;
  if (name == "test") return Split::Test;
  throw Error(ErrorKind::usage, "--split must be all, train or test, not '" + name + "'");
}

torch::Tensor random_batch(const ImageSet& set, int64_t batch, bool flip) {
  auto idx = torch::randint(set.images.size(0), {batch}, torch::kLong);
  auto x = set.images.index_select(0, idx);
  if (flip) {
    auto mask = torch::rand({batch}) < 0.5;
    x = torch::where(mask.view({batch, 1, 1, 1}), x.flip({3}), x);
  }
  return x;
}

namespace {
torch::Tensor area_resize(const torch::Tensor& image, int64_t side) {
  namespace F = torch::nn::functional;
  auto x = F::interpolate(image.unsqueeze(0).to(torch::kFloat),
                          F::InterpolateFuncOptions().size(std::vector<int64_t>{side, side}).mode(torch::kArea));
  return x.squeeze(0).round().clamp(0, 255).to(image.scalar_type());
}
}  // namespace

torch::Tensor random_patches(const torch::Tensor& batch, int64_t patch, bool zoom) {
  const int64_t h = batch.size(2), w = batch.size(3);
  TORCH_CHECK(patch >= 1 && patch <= h && patch <= w, "patch larger than the images");
  const double max_zoom = static_cast<double>(std::min(h, w)) / patch;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < batch.size(0); ++i) {
    int64_t side = patch;
    if (zoom) side = std::min<int64_t>(std::llround(patch * std::pow(max_zoom, torch::rand({1}).item<double>())), std::min(h, w));
    auto y = torch::randint(h - side + 1, {1}).item<int64_t>(), x = torch::randint(w - side + 1, {1}).item<int64_t>();
    auto window = batch[i].narrow(1, y, side).narrow(2, x, side);
    out.push_back(side == patch ? window : area_resize(window, patch));
  }
  return torch::stack(out);
}

bool is_packed(const std::string& path) {
  const std::string ext = ".tensors";
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

ImageSet load_packed(const std::string& path) {
  auto f = io::load_tensor_file(path);
  auto it = f.tensors.find("images");
  if (it == f.tensors.end()) throw Error(path + ": packed image set lacks tensor 'images'");
  auto& t = it->second;
  if (t.scalar_type() != torch::kUInt8 || t.dim() != 4 || t.size(1) != 3 || t.size(0) < 1)
    throw Error(path + ": 'images' must be uint8 [N,3,H,W] with N >= 1, got " + c10::str(t.sizes()));
  ImageSet set{t, {}};
  if (f.meta.contains("paths")) set.paths = f.meta["paths"].get<std::vector<std::string>>();
  return set;
}

void save_packed(const std::string& path, const ImageSet& set) {
  io::TensorFile f;
  f.meta = {{"kind", "image-set"}, {"paths", set.paths}};
  f.tensors["images"] = set.images;
  io::save_tensor_file(path, f);
}

}  // namespace hipp::data
