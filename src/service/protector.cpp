#include "service/protector.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/error.h"
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

void fit_to_input(ProtectSettings& s, const std::vector<uint8_t>& input, const std::string& name, int quality,
                  double max_expansion) {
  s.origin.reset();
  int from_input = 90;
  if (image::is_jpeg(input)) {
    s.origin = image::jpeg_settings_of(input, name);
    from_input = s.origin->quality;
  }
  // A protected JPEG that keeps its JPEG original is only looked at, never restored from: it
  // takes at most quality 60 and the original's chroma sampling, which keeps the file nearer
  // the photo's size (docs/jpeg.md). Otherwise the original's quality and full-resolution
  // chroma: the protected details are colourful, and halving their chroma costs more in
  // restoration (and repair data) than it saves in bytes.
  const bool heif = image::is_heif(input);
  const bool keeps = s.format.keep_original && (s.origin || heif);
  s.format.settings.quality = quality ? quality : keeps ? std::min(from_input, kKeptOriginalQuality) : from_input;
  s.format.max_expansion = keeps && !quality ? max_expansion : 0;  // a quality asked for is kept
  s.format.settings.luma_h = s.origin && keeps ? s.origin->luma_h : heif ? 2 : 1;
  s.format.settings.luma_v = s.origin && keeps ? s.origin->luma_v : heif ? 2 : 1;
}

// Schemes are cached by what they were resolved to; baselines run at their default settings,
// since a file records only scheme, block and model.
const scheme::Scheme& Protector::scheme_for(const scheme::Resolved& r) {
  auto key = r.key();
  auto it = schemes_.find(key);
  if (it != schemes_.end()) return *it->second;
  return *(schemes_[key] = scheme::make(r, device_));
}

std::vector<uint8_t> Protector::protect(const torch::Tensor& rgb, const ProtectSettings& s, repair::RepairStats* stats,
                                        const std::vector<uint8_t>& input) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!protect_master_) protect_master_ = keys::derive_master(key_, base_.salt, base_.argon2);
  auto h = base_;
  h.scheme = s.request.name;
  h.nonce = crypto::random_nonce();
  scheme::Request q = s.request;
  if (q.content == protect::Content::unknown && q.model.empty() && scheme::uses_model(q.name) &&
      content_matters(rgb.size(1), rgb.size(2))) {
    if (!judge_) {
      judge_ = std::make_unique<ContentJudge>();
      if (!judge_->available())
        spdlog::warn("no face detector (run scripts/setup.sh): HIPP's model is chosen by image size alone");
    }
    q.content = judge_->judge(rgb);
  }
  auto r = scheme::resolve(q, rgb.size(1), rgb.size(2));
  h.model_id = r.model_id();
  h.block = static_cast<uint16_t>(r.block);
  const scheme::Scheme& scheme = scheme_for(r);
  h.origin = s.origin;
  return repair::protect_file(scheme, rgb, *protect_master_, h, s.repair, s.format, stats, input);
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

std::vector<uint8_t> restored_jpeg(const Restored& r, int quality) {
  if (image::is_jpeg(r.original) && !quality) return r.original;
  image::JpegSettings js;
  if (r.origin) js = *r.origin;
  if (quality) js.quality = quality;
  return image::encode_jpeg(r.rgb, js);
}

std::vector<uint8_t> restored_png(const Restored& r) {
  if (image::is_png(r.original)) return r.original;  // kept whole: its 16 bits and transparency
  auto png = image::encode_png(r.rgb);
  auto colour = r.png_colour.empty() && !r.original.empty() ? container::png_colour_of(r.original) : r.png_colour;
  return colour.empty() ? png : container::insert_after_ihdr(png, colour);
}

std::vector<uint8_t> restored_heif(const Restored& r, const std::string& where) {
  if (!image::is_heif(r.original))
    throw Error(ErrorKind::usage, where + ": its original was not a HEIF photo, so it cannot be restored to one: name the "
                                          "output .jpg or .png");
  return r.original;
}

Restored Protector::restore(const std::vector<uint8_t>& file, const std::string& where) {
  std::lock_guard<std::mutex> lock(mu_);
  auto p = container::read_protected(file, where);
  auto& master = master_for(p.header, where);
  Restored out;
  // A file that keeps its original restores it exactly whatever became of its pixels.
  out.exact = container::verify(p, master, where) || !p.header.original.empty();
  out.origin = p.header.origin;
  out.png_colour = container::colour_chunks(file);
  scheme::Request q;
  q.name = p.header.scheme;
  q.block = p.header.block;
  q.model_id = p.header.model_id;  // zeros for a scheme without a model
  const scheme::Scheme& scheme = scheme_for(scheme::resolve(q, p.rgb.size(1), p.rgb.size(2)));
  out.rgb = repair::restore_checked(scheme, p, master, where, &out.original);
  return out;
}

}  // namespace hipp::service
