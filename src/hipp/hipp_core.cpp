#include "hipp/hipp_core.h"

namespace hipp::protect {

torch::Tensor hipp_transform(flow::WaveletFlow& flow, Encoder* encoder, torch::Tensor x, int levels,
                             const LevelMix& mix, bool restoring, LevelLatents* trace) {
  // Pyramid of the input: lows[k] is the image averaged over 2^k blocks. lows[0] is not needed
  // once split.
  std::vector<torch::Tensor> lows{std::move(x)}, details;
  for (int k = 0; k < levels; ++k) {
    auto [low, detail] = flow::haar_split(lows.back());
    if (k == 0) lows[0] = torch::Tensor();
    lows.push_back(low);
    details.push_back(detail);
  }
  // Coarse to fine. The input side of each level is conditioned on the input's own low-pass,
  // the output side on the output's low-pass built so far (both start from the same thumbnail).
  // E sits on the protected side: after mixing when protecting, before unmixing when restoring,
  // conditioned on the protected image's low-pass either way.
  auto out = lows[levels];
  if (trace) trace->in.assign(levels, {}), trace->out.assign(levels, {});
  for (int k = levels - 1; k >= 0; --k) {
    auto z = flow.detail_forward(k, details[k], lows[k + 1]).y;
    details[k] = torch::Tensor();  // on a 12 MP photo each level's input side is hundreds of MB
    torch::Tensor y;
    if (!restoring) {
      y = mix(z, k, false);
      if (encoder) y = encoder->forward(k, y, out);
    } else {
      if (encoder) z = encoder->inverse(k, z, lows[k + 1]);
      y = mix(z, k, true);
    }
    if (trace) trace->in[k] = z, trace->out[k] = y;
    lows[k + 1] = torch::Tensor(), z = torch::Tensor();
    auto detail = flow.detail_inverse(k, y, out);
    y = torch::Tensor();
    out = flow::haar_merge(out, detail);
  }
  return out;
}

torch::Tensor block_rows(const torch::Tensor& z, int64_t t) {
  const int64_t n = z.size(0), c = z.size(1), h = z.size(2), w = z.size(3);
  TORCH_CHECK(h % t == 0 && w % t == 0, "latents do not tile into whole blocks");
  return z.reshape({n, c, h / t, t, w / t, t}).permute({0, 2, 4, 1, 3, 5}).reshape({n * (h / t) * (w / t), c * t * t});
}

torch::Tensor from_block_rows(const torch::Tensor& rows, int64_t n, int64_t c, int64_t h, int64_t w, int64_t t) {
  return rows.reshape({n, h / t, w / t, c, t, t}).permute({0, 3, 1, 4, 2, 5}).reshape({n, c, h, w});
}

}  // namespace hipp::protect
