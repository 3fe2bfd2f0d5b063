#include "attack/thumbnail_attack.h"

#include <filesystem>

#include "common/error.h"
#include "io/tensor_file.h"

namespace hipp::attack {
namespace F = torch::nn::functional;
using nlohmann::json;

json config_to_json(const ReconConfig& c) {
  return {{"block", c.block}, {"channels", c.channels}, {"res_blocks", c.res_blocks}};
}

ReconConfig config_from_json(const json& j, const std::string& where) {
  ReconConfig c;
  try {
    c.block = j.at("block").get<int>();
    c.channels = j.at("channels").get<int>();
    c.res_blocks = j.at("res_blocks").get<int>();
  } catch (const json::exception& e) {
    throw Error(where + ": bad thumbnail-attack config: " + e.what());
  }
  if (c.block < 2 || (c.block & (c.block - 1)) || c.channels < 1 || c.res_blocks < 0)
    throw Error(where + ": bad thumbnail-attack config " + j.dump());
  return c;
}

namespace {

// Two convolutions whose result is reweighted per channel (squeeze-and-excitation) and added
// back: the channel attention MTNet's blocks use, at a CPU-trainable cost.
class ResidualCAImpl : public torch::nn::Module {
 public:
  explicit ResidualCAImpl(int c)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 3).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 3).padding(1)))),
        squeeze(register_module("squeeze", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, std::max(1, c / 4), 1)))),
        excite(register_module("excite", torch::nn::Conv2d(torch::nn::Conv2dOptions(std::max(1, c / 4), c, 1)))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = conv2(F::leaky_relu(conv1(x), F::LeakyReLUFuncOptions().negative_slope(0.2)));
    auto w = torch::sigmoid(excite(torch::relu(squeeze(y.mean({2, 3}, true)))));
    return x + y * w;
  }
  torch::nn::Conv2d conv1, conv2, squeeze, excite;
};
TORCH_MODULE(ResidualCA);

torch::Tensor upsample(const torch::Tensor& x, int factor) {
  if (factor == 1) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .scale_factor(std::vector<double>{double(factor), double(factor)})
                               .mode(torch::kBicubic)
                               .align_corners(false));
}

int log2i(int v) {
  int l = 0;
  while ((1 << l) < v) ++l;
  return l;
}

}  // namespace

ReconNetImpl::ReconNetImpl(const ReconConfig& c) : config_(c) {
  stem = register_module("stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, c.channels, 3).padding(1)));
  body = register_module("body", torch::nn::Sequential());
  for (int i = 0; i < c.res_blocks; ++i) body->push_back(ResidualCA(c.channels));
  int ch = c.channels, coarse_ch = ch;
  const int stages = log2i(c.block);
  for (int s = 0; s < stages; ++s) {
    int next = std::max(16, ch / 2);
    torch::nn::Sequential up(torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, 4 * next, 3).padding(1)),
                             torch::nn::PixelShuffle(2),
                             torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2)));
    if (s + 1 < stages) up->push_back(ResidualCA(next));  // none at full resolution: most of the cost, little gain
    ups.push_back(register_module("up" + std::to_string(s), up));
    if (s == stages - 2) coarse_ch = next;
    ch = next;
  }
  coarse_head = register_module("coarse_head", torch::nn::Conv2d(torch::nn::Conv2dOptions(coarse_ch, 3, 3).padding(1)));
  head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, 3, 3).padding(1)));
}

ReconNetImpl::Output ReconNetImpl::forward(const torch::Tensor& thumb) {
  const int b = config_.block;
  auto f = body->forward(stem(thumb));
  Output out;
  for (size_t s = 0; s < ups.size(); ++s) {
    if (s + 1 == ups.size())  // features at half the output resolution: the cascade's first output
      out.coarse = match_thumbnail(upsample(thumb, b / 2) + coarse_head(f), thumb, b / 2);
    f = ups[s]->forward(f);
  }
  out.image = match_thumbnail(upsample(thumb, b) + head(f), thumb, b);
  return out;
}

torch::Tensor block_mean(const torch::Tensor& x, int block) {
  return block == 1 ? x : F::avg_pool2d(x, F::AvgPool2dFuncOptions(block));
}

torch::Tensor match_thumbnail(const torch::Tensor& image, const torch::Tensor& thumb, int block) {
  auto diff = thumb - block_mean(image, block);
  return image + diff.repeat_interleave(block, 2).repeat_interleave(block, 3);
}

namespace {

void check_images(const torch::Tensor& images, int block) {
  if (images.dim() != 4 || images.size(1) != 3 || images.scalar_type() != torch::kUInt8)
    throw Error("thumbnail attack: expected uint8 [N,3,H,W] images");
  if (images.size(2) % block || images.size(3) % block)
    throw Error("thumbnail attack: image size " + std::to_string(images.size(3)) + "x" +
                std::to_string(images.size(2)) + " is not a multiple of the block " + std::to_string(block));
}

torch::Tensor to_unit(const torch::Tensor& images) { return images.to(torch::kFloat32) / 255.0 - 0.5; }
torch::Tensor to_uint8(const torch::Tensor& x) {
  return ((x + 0.5) * 255.0).round().clamp(0, 255).to(torch::kUInt8).cpu();
}

}  // namespace

torch::Tensor reconstruct(ReconNet& net, const torch::Tensor& images) {
  const int b = net->config().block;
  check_images(images, b);
  torch::NoGradGuard ng;
  net->eval();
  auto device = net->parameters().front().device();
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < images.size(0); i += 32) {
    auto x = to_unit(images.slice(0, i, i + 32).to(device));
    out.push_back(to_uint8(net->forward(block_mean(x, b)).image));
  }
  return torch::cat(out);
}

torch::Tensor upsample_thumbnail(const torch::Tensor& images, int block) {
  check_images(images, block);
  auto thumb = block_mean(to_unit(images), block);
  return to_uint8(match_thumbnail(upsample(thumb, block), thumb, block));
}

void save_attack(const std::string& file, ReconNet& net, int size, const json& record) {
  io::TensorFile tf;
  tf.meta = {{"kind", "thumbnail-attack"}, {"config", config_to_json(net->config())}, {"size", size},
             {"record", record}};
  tf.tensors = io::module_state(*net);
  io::save_tensor_file(file, tf);
}

AttackModel load_attack(const std::string& path_or_folder, torch::Device device) {
  namespace fs = std::filesystem;
  AttackModel m;
  m.path = fs::is_directory(path_or_folder) ? (fs::path(path_or_folder) / kAttackWeightsName).string()
                                             : path_or_folder;
  if (!fs::exists(m.path)) throw Error(path_or_folder + ": no such thumbnail-attack model (expected " +
                                       std::string(kAttackWeightsName) + ")");
  auto tf = io::load_tensor_file(m.path);
  if (tf.meta.value("kind", "") != "thumbnail-attack") throw Error(m.path + ": not a thumbnail-attack model");
  m.net = ReconNet(config_from_json(tf.meta.value("config", json::object()), m.path));
  io::load_module_state(*m.net, tf.tensors, m.path);
  m.net->to(device);
  m.net->eval();
  m.size = tf.meta.value("size", 0);
  m.record = tf.meta.value("record", json::object());
  return m;
}

}  // namespace hipp::attack
