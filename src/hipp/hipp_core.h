#pragma once
// HIPP's transform on a batch, shared by HippScheme (one image, key-derived mixings) and the
// encoder trainer (batches, random mixings, gradients): see hipp_scheme.h for the method.
#include <functional>

#include "flow/wavelet_flow.h"
#include "hipp/encoder.h"

namespace hipp::protect {

// Mixes (or, with undo, unmixes) level k's latents [N, 3C, h, w].
using LevelMix = std::function<torch::Tensor(const torch::Tensor& z, int k, bool undo)>;

// What each level encoded from the input and decoded into the output (finest level first),
// for training losses and tests.
struct LevelLatents {
  std::vector<torch::Tensor> in, out;
};

// x: [N, C, H, W] in [-0.5, 0.5] (H, W multiples of 2^levels). Protects (restoring = false) or
// restores the finest `levels` detail levels, coarse to fine; the low-pass at 2^levels is
// kept. `encoder` may be null (no E). The result is not rounded. x is taken by value: moved in,
// its memory goes once it is split (on a 12 MP photo, 145 MB at the peak).
torch::Tensor hipp_transform(flow::WaveletFlow& flow, Encoder* encoder, torch::Tensor x, int levels,
                             const LevelMix& mix, bool restoring, LevelLatents* trace = nullptr);

// Level-k latents of one thumbnail block as rows: [N, c, gh*t, gw*t] -> [N*gh*gw, c*t*t], blocks
// in (image, row, column) order, each row flattened as (channel, y, x); and back.
torch::Tensor block_rows(const torch::Tensor& z, int64_t t);
torch::Tensor from_block_rows(const torch::Tensor& rows, int64_t n, int64_t c, int64_t h, int64_t w, int64_t t);

}  // namespace hipp::protect
