#include "repair/block_coding.h"

#include <algorithm>
#include <cmath>

namespace hipp::repair {

namespace {

// Rounds half away from zero, so a residual and its negation quantize symmetrically.
int quantum(int d, int step) { return d >= 0 ? (d + step / 2) / step : -((-d + step / 2) / step); }

// One block's residual quanta (channel by channel, the block's pixels row-major, `width` per
// row), optionally as errors of LOCO-I's median edge detector on the quanta already coded: flat
// and edged areas that a guess misses by a constant then cost almost nothing.
std::vector<int> block_symbols(const Planes& x, const Planes& base, const BlockView& v, int step, bool med) {
  std::vector<int> q(3 * v.n);
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) q[c * v.n + j] = quantum(x.at(c, v.idx(j)) - base.at(c, v.idx(j)), step);
  if (!med) return q;
  std::vector<int> e(q.size());
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) e[c * v.n + j] = q[c * v.n + j] - med_prediction(&q[c * v.n], j, v.width);
  return e;
}

// Rough bits to store symbols, to choose how a block is coded.
double symbol_cost(const std::vector<int>& sym) {
  double bits = 0;
  for (int v : sym) bits += std::log2(1.0 + 2.0 * std::abs(v));
  return bits;
}

// The coarsest step at which correcting `base` toward `x` meets the floor (step 1 is exact, so
// one always does), starting where uniform quantization error ((step^2 - 1) / 12 per value)
// would just meet the PSNR floor.
int coarsest_step(const Planes& x, const Planes& base, const BlockView& v, const Floor& f) {
  if (f.lossless) return 1;
  int step = std::min<int>(kMaxStep, 1 + static_cast<int>(std::sqrt(12 * f.sse_per_value + 1)));
  while (step > 1 && !f.met(x, v, restored_values(x, base, v, step), true)) --step;
  return step;
}

}  // namespace

int med_prediction(const int* v, int64_t j, int64_t width) {
  const bool left = j % width != 0, up = j >= width;
  if (!up) return left ? v[j - 1] : 0;
  if (!left) return v[j - width];
  int a = v[j - 1], b = v[j - width], c = v[j - width - 1];
  if (c >= std::max(a, b)) return std::min(a, b);
  if (c <= std::min(a, b)) return std::max(a, b);
  return a + b - c;
}

std::vector<int> restored_values(const Planes& x, const Planes& base, const BlockView& v, int step) {
  std::vector<int> out(3 * v.n);
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) {
      int xv = x.at(c, v.idx(j)), bv = base.at(c, v.idx(j));
      out[c * v.n + j] = step ? corrected(bv, quantum(xv - bv, step), step) : bv;
    }
  return out;
}

double sse_of(const Planes& x, const BlockView& v, const std::vector<int>& y) {
  double sse = 0;
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) sse += double(y[c * v.n + j] - x.at(c, v.idx(j))) * (y[c * v.n + j] - x.at(c, v.idx(j)));
  return sse;
}

double ssim_of(const Planes& x, const BlockView& v, const std::vector<int>& y) {
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const int64_t rows = v.n / v.width;
  double total = 0;
  int windows = 0;
  for (int c = 0; c < 3; ++c)
    for (int64_t wy = 0; wy < rows; wy += 8)
      for (int64_t wx = 0; wx < v.width; wx += 8) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, m = 0;
        for (int64_t ly = wy; ly < std::min(rows, wy + 8); ++ly)
          for (int64_t lx = wx; lx < std::min(v.width, wx + 8); ++lx, ++m) {
            int64_t j = ly * v.width + lx;
            double a = x.at(c, v.idx(j)), b = y[c * v.n + j];
            sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
          }
        double mx = sx / m, my = sy / m;
        double vx = sxx / m - mx * mx, vy = syy / m - my * my, cxy = sxy / m - mx * my;
        total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        ++windows;
      }
  return total / windows;
}

int64_t windows_of(const BlockView& v) { return 3 * ((v.n / v.width + 7) / 8) * ((v.width + 7) / 8); }

bool Floor::met(const Planes& x, const BlockView& v, const std::vector<int>& y, bool with_ssim) const {
  double sse = sse_of(x, v, y);
  if (lossless) return sse == 0;
  return sse <= sse_per_value * 3 * v.n && (!with_ssim || ssim <= 0 || ssim_of(x, v, y) >= ssim);
}

Coding choose_coding(const Planes& x, const Planes& restored, const Planes& guess, const BlockView& v, const Floor& f) {
  Coding best;
  double best_cost = INFINITY;
  for (bool smooth : {false, true}) {
    const Planes& base = smooth ? guess : restored;
    int step = coarsest_step(x, base, v, f);
    for (bool med : {false, true}) {
      auto sym = block_symbols(x, base, v, step, med);
      double cost = symbol_cost(sym);
      if (cost >= best_cost) continue;
      best_cost = cost;
      best.code = static_cast<uint8_t>(step | (smooth ? kSmooth : 0) | (med ? kMed : 0));
      best.symbols.assign(sym.begin(), sym.end());  // within +-511: quanta of 8-bit differences
      best.values = restored_values(x, base, v, step);
    }
  }
  return best;
}

}  // namespace hipp::repair
