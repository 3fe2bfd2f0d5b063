#pragma once
// hipp's own tensor container: weights and checkpoints that read the same under every
// LibTorch version (Debian's 1.13 on CPU, 2.x on the GPU machine), with JSON metadata.
//
// Layout: "HIPPTENS" | u32 version | u64 header length | JSON header | raw little-endian data.
// Header: {"meta": {...}, "tensors": [{"name","dtype","stored","shape","offset","bytes"}]}.
#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace hipp::io {

struct TensorFile {
  nlohmann::json meta = nlohmann::json::object();
  std::map<std::string, torch::Tensor> tensors;
};

// `half`: float32/float64 tensors are stored as float16 (halves the size; read back as float32).
void save_tensor_file(const std::string& path, const TensorFile& file, bool half = false);
// Throws hipp::Error naming the file if it is missing, truncated or not a hipp tensor file.
TensorFile load_tensor_file(const std::string& path);
// The same from a file's bytes already in memory; `path` only labels errors.
TensorFile parse_tensor_file(const std::vector<uint8_t>& bytes, const std::string& path);

// What the file means, independent of how it was saved (docs/format.md, "Model id"): the meta
// JSON without its "record" (the training log) as compact sorted JSON, then every tensor in name
// order as loaded (float16-stored ones as float32): u64 JSON length | JSON | u32 count | per
// tensor: u32 name length | name | u8 dtype length | dtype ("f32", ...) | u32 dims | i64 sizes |
// u64 byte count | little-endian data. A resave, at float16 or float32, gives the same bytes.
std::vector<uint8_t> content_bytes(const TensorFile& file);

}  // namespace hipp::io

namespace hipp::io {

// Every parameter and buffer of a module, by its dotted name.
std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& module);
// Copies `tensors` into the module. Names and shapes must match exactly; a mismatch throws
// hipp::Error mentioning `where` (the file).
void load_module_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& where);

}  // namespace hipp::io
