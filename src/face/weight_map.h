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

}  // namespace hipp::face
