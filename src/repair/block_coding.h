#pragma once
// How repair.h codes one thumbnail block: the floors a block must meet, the values it restores
// to, and the cheapest of four ways to store its residual. Internal to src/repair/.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "scheme/scheme.h"

namespace hipp::repair {

// A block's code byte: the step in bits 0-5, then how its residual is stored.
constexpr uint8_t kSmooth = 0x80, kMed = 0x40;
constexpr int kMaxStep = 63;

// Pixels of one image as flat uint8 planes, with the block layout both sides iterate in.
struct Planes {
  const uint8_t* p;
  int64_t plane;  // H*W
  explicit Planes(const torch::Tensor& t) : p(t.data_ptr<uint8_t>()), plane(t.size(1) * t.size(2)) {}
  uint8_t at(int c, int64_t i) const { return p[c * plane + i]; }
};

// The thumbnail blocks both sides iterate in: the schemes' block geometry.
using scheme::BlockGrid;
using scheme::BlockView;

// LOCO-I's median edge detector at position j of a row-major plane `width` wide, from the
// values before it (left a, up b, up-left c; missing neighbours fall back to the others, or 0).
int med_prediction(const int* v, int64_t j, int64_t width);

// `restored` moved by q steps, kept in 0..255.
inline int corrected(int restored, int q, int step) { return std::clamp(restored + q * step, 0, 255); }

// What a block restores to: `base` corrected toward `x` with `step` (0: base as it is), as
// values [channel][pixel].
std::vector<int> restored_values(const Planes& x, const Planes& base, const BlockView& v, int step);
double sse_of(const Planes& x, const BlockView& v, const std::vector<int>& y);
// SSIM of a block on non-overlapping windows of up to 8x8 pixels (the classic SSIM window;
// close to metrics::ssim's Gaussian window of sigma 1.5), averaged over windows and channels;
// windows_of counts them.
double ssim_of(const Planes& x, const BlockView& v, const std::vector<int>& y);
int64_t windows_of(const BlockView& v);

// The floor: every block restores to the PSNR; a block that is repaired, to the SSIM too.
struct Floor {
  double sse_per_value;  // from the minimum PSNR
  double ssim;
  bool lossless;
  bool met(const Planes& x, const BlockView& v, const std::vector<int>& y, bool with_ssim) const;
};

// How one repaired block is stored: its code byte and symbols (zigzagged to 16 bits when packed).
struct Coding {
  uint8_t code = 0;  // 0: not repaired
  std::vector<int16_t> symbols;
  std::vector<int> values;  // what the block restores to with it (the planner drops it once applied)
};

// Corrects toward the restoration or toward the smooth guess (prediction.h), plainly or through
// the median predictor, each at its coarsest step meeting `f`: whichever costs fewest bits.
Coding choose_coding(const Planes& x, const Planes& restored, const Planes& guess, const BlockView& v, const Floor& f);

}  // namespace hipp::repair
