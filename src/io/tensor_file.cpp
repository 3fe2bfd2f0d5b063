#include "io/tensor_file.h"

#include <cstring>
#include <fstream>
#include <optional>

#include "common/error.h"
#include "common/files.h"

namespace hipp::io {
namespace {

constexpr char kMagic[8] = {'H', 'I', 'P', 'P', 'T', 'E', 'N', 'S'};
constexpr uint32_t kVersion = 1;

const std::map<std::string, torch::ScalarType>& dtypes() {
  static const std::map<std::string, torch::ScalarType> m = {
      {"f16", torch::kFloat16}, {"f32", torch::kFloat32}, {"f64", torch::kFloat64},
      {"i64", torch::kInt64},   {"i32", torch::kInt32},   {"u8", torch::kUInt8}};
  return m;
}

std::string dtype_name(torch::ScalarType t) {
  for (auto& [name, type] : dtypes())
    if (type == t) return name;
  throw Error(std::string("tensor file: unsupported dtype ") + c10::toString(t));
}

// The bytes a tensor of `shape` holds, or nothing for a negative dimension or an overflow.
std::optional<uint64_t> shape_bytes(const std::vector<int64_t>& shape, size_t element) {
  uint64_t n = element;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > UINT64_MAX / static_cast<uint64_t>(d)) return std::nullopt;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

template <typename T>
void put(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // x86-64 and aarch64 are both little-endian
  out.insert(out.end(), b, b + sizeof(T));
}

}  // namespace

void save_tensor_file(const std::string& path, const TensorFile& file, bool half) {
  nlohmann::json index = nlohmann::json::array();
  std::vector<torch::Tensor> blobs;
  uint64_t offset = 0;
  for (auto& [name, t] : file.tensors) {
    auto dtype = t.scalar_type();
    bool shrink = half && (dtype == torch::kFloat32 || dtype == torch::kFloat64);
    auto stored = t.detach().to(torch::kCPU).to(shrink ? torch::kFloat16 : dtype).contiguous();
    uint64_t bytes = stored.numel() * stored.element_size();
    index.push_back({{"name", name},
                     {"dtype", dtype_name(shrink ? torch::kFloat32 : dtype)},
                     {"stored", dtype_name(stored.scalar_type())},
                     {"shape", t.sizes().vec()},
                     {"offset", offset},
                     {"bytes", bytes}});
    offset += bytes;
    blobs.push_back(stored);
  }
  std::string header = nlohmann::json{{"meta", file.meta}, {"tensors", index}}.dump();
  std::vector<uint8_t> out(kMagic, kMagic + 8);
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, header.size());
  out.insert(out.end(), header.begin(), header.end());
  out.reserve(out.size() + offset);
  for (auto& b : blobs) {
    auto p = static_cast<const uint8_t*>(b.data_ptr());
    out.insert(out.end(), p, p + b.numel() * b.element_size());
  }
  hipp::write_file_atomic(path, out);
}

std::vector<uint8_t> content_bytes(const TensorFile& file) {
  auto meta = file.meta;
  meta.erase("record");
  const std::string json = meta.dump();
  std::vector<uint8_t> out;
  put<uint64_t>(out, json.size());
  out.insert(out.end(), json.begin(), json.end());
  put<uint32_t>(out, static_cast<uint32_t>(file.tensors.size()));
  for (auto& [name, t] : file.tensors) {
    put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    const auto dtype = dtype_name(t.scalar_type());
    put<uint8_t>(out, static_cast<uint8_t>(dtype.size()));
    out.insert(out.end(), dtype.begin(), dtype.end());
    put<uint32_t>(out, static_cast<uint32_t>(t.dim()));
    for (auto d : t.sizes()) put<int64_t>(out, d);
    auto c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = c.numel() * c.element_size();
    put<uint64_t>(out, bytes);
    auto p = static_cast<const uint8_t*>(c.data_ptr());
    out.insert(out.end(), p, p + bytes);
  }
  return out;
}

TensorFile load_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open (no such file?)");
  return parse_tensor_file(std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {}), path);
}

TensorFile parse_tensor_file(const std::vector<uint8_t>& data, const std::string& path) {
  const std::string bad = path + ": not a hipp weights file";
  if (data.size() < 20 || std::memcmp(data.data(), kMagic, 8) != 0) throw Error(bad + " (wrong magic)");
  uint32_t version;
  uint64_t hlen;
  std::memcpy(&version, data.data() + 8, 4);
  std::memcpy(&hlen, data.data() + 12, 8);
  if (version != kVersion) throw Error(path + ": unsupported weights file version " + std::to_string(version));
  if (hlen > data.size() - 20) throw Error(ErrorKind::damaged, bad + " (truncated header)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data.begin() + 20, data.begin() + 20 + hlen);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::damaged, bad + " (corrupt header: " + e.what() + ")");
  }
  const uint8_t* base = data.data() + 20 + hlen;
  uint64_t avail = data.size() - 20 - hlen;
  TensorFile file;
  try {
    file.meta = header.at("meta");
    for (auto& e : header.at("tensors")) {
      auto name = e.at("name").get<std::string>();
      auto stored = dtypes().at(e.at("stored").get<std::string>());
      auto dtype = dtypes().at(e.at("dtype").get<std::string>());
      auto shape = e.at("shape").get<std::vector<int64_t>>();
      auto off = e.at("offset").get<uint64_t>(), bytes = e.at("bytes").get<uint64_t>();
      if (off > avail || bytes > avail - off)
        throw Error(ErrorKind::damaged, path + ": truncated (tensor '" + name + "' is cut off)");
      // Checked before allocating: a negative or huge shape must not reach torch::empty (found by
      // fuzz/fuzz_tensor_file.cpp: a c10::Error escaped).
      if (shape_bytes(shape, c10::elementSize(stored)) != std::optional<uint64_t>(bytes))
        throw Error(ErrorKind::damaged, bad + " (tensor '" + name + "' has a size that does not match its shape)");
      auto t = torch::empty(shape, torch::TensorOptions().dtype(stored));
      std::memcpy(t.data_ptr(), base + off, bytes);
      file.tensors[name] = t.to(dtype);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::damaged, bad + " (bad header: " + e.what() + ")");
  } catch (const std::out_of_range&) {
    throw Error(bad + " (unknown dtype)");
  }
  return file;
}

}  // namespace hipp::io

namespace hipp::io {

std::map<std::string, torch::Tensor> module_state(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : module.named_parameters()) out[p.key()] = p.value();
  for (auto& b : module.named_buffers()) out[b.key()] = b.value();
  return out;
}

void load_module_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& where) {
  auto own = module_state(module);
  for (auto& [name, t] : tensors)
    if (!own.count(name)) throw Error(where + ": unexpected tensor '" + name + "' (file and configuration disagree)");
  torch::NoGradGuard ng;
  for (auto& [name, t] : own) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw Error(where + ": missing tensor '" + name + "'");
    if (it->second.sizes() != t.sizes())
      throw Error(where + ": tensor '" + name + "' has shape " + c10::str(it->second.sizes()) + ", expected " +
                  c10::str(t.sizes()));
    t.copy_(it->second);
  }
}

}  // namespace hipp::io
