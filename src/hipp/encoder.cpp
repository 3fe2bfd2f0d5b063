#include "hipp/encoder.h"

#include <filesystem>

#include "common/error.h"
#include "io/tensor_file.h"

namespace hipp::protect {
using nlohmann::json;

json config_to_json(const EncoderConfig& c) {
  return {{"levels", c.levels}, {"steps", c.steps}, {"hidden", c.hidden}, {"cond_hidden", c.cond_hidden},
          {"scale_bound", c.scale_bound}};
}

EncoderConfig encoder_config_from_json(const json& j, const std::string& where) {
  EncoderConfig c;
  try {
    for (const char* f : {"levels", "steps", "hidden", "cond_hidden", "scale_bound"})
      if (!j.is_object() || !j.contains(f)) throw Error(where + ": encoder configuration lacks field '" + f + "'");
    c.levels = j.at("levels").get<int>();
    c.steps = j.at("steps").get<int>();
    c.hidden = j.at("hidden").get<int>();
    c.cond_hidden = j.at("cond_hidden").get<int>();
    c.scale_bound = j.at("scale_bound").get<double>();
  } catch (const json::exception& e) {
    throw Error(where + ": encoder configuration has a field of the wrong type (" + e.what() + ")");
  }
  if (c.levels < 1 || c.steps < 1 || c.hidden < 1 || c.cond_hidden < 1 || !(c.scale_bound > 0))
    throw Error(where + ": encoder configuration is out of range");
  return c;
}

LevelEncoder::LevelEncoder(int c, const EncoderConfig& cfg) {
  cond1_ = register_module("cond1", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, cfg.cond_hidden, 3).padding(1)));
  cond2_ = register_module(
      "cond2", torch::nn::Conv2d(torch::nn::Conv2dOptions(cfg.cond_hidden, cfg.cond_hidden, 3).padding(1)));
  for (int s = 0; s < cfg.steps; ++s)
    steps_.push_back(register_module(
        "step" + std::to_string(s), std::make_shared<flow::Coupling>(3 * c, cfg.hidden, flow::CouplingType::Affine,
                                                                     cfg.scale_bound, cfg.cond_hidden)));
}

torch::Tensor LevelEncoder::features(const torch::Tensor& low) {
  return torch::relu(cond2_->forward(torch::relu(cond1_->forward(low))));
}

// Between couplings the channel order is reversed, so every channel gets transformed.
flow::FlowResult LevelEncoder::forward(const torch::Tensor& z, const torch::Tensor& low) {
  auto f = features(low);
  auto h = z;
  auto logdet = torch::zeros({z.size(0)}, z.options());
  for (auto& s : steps_) {
    auto r = s->forward(h, f);
    h = r.y.flip({1});
    logdet = logdet + r.logdet;
  }
  return {h, logdet};
}

torch::Tensor LevelEncoder::inverse(const torch::Tensor& y, const torch::Tensor& low) {
  auto f = features(low);
  auto h = y;
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) h = (*it)->inverse(h.flip({1}), f);
  return h;
}

Encoder::Encoder(const EncoderConfig& config, int image_channels) : config_(config) {
  if (config.levels < 1 || config.steps < 1 || config.hidden < 1 || config.cond_hidden < 1 || !(config.scale_bound > 0))
    throw Error("invalid encoder configuration (levels, steps, hidden, cond_hidden >= 1; scale bound > 0)");
  for (int k = 0; k < config.levels; ++k)
    levels_.push_back(register_module("level" + std::to_string(k), std::make_shared<LevelEncoder>(image_channels, config)));
}

torch::Tensor Encoder::forward(int k, const torch::Tensor& z, const torch::Tensor& low) {
  return k < config_.levels ? levels_[k]->forward(z, low).y : z;
}

torch::Tensor Encoder::inverse(int k, const torch::Tensor& y, const torch::Tensor& low) {
  return k < config_.levels ? levels_[k]->inverse(y, low) : y;
}

void save_encoder(const std::string& file, Encoder& encoder, const std::string& flow_name, double fingerprint,
                  int block, const json& record) {
  io::TensorFile tf;
  tf.meta = {{"kind", "hipp-encoder"}, {"config", config_to_json(encoder.config())}, {"flow", flow_name},
             {"flow_fingerprint", fingerprint}, {"block", block}, {"record", record}};
  tf.tensors = io::module_state(encoder);
  io::save_tensor_file(file, tf);
}

EncoderFile load_encoder(const std::string& file, torch::Device device) {
  if (!std::filesystem::exists(file)) throw Error(file + ": no such encoder file");
  auto tf = io::load_tensor_file(file);
  if (tf.meta.value("kind", "") != "hipp-encoder") throw Error(file + ": not a HIPP encoder");
  EncoderFile e;
  e.encoder = std::make_shared<Encoder>(encoder_config_from_json(tf.meta.value("config", json::object()), file));
  io::load_module_state(*e.encoder, tf.tensors, file);
  e.encoder->to(device);
  e.encoder->eval();
  e.flow_name = tf.meta.value("flow", "");
  e.flow_fingerprint = tf.meta.value("flow_fingerprint", 0.0);
  e.block = tf.meta.value("block", 0);
  e.record = tf.meta.value("record", json::object());
  if (e.flow_name.empty() || !(e.flow_fingerprint > 0) || e.block < 2) throw Error(file + ": encoder metadata is incomplete");
  return e;
}

double flow_fingerprint(const torch::nn::Module& flow) {
  double total = 0;
  for (auto& p : flow.parameters()) total += p.detach().to(torch::kCPU, torch::kFloat64).abs().sum().item<double>();
  return total;
}

}  // namespace hipp::protect
