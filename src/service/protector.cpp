#include "service/protector.h"

#include "common/error.h"
#include "hipp/hipp_scheme.h"
#include "hipp/range_fit.h"
#include "repair/checked.h"

namespace hipp::service {

Protector::Protector(keys::KeySource key, torch::Device device) : key_(std::move(key)), device_(device) {
  base_.passphrase = key_.kind == keys::KeySource::Passphrase;
  if (base_.passphrase) {
    auto salt = crypto::random_nonce();
    std::copy_n(salt.begin(), base_.salt.size(), base_.salt.begin());
    base_.argon2 = keys::default_argon2();
  }
}

void fit_to_input(ProtectSettings& s, const std::vector<uint8_t>& input, const std::string& name, int quality) {
  s.origin.reset();
  int from_input = 90;
  if (image::is_jpeg(input)) {
    s.origin = image::jpeg_settings_of(input, name);
    from_input = s.origin->quality;
  }
  s.format.settings.quality = quality ? quality : from_input;
  // Full-resolution chroma: the protected details are colourful, and halving their chroma costs
  // more in restoration (and repair data) than it saves in bytes (docs/jpeg.md).
  s.format.settings.luma_h = s.format.settings.luma_v = 1;
}

const baselines::Scheme& Protector::hipp_scheme(const protect::ModelInfo& m, int block, double detail_scale) {
  const int code = protect::scale_code(detail_scale);
  auto key = protect::hex(m.id) + "#" + std::to_string(block) + "#" + std::to_string(code);
  auto it = schemes_.find(key);
  if (it != schemes_.end()) return *it->second;
  auto scheme = protect::load_hipp(m, block, device_);
  scheme->set_detail_scale(detail_scale);
  return *(schemes_[key] = std::move(scheme));
}

// Baselines at their default settings: the file records only scheme and block, so restore
// must use what protect used.
const baselines::Scheme& Protector::baseline(const std::string& name, int block) {
  auto key = name + "#" + std::to_string(block);
  auto it = schemes_.find(key);
  if (it != schemes_.end()) return *it->second;
  return *(schemes_[key] = baselines::make_scheme(name, block));
}

std::vector<uint8_t> Protector::protect(const torch::Tensor& rgb, const ProtectSettings& s, repair::RepairStats* stats,
                                        const std::vector<uint8_t>& input) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!protect_master_) protect_master_ = keys::derive_master(key_, base_.salt, base_.argon2);
  auto h = base_;
  h.scheme = s.scheme;
  h.nonce = crypto::random_nonce();
  const baselines::Scheme* scheme;
  if (s.scheme == "hipp") {
    protect::ModelInfo m;
    if (s.model.empty()) {
      m = protect::nearest_model(rgb.size(1), rgb.size(2));
    } else {
      if (!models_.count(s.model)) models_[s.model] = protect::resolve_model(s.model);
      m = models_[s.model];
    }
    h.model_id = m.id;
    h.block = static_cast<uint16_t>(s.block ? s.block : protect::default_block(m, rgb.size(1), rgb.size(2), s.thumbnail));
    scheme = &hipp_scheme(m, h.block, s.detail_scale);
  } else {
    if (s.detail_scale != 1) throw Error("a detail scale applies to hipp only, not to " + s.scheme);
    h.block = static_cast<uint16_t>(
        s.block ? s.block : baselines::thumbnail_block(rgb.size(1), rgb.size(2), baselines::own_block(s.scheme), s.thumbnail));
    scheme = &baseline(s.scheme, h.block);
  }
  h.origin = s.origin;
  return repair::protect_file(*scheme, rgb, *protect_master_, h, s.repair, s.format, stats, input);
}

const crypto::Key& Protector::master_for(const container::Header& h, const std::string& where) {
  std::vector<uint8_t> salt(h.salt.begin(), h.salt.end());
  salt.push_back(h.passphrase);
  if (!restore_masters_.count(salt)) restore_masters_[salt] = container::master_for(h, key_, where);
  return restore_masters_[salt];
}

bool Protector::verifies(const std::vector<uint8_t>& png) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    auto p = container::read_protected(png, "output");
    return container::verify(p, master_for(p.header, "output"), "output");
  } catch (const Error&) {
    return false;
  }
}

Restored Protector::restore(const std::vector<uint8_t>& file, const std::string& where) {
  std::lock_guard<std::mutex> lock(mu_);
  auto p = container::read_protected(file, where);
  auto& master = master_for(p.header, where);
  Restored out;
  out.exact = container::verify(p, master, where);
  out.origin = p.header.origin;
  const baselines::Scheme& scheme = p.header.scheme == "hipp"
                                        ? hipp_scheme(protect::model_by_id(p.header.model_id), p.header.block)
                                        : baseline(p.header.scheme, p.header.block);
  out.rgb = repair::restore_checked(scheme, p, master, where, &out.jpeg);
  return out;
}

}  // namespace hipp::service
