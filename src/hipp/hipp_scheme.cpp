#include "hipp/hipp_scheme.h"

#include "common/error.h"
#include "flow/density.h"
#include "hipp/hipp_core.h"
#include "hipp/mixing.h"
#include "hipp/range_fit.h"
#include "hipp/range_fit_storage.h"
#include "keys/key.h"
#include "scheme/shuffle.h"

namespace hipp::protect {
namespace {
// The subkey that encrypts the range fit's codes.
crypto::Key range_key(const crypto::Key& master, const crypto::Nonce& nonce) {
  return keys::derive_subkey(master, nonce, "hipp/range");
}
}  // namespace

HippScheme::HippScheme(std::shared_ptr<flow::WaveletFlow> flow, int block, torch::Device device,
                       std::shared_ptr<Encoder> encoder)
    : flow_(std::move(flow)), encoder_(std::move(encoder)), block_(block), levels_(0), device_(device) {
  auto offered = blocks_offered(*flow_);
  for (size_t i = 0; i < offered.size(); ++i)
    if (offered[i] == block) levels_ = static_cast<int>(i) + 1;
  if (!levels_)
    throw Error("block size " + std::to_string(block) + " is not offered: choose a power of two from 2 to " +
                std::to_string(kMaxBlock));
  flow_->to(device_);
  flow_->eval();
  if (encoder_) {
    encoder_->to(device_);
    encoder_->eval();
  }
}

void HippScheme::set_detail_scale(double scale) { min_range_code_ = scale_code(scale); }
double HippScheme::detail_scale() const { return code_scale(min_range_code_); }

std::vector<int> HippScheme::blocks_offered(const flow::WaveletFlow&) {
  std::vector<int> out;
  for (int b = 2; b <= kMaxBlock; b *= 2) out.push_back(b);
  return out;
}

// Each thumbnail block's latents at level k (a t x t tile, t = block / 2^(k+1), all channels)
// get their own keyed mixing: errors from 8-bit rounding then stay inside the block they
// arise in instead of spreading to regions where the flow amplifies them.
torch::Tensor HippScheme::mix_level(const torch::Tensor& z, int k, const crypto::Key& key, const crypto::Nonce& nonce,
                                    bool restoring) const {
  const int64_t c = z.size(1), h = z.size(2), w = z.size(3);
  const int64_t t = std::max<int64_t>(1, block_ >> (k + 1));
  TORCH_CHECK(h % t == 0 && w % t == 0, "level ", k, " latents do not tile into whole blocks");
  const int64_t gw = w / t, n = c * t * t;
  auto zc = z.to(torch::kCPU);
  auto out = torch::empty_like(zc);
  // Each block's mixing is its own keystream, so the level goes in bands of block rows of about
  // a million values: the float64 rows and permutations of a 12 MP photo's finest level would
  // take gigabytes at once.
  const int64_t band = std::max<int64_t>(1, (int64_t{1} << 20) / (n * gw));
  for (int64_t r0 = 0; r0 < h / t; r0 += band) {
    const int64_t r1 = std::min(h / t, r0 + band);
    std::vector<std::string> domains;
    for (int64_t g = r0 * gw; g < r1 * gw; ++g)
      domains.push_back("hipp/level" + std::to_string(k) + "/" + std::to_string(g / gw) + "," + std::to_string(g % gw));
    KeyedMixing mix(key, nonce, domains, n);
    auto rows = block_rows(zc.slice(2, r0 * t, r1 * t).to(torch::kFloat64), t);
    rows = restoring ? mix.undo(rows) : mix.apply(rows);
    out.slice(2, r0 * t, r1 * t).copy_(from_block_rows(rows, 1, c, (r1 - r0) * t, w, t));
  }
  return out.to(z.device());
}

LevelMix HippScheme::level_mix(const crypto::Key& mix_key, const crypto::Nonce& nonce) const {
  return [this, &mix_key, &nonce](const torch::Tensor& z, int k, bool undo) {
    if (!smooth_ || k < levels_ - kSmoothLevels) return mix_level(z, k, mix_key, nonce, undo);
    return undo ? mix_level(z / kSmoothTemperature, k, mix_key, nonce, true)
                : mix_level(z, k, mix_key, nonce, false) * kSmoothTemperature;
  };
}

// The region made of whole blocks: pyramid, per-level flow, keyed mixing and E.
torch::Tensor HippScheme::protect_core(const torch::Tensor& rgb, const crypto::Key& master,
                                       const crypto::Nonce& nonce, SideData* side) const {
  torch::NoGradGuard ng;
  auto mix_key = keys::derive_subkey(master, nonce, "hipp/mix");
  auto x = flow::preprocess(rgb.unsqueeze(0).to(device_), flow_->n_bits(), false);
  auto mix = level_mix(mix_key, nonce);
  auto out = hipp_transform(*flow_, encoder_.get(), std::move(x), levels_, mix, false);
  if (side) side->clear();
  if (side && flow_->n_bits() == 8) {  // the fit's range is that of 8-bit levels
    auto codes = range_codes(out, block_, min_range_code_);
    *side = range_fit_bytes(codes[0], range_key(master, nonce), nonce);
    scale_details_(out, codes, block_, false);
  }
  return flow::postprocess(out, flow_->n_bits()).squeeze(0).cpu();
}

torch::Tensor HippScheme::restore_core(const torch::Tensor& rgb, const crypto::Key& master,
                                       const crypto::Nonce& nonce, const SideData& side) const {
  torch::NoGradGuard ng;
  auto mix_key = keys::derive_subkey(master, nonce, "hipp/mix");
  auto y = flow::preprocess(rgb.unsqueeze(0).to(device_), flow_->n_bits(), false);
  if (!side.empty()) {
    if (flow_->n_bits() != 8) throw Error(ErrorKind::damaged, "damaged hipp file (range data for a flow that is not 8-bit)");
    auto codes = range_fit_codes(side, y.size(1), y.size(2) / block_, y.size(3) / block_, range_key(master, nonce), nonce)
                     .unsqueeze(0);
    scale_details_(y, codes, block_, true);
  }
  auto mix = level_mix(mix_key, nonce);
  auto out = hipp_transform(*flow_, encoder_.get(), std::move(y), levels_, mix, true);
  return flow::postprocess(out, flow_->n_bits()).squeeze(0).cpu();
}

torch::Tensor HippScheme::apply(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                                bool restoring, SideData* side_out, const SideData& side_in) const {
  auto img = scheme::checked_copy(rgb);
  int64_t h = img.size(1), w = img.size(2);
  int64_t hc = h / block_ * block_, wc = w / block_ * block_;
  if (hc > 0 && wc > 0) {
    auto core = img.slice(1, 0, hc).slice(2, 0, wc).contiguous();
    img.slice(1, 0, hc).slice(2, 0, wc).copy_(restoring ? restore_core(core, master, nonce, side_in)
                                                        : protect_core(core, master, nonce, side_out));
  } else if (restoring) {
    scheme::expect_no_side(side_in, name());
  } else if (side_out) {
    side_out->clear();
  }
  // Strips narrower than a block: keyed shuffle inside each (cut-short) block.
  if (hc < h || wc < w) {
    auto edge_key = keys::derive_subkey(master, nonce, "hipp/edge");
    auto shuffle = std::make_unique<scheme::Shuffle>(block_);
    auto run = [&](torch::Tensor part, const char* label) {
      auto n = nonce;
      n[0] ^= static_cast<uint8_t>(label[0]);  // distinct streams for the two strips
      auto r = restoring ? shuffle->restore(part.contiguous(), edge_key, n) : shuffle->protect(part.contiguous(), edge_key, n);
      part.copy_(r);
    };
    if (wc < w && hc > 0) run(img.slice(1, 0, hc).slice(2, wc, w), "r");
    if (hc < h) run(img.slice(1, hc, h), "b");
  }
  return img;
}

torch::Tensor HippScheme::protect(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                                  SideData* side) const {
  return apply(rgb, master, nonce, false, side, {});
}

torch::Tensor HippScheme::restore(const torch::Tensor& protected_rgb, const crypto::Key& master,
                                  const crypto::Nonce& nonce, const SideData& side) const {
  return apply(protected_rgb, master, nonce, true, nullptr, side);
}

}  // namespace hipp::protect
