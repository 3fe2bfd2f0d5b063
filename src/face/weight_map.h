#pragma once
// Reads a TensorFlow.js weights manifest and its .bin shards into named float tensors, dequantizing
// uint8/uint16 entries as tfjs does (value = q * scale + min, in double, stored as float32).
#include <torch/torch.h>

#include <map>
#include <string>

namespace hipp::face {

// `manifest` is a *-weights_manifest.json; shards are read from its folder. Shapes are kept as
// stored (TF layout: conv filters [kh,kw,in,out]). Throws hipp::Error naming the file on any mismatch.
std::map<std::string, torch::Tensor> load_tfjs_weights(const std::string& manifest);

// A face-api model's weights with conv filters in LibTorch's layout ([out,in,kh,kw]; depthwise
// filters [c,1,kh,kw]), for the networks ported from it.
class FaceApiWeights {
 public:
  // `model`: the files' stem ("tiny_face_detector_model"), in `dir` ("": face_model_dir(model)).
  // `what` names the network in errors. Throws hipp::Error naming scripts/setup.sh if absent.
  FaceApiWeights(const std::string& dir, const std::string& model, const std::string& what);
  // Throws hipp::Error if the model has no such weight.
  const torch::Tensor& operator[](const std::string& name) const;

 private:
  std::map<std::string, torch::Tensor> w_;
  std::string what_;
};

}  // namespace hipp::face
