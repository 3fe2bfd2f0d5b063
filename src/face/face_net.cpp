#include "face/face_net.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "face/weight_map.h"
#include "image/image.h"

#ifndef HIPP_SOURCE_DIR
#define HIPP_SOURCE_DIR ""
#endif

namespace hipp::face {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

constexpr int kSize = 150;
constexpr const char* kModel = "face_recognition_model";

bool has_model(const fs::path& dir, const std::string& model) {
  std::error_code ec;
  return fs::exists(dir / (model + "-weights_manifest.json"), ec) && fs::exists(dir / (model + ".bin"), ec);
}

}  // namespace

std::string face_model_dir(const std::string& model) {
  if (const char* env = std::getenv("HIPP_FACE_MODEL"); env && *env) return has_model(env, model) ? env : "";
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path rel = fs::path("third_party") / "face-api" / "model";
  // build/hipp -> <repo>/third_party/..., then the source tree this binary was built from.
  for (auto dir : {ec ? fs::path() : exe.parent_path().parent_path() / rel, fs::path(HIPP_SOURCE_DIR) / rel})
    if (!dir.empty() && has_model(dir, model)) return dir.string();
  return "";
}

FaceNet::FaceNet(const std::string& dir) : w_(dir, kModel, "face recognition") {}

torch::Tensor FaceNet::forward(const torch::Tensor& input) const {
  auto at = [&](const std::string& name) -> const torch::Tensor& { return w_[name]; };
  auto channel = [](const torch::Tensor& v) { return v.view({1, -1, 1, 1}); };
  // conv + bias, then dlib's affine "scale" layer; 'same' convs are 3x3 stride 1 (pad 1),
  // downsampling convs are stride 2 'valid' (no padding), as in face-api's convLayer.ts.
  auto conv = [&](const torch::Tensor& x, const std::string& p, bool down, bool relu) {
    auto& f = at(p + "/conv/filters");
    auto y = F::conv2d(x, f, F::Conv2dFuncOptions().bias(at(p + "/conv/bias")).stride(down ? 2 : 1)
                                 .padding(down ? 0 : f.size(2) / 2));
    y = y * channel(at(p + "/scale/weights")) + channel(at(p + "/scale/biases"));
    return relu ? torch::relu(y) : y;
  };
  auto residual = [&](const torch::Tensor& x, const std::string& p) {
    return torch::relu(conv(conv(x, p + "/conv1", false, true), p + "/conv2", false, false) + x);
  };
  // The shortcut is a 2x2 average pool, zero-extended in channels; where the strided conv comes
  // out one row/column short, it gets a zero row at the bottom and a zero column at the right.
  auto residual_down = [&](const torch::Tensor& x, const std::string& p) {
    auto out = conv(conv(x, p + "/conv1", true, true), p + "/conv2", false, false);
    auto pooled = F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
    if (pooled.sizes() != out.sizes())
      out = torch::constant_pad_nd(out, {0, pooled.size(3) - out.size(3), 0, pooled.size(2) - out.size(2)});
    if (pooled.size(1) != out.size(1)) pooled = torch::cat({pooled, torch::zeros_like(pooled)}, 1);
    return torch::relu(out + pooled);
  };

  auto x = conv(input, "conv32_down", true, true);
  x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2));
  for (auto p : {"conv32_1", "conv32_2", "conv32_3"}) x = residual(x, p);
  x = residual_down(x, "conv64_down");
  for (auto p : {"conv64_1", "conv64_2", "conv64_3"}) x = residual(x, p);
  x = residual_down(x, "conv128_down");
  for (auto p : {"conv128_1", "conv128_2"}) x = residual(x, p);
  x = residual_down(x, "conv256_down");
  for (auto p : {"conv256_1", "conv256_2"}) x = residual(x, p);
  x = residual_down(x, "conv256_down_out");
  return x.mean({2, 3}).matmul(at("fc"));
}

torch::Tensor FaceNet::describe(const torch::Tensor& rgb) const {
  auto batch = rgb.dim() == 3 ? rgb.unsqueeze(0) : rgb;
  if (batch.dim() != 4 || batch.size(1) != 3 || batch.scalar_type() != torch::kUInt8)
    throw Error("describe: expected uint8 [3,H,W] or [N,3,H,W] faces");
  std::vector<torch::Tensor> chips;
  for (int64_t i = 0; i < batch.size(0); ++i) {
    auto img = batch[i].cpu().contiguous();
    chips.push_back(img.size(1) == kSize && img.size(2) == kSize ? img : image::resize(img, kSize, kSize));
  }
  torch::NoGradGuard no_grad;
  // face-api's normalization: subtract the mean RGB, divide by 255.
  auto mean = torch::tensor({122.782f, 117.001f, 104.298f}).view({1, 3, 1, 1});
  auto x = (torch::stack(chips).to(torch::kFloat32) - mean) / 255.0f;
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < x.size(0); i += 32) out.push_back(forward(x.slice(0, i, i + 32)));
  return torch::cat(out);
}

torch::Tensor descriptor_distance(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).pow(2).sum(-1).sqrt();
}

}  // namespace hipp::face
