#pragma once
// HIPP's protection with a wavelet flow G (see flow/wavelet_flow.h and docs/design.md "How HIPP works here"):
//
//   protect:  x -> Haar pyramid -> keep the low-pass at the block size (the thumbnail)
//             for each level, coarse to fine:  z = G_k^-1(detail_k | original low-pass)
//                                              z' = M_k(z)   (keyed orthogonal mixing)
//                                              (hipp-smooth: z' *= 0.5 at the two coarsest levels)
//                                              z'' = E_k(z' | protected low-pass)  (if trained)
//                                              detail'_k = G_k(z'' | protected low-pass)
//             -> merge -> fit into the 8-bit range (range_fit.h) -> round to 8 bits
//   restore:  undo the range fit, then the same with M_k^-1, reading z' from the protected
//             image's own pyramid.
//
// The protected image is a sample of G given the thumbnail: natural, with the original's
// thumbnail (exact up to 8-bit rounding), and details that without the key are unrelated to
// the original's. Parts of an image that do not fill a whole block (right and bottom strips
// narrower than the block) are protected by a keyed pixel shuffle inside each block instead.
//
// The scheme `hipp-smooth` is the same with the mixed latents of the two coarsest detail levels
// halved (restore doubles them before unmixing): those levels draw each block's sub-block means,
// and drawn at full temperature, independently per block, they make the protected image a
// mosaic at half the block size; at half temperature G draws them near its smooth guess from the
// thumbnail. More natural (BRISQUE), at some cost in privacy (docs/design.md, item 10).
#include <memory>

#include "flow/wavelet_flow.h"
#include "hipp/encoder.h"
#include "hipp/hipp_core.h"
#include "scheme/scheme.h"

namespace hipp::protect {

using scheme::SideData;

class HippScheme : public scheme::Scheme {
 public:
  // `block` must be 2^k, 2 <= block <= kMaxBlock. Levels past the flow's trained ones share its
  // coarsest level (WaveletFlow::detail_flow); `encoder` (optional) acts on the levels it was
  // trained for and leaves the others to the mixing alone.
  HippScheme(std::shared_ptr<flow::WaveletFlow> flow, int block, torch::Device device = torch::kCPU,
             std::shared_ptr<Encoder> encoder = nullptr);
  std::string name() const override { return smooth_ ? "hipp-smooth" : "hipp"; }
  // The hipp-smooth variant (above); off by default.
  void set_smooth(bool on) { smooth_ = on; }
  static constexpr int kSmoothLevels = 2;
  static constexpr double kSmoothTemperature = 0.5;
  int block() const { return block_; }
  // Scales every protected block's details by at least this much (snapped down to the range
  // fit's steps of 2^(-1/2)): smoother, smaller protected files that restore less exactly
  // (the rounding error grows by 1/scale). Protecting only; restore reads the codes from the
  // file. Default 1.
  void set_detail_scale(double scale);
  double detail_scale() const;
  // With `side`, protect fits the image into the 8-bit range (range_fit.h) and returns the fit's
  // bytes there; without, out-of-range values are clipped, as in format version 1.
  torch::Tensor protect(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                        SideData* side = nullptr) const override;
  torch::Tensor restore(const torch::Tensor& protected_rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                        const SideData& side = {}) const override;

  static constexpr int kMaxBlock = 1024;
  // Block sizes a flow allows: 2, 4, ..., kMaxBlock (past 2^levels, levels share the coarsest flow).
  static std::vector<int> blocks_offered(const flow::WaveletFlow& flow);

 private:
  torch::Tensor mix_level(const torch::Tensor& z, int k, const crypto::Key& key, const crypto::Nonce& nonce,
                          bool restoring) const;
  // Level k's mixing and, for hipp-smooth, its temperature: what hipp_transform calls.
  LevelMix level_mix(const crypto::Key& mix_key, const crypto::Nonce& nonce) const;
  torch::Tensor protect_core(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                             SideData* side) const;
  torch::Tensor restore_core(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                             const SideData& side) const;
  torch::Tensor apply(const torch::Tensor& rgb, const crypto::Key& master, const crypto::Nonce& nonce,
                      bool restoring, SideData* side_out, const SideData& side_in) const;
  std::shared_ptr<flow::WaveletFlow> flow_;
  std::shared_ptr<Encoder> encoder_;
  int block_, levels_;
  int min_range_code_ = 0;
  bool smooth_ = false;
  torch::Device device_;
};

}  // namespace hipp::protect
