#include "repair/repair.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "baselines/scheme.h"
#include "common/error.h"
#include "keys/key.h"
#include "metrics/metrics.h"
#include "repair/prediction.h"

namespace hipp::repair {
namespace {

constexpr uint8_t kVersion = 1, kFlagLossless = 1;
constexpr uint8_t kSmooth = 0x80, kMed = 0x40;  // in a block's step byte, above the step
constexpr int kMaxStep = 63;
// zstd's strongest level saves about 15% on residuals over level 9, at a speed (a few MB/s) that
// only small bodies can afford.
constexpr size_t kStrongUpTo = size_t{4} << 20;
constexpr int kZstdStrong = 19, kZstdFast = 9;
constexpr uint16_t kExact = 0xFFFF;
constexpr size_t kDigest = 16;

[[noreturn]] void damaged(const std::string& why) { throw Error("damaged hipp file (repair data: " + why + ")"); }

// Pixels of one image as flat uint8 planes, with the block layout both sides iterate in.
struct Planes {
  const uint8_t* p;
  int64_t plane;  // H*W
  explicit Planes(const torch::Tensor& t) : p(t.data_ptr<uint8_t>()), plane(t.size(1) * t.size(2)) {}
  uint8_t at(int c, int64_t i) const { return p[c * plane + i]; }
};

double psnr_of(double sse, int64_t n) {
  return sse == 0 ? INFINITY : 10.0 * std::log10(255.0 * 255.0 * static_cast<double>(n) / sse);
}

// LOCO-I's median edge detector at position j of a row-major plane `width` wide, from the
// values before it (left a, up b, up-left c; missing neighbours fall back to the others, or 0).
int med_prediction(const int* v, int64_t j, int64_t width) {
  const bool left = j % width != 0, up = j >= width;
  if (!up) return left ? v[j - 1] : 0;
  if (!left) return v[j - width];
  int a = v[j - 1], b = v[j - width], c = v[j - width - 1];
  if (c >= std::max(a, b)) return std::min(a, b);
  if (c <= std::min(a, b)) return std::max(a, b);
  return a + b - c;
}

// Rounds half away from zero, so a residual and its negation quantize symmetrically.
int quantum(int d, int step) { return d >= 0 ? (d + step / 2) / step : -((-d + step / 2) / step); }

int corrected(int restored, int q, int step) { return std::clamp(restored + q * step, 0, 255); }

// One thumbnail block: its pixels' plane indices (row-major inside the block) and row width.
struct BlockView {
  const int64_t* idx;
  int64_t n, width;
};

// What a block restores to: `base` corrected toward `x` with `step` (0: base as it is).
std::vector<int> restored_values(const Planes& x, const Planes& base, const BlockView& v, int step) {
  std::vector<int> out(3 * v.n);
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) {
      int xv = x.at(c, v.idx[j]), bv = base.at(c, v.idx[j]);
      out[c * v.n + j] = step ? corrected(bv, quantum(xv - bv, step), step) : bv;
    }
  return out;
}

double sse_of(const Planes& x, const BlockView& v, const std::vector<int>& y) {
  double sse = 0;
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) sse += double(y[c * v.n + j] - x.at(c, v.idx[j])) * (y[c * v.n + j] - x.at(c, v.idx[j]));
  return sse;
}

// SSIM of a block on non-overlapping windows of up to 8x8 pixels (the classic SSIM window;
// close to metrics::ssim's Gaussian window of sigma 1.5), averaged over windows and channels.
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
            double a = x.at(c, v.idx[j]), b = y[c * v.n + j];
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

// The floor: every block restores to the PSNR; a block that is repaired, to the SSIM too.
struct Floor {
  double sse_per_value;  // from the minimum PSNR
  double ssim;
  bool lossless;
  bool met(const Planes& x, const BlockView& v, const std::vector<int>& y, bool with_ssim) const {
    double sse = sse_of(x, v, y);
    if (lossless) return sse == 0;
    return sse <= sse_per_value * 3 * v.n && (!with_ssim || ssim <= 0 || ssim_of(x, v, y) >= ssim);
  }
};

// One block's residual quanta (channel by channel, the block's pixels row-major, `width` per
// row), optionally as errors of LOCO-I's median edge detector on the quanta already coded: flat
// and edged areas that a guess misses by a constant then cost almost nothing.
std::vector<int> block_symbols(const Planes& x, const Planes& base, const BlockView& v, int step, bool med) {
  std::vector<int> q(3 * v.n);
  for (int c = 0; c < 3; ++c)
    for (int64_t j = 0; j < v.n; ++j) q[c * v.n + j] = quantum(x.at(c, v.idx[j]) - base.at(c, v.idx[j]), step);
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

uint16_t zigzag(int v) { return static_cast<uint16_t>(v >= 0 ? 2 * v : -2 * v - 1); }
int unzigzag(int z) { return z % 2 ? -(z + 1) / 2 : z / 2; }

uint16_t centi_db(double db) { return std::isinf(db) ? kExact : static_cast<uint16_t>(std::clamp(db * 100, 0.0, 65534.0)); }
double from_centi_db(uint16_t v) { return v == kExact ? INFINITY : v / 100.0; }

void put_u16(std::vector<uint8_t>& o, uint16_t v) { o.push_back(uint8_t(v)), o.push_back(uint8_t(v >> 8)); }
void put_u32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(uint8_t(v >> (8 * i)));
}
void put_leb(std::vector<uint8_t>& o, uint64_t v) {
  do {
    o.push_back(uint8_t((v & 0x7F) | (v > 0x7F ? 0x80 : 0)));
    v >>= 7;
  } while (v);
}

struct Cursor {
  const uint8_t* p;
  size_t n, pos = 0;
  void need(size_t k) const {
    if (n - pos < k) damaged("truncated");
  }
  uint8_t u8() { need(1); return p[pos++]; }
  uint16_t u16() { need(2); uint16_t v = uint16_t(p[pos] | p[pos + 1] << 8); pos += 2; return v; }
  uint32_t u32() {
    need(4);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(p[pos + i]) << (8 * i);
    pos += 4;
    return v;
  }
  uint64_t leb() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    damaged("bad block index");
  }
};

std::array<uint8_t, kDigest> digest(const torch::Tensor& rgb) {
  std::array<uint8_t, kDigest> out;
  crypto_generichash(out.data(), out.size(), rgb.data_ptr<uint8_t>(), static_cast<size_t>(rgb.numel()), nullptr, 0);
  return out;
}

torch::Tensor cpu_u8(const torch::Tensor& t) { return t.to(torch::kCPU, torch::kUInt8).contiguous(); }

// The fixed head of a payload, shared by apply_repair and read_stats.
struct Head {
  RepairStats stats;
  std::array<uint8_t, kDigest> digest{};
  size_t body_at = 0;
  uint32_t body_len = 0;
};

Head read_head(const std::vector<uint8_t>& payload) {
  Cursor c{payload.data(), payload.size()};
  if (c.u8() != kVersion) damaged("unknown version");
  uint8_t flags = c.u8();
  if (flags & ~kFlagLossless) damaged("unknown flags");
  Head h;
  h.stats.lossless = flags & kFlagLossless;
  h.stats.blocks = c.u32();
  h.stats.repaired = c.u32();
  if (h.stats.repaired > h.stats.blocks) damaged("more repaired blocks than blocks");
  h.stats.worst_before = from_centi_db(c.u16());
  h.stats.worst_after = from_centi_db(c.u16());
  if (h.stats.lossless) {
    c.need(kDigest);
    std::memcpy(h.digest.data(), c.p + c.pos, kDigest);
    c.pos += kDigest;
  }
  h.body_len = c.u32();
  h.body_at = c.pos;
  if (payload.size() - c.pos != h.body_len) damaged("length");
  return h;
}

// How one repaired block is stored: its code byte and symbols.
struct Coding {
  uint8_t code = 0;
  std::vector<int> symbols;
  std::vector<int> values;  // what the block restores to with it
};

// Correct toward the restoration or toward the smooth guess, plainly or through the median
// predictor, each at its coarsest step: whichever costs fewest bits.
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
      best.symbols = std::move(sym);
      best.values = restored_values(x, base, v, step);
    }
  }
  return best;
}

}  // namespace

Repair make_repair(const torch::Tensor& original, const torch::Tensor& restored, int block, const RepairOptions& o) {
  if (!(o.min_psnr > 0 && o.min_psnr <= 100))
    throw Error("the restoration floor (minimum PSNR) must be in (0, 100] dB, got " + std::to_string(o.min_psnr));
  if (!(o.min_ssim >= 0 && o.min_ssim < 1))
    throw Error("the restoration floor (minimum SSIM) must be in [0, 1), got " + std::to_string(o.min_ssim));
  auto xt = cpu_u8(original), rt = cpu_u8(restored);
  TORCH_CHECK(xt.sizes() == rt.sizes() && xt.dim() == 3 && xt.size(0) == 3, "make_repair: images differ in shape");
  baselines::BlockLayout layout(xt.size(1), xt.size(2), block);
  auto guess_t = smooth_prediction(rt, block);
  Planes x(xt), r(rt), guess(guess_t);
  const int64_t grid_w = (xt.size(2) + block - 1) / block;
  // A repaired block aims halfway from the image's SSIM floor to 1, so that the few blocks a
  // mean needs lift it with some margin.
  const Floor floor{255.0 * 255.0 / std::pow(10.0, o.min_psnr / 10.0), (1 + o.min_ssim) / 2, o.lossless};
  const int64_t blocks = layout.blocks();
  std::vector<BlockView> views;
  std::vector<Coding> codings(blocks);  // code 0: the block is not repaired
  std::vector<double> ssim(blocks), weight(blocks);
  Repair out;
  auto& st = out.stats;
  st.blocks = blocks;
  st.lossless = o.lossless;
  double ssim_sum = 0, weight_sum = 0;
  auto corrected = rt.clone();  // the restoration with the repairs chosen so far
  uint8_t* corrected_px = corrected.data_ptr<uint8_t>();
  const int64_t plane = xt.size(1) * xt.size(2);
  auto repair_block = [&](int64_t b, const Floor& f) {
    const auto& v = views[b];
    codings[b] = choose_coding(x, r, guess, v, f);
    for (int c = 0; c < 3; ++c)
      for (int64_t j = 0; j < v.n; ++j) corrected_px[c * plane + v.idx[j]] = static_cast<uint8_t>(codings[b].values[c * v.n + j]);
    double s = ssim_of(x, v, codings[b].values);
    ssim_sum += weight[b] * (s - ssim[b]);
    ssim[b] = s;
  };
  // Every block below the PSNR floor is repaired.
  for (int64_t b = 0; b < blocks; ++b) {
    views.push_back({layout.order.data() + layout.offsets[b], layout.offsets[b + 1] - layout.offsets[b],
                     std::min<int64_t>(block, xt.size(2) - (b % grid_w) * block)});
    auto as_is = restored_values(x, r, views[b], 0);
    st.worst_before = std::min(st.worst_before, psnr_of(sse_of(x, views[b], as_is), 3 * views[b].n));
    ssim[b] = ssim_of(x, views[b], as_is);
    weight[b] = static_cast<double>(windows_of(views[b]));
    ssim_sum += weight[b] * ssim[b], weight_sum += weight[b];
    if (!floor.met(x, views[b], as_is, false)) repair_block(b, floor);
  }
  // Then the worst of the others, until the image meets the SSIM floor: a mean, since a few
  // grainy blocks in a face are not worth their bytes, but a dark photo's many are. First by the
  // cheap 8x8 estimate, then by the metric itself (metrics::ssim: the 11x11 Gaussian windows
  // `hipp eval` reports, which also see across block edges), in growing batches.
  if (!o.lossless && o.min_ssim > 0) {
    std::vector<int64_t> order;
    for (int64_t b = 0; b < blocks; ++b)
      if (!codings[b].code) order.push_back(b);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ssim[a] < ssim[b]; });
    size_t next = 0, batch = std::max<int64_t>(1, blocks / 64);
    while (next < order.size() && ssim_sum / weight_sum < o.min_ssim) repair_block(order[next++], floor);
    while (next < order.size() && metrics::ssim(xt, corrected) < o.min_ssim) {
      for (size_t k = 0; k < batch && next < order.size(); ++k) repair_block(order[next++], floor);
      batch *= 2;
    }
    // Every block repaired and still short (flat synthetic content, where one level is visible):
    // the worst blocks exactly.
    if (next == order.size() && metrics::ssim(xt, corrected) < o.min_ssim) {
      std::vector<int64_t> all(blocks);
      std::iota(all.begin(), all.end(), 0);
      std::sort(all.begin(), all.end(), [&](int64_t a, int64_t b) { return ssim[a] < ssim[b]; });
      const Floor exact{0, 0, true};
      next = 0, batch = std::max<int64_t>(1, blocks / 64);
      while (next < all.size() && metrics::ssim(xt, corrected) < o.min_ssim) {
        for (size_t k = 0; k < batch && next < all.size(); ++k) repair_block(all[next++], exact);
        batch *= 2;
      }
    }
  }
  std::vector<uint8_t> index_part, lo, hi;
  int64_t last = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const auto& c = codings[b];
    const auto values = c.code ? c.values : restored_values(x, r, views[b], 0);
    st.worst_after = std::min(st.worst_after, psnr_of(sse_of(x, views[b], values), 3 * views[b].n));
    if (!c.code) continue;
    put_leb(index_part, static_cast<uint64_t>(st.repaired ? b - last : b));
    index_part.push_back(c.code);
    last = b;
    ++st.repaired;
    for (int sym : c.symbols) {
      auto z = zigzag(sym);
      lo.push_back(uint8_t(z)), hi.push_back(uint8_t(z >> 8));
    }
  }
  std::vector<uint8_t> body = std::move(index_part);
  body.insert(body.end(), lo.begin(), lo.end());
  body.insert(body.end(), hi.begin(), hi.end());
  std::vector<uint8_t> packed(ZSTD_compressBound(body.size()));
  size_t n = ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(),
                          body.size() <= kStrongUpTo ? kZstdStrong : kZstdFast);
  if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
  packed.resize(n);

  auto& p = out.payload;
  p.push_back(kVersion);
  p.push_back(o.lossless ? kFlagLossless : 0);
  put_u32(p, static_cast<uint32_t>(st.blocks));
  put_u32(p, static_cast<uint32_t>(st.repaired));
  put_u16(p, centi_db(st.worst_before));
  put_u16(p, centi_db(st.worst_after));
  if (o.lossless) {
    auto d = digest(xt);
    p.insert(p.end(), d.begin(), d.end());
  }
  put_u32(p, static_cast<uint32_t>(packed.size()));
  p.insert(p.end(), packed.begin(), packed.end());
  return out;
}

torch::Tensor apply_repair(const torch::Tensor& restored, const std::vector<uint8_t>& payload, int block,
                           const std::string& where) {
  auto head = read_head(payload);
  auto out = cpu_u8(restored).clone();
  baselines::BlockLayout layout(out.size(1), out.size(2), block);
  if (head.stats.blocks != layout.blocks()) damaged("made for another block grid");
  const uint8_t* src = payload.data() + head.body_at;
  unsigned long long raw = ZSTD_getFrameContentSize(src, head.body_len);
  // The most any image of this size can need: an index and a step per block, two bytes per value.
  const uint64_t most = 11 * static_cast<uint64_t>(layout.blocks()) + 2 * static_cast<uint64_t>(out.numel());
  if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN || raw > most) damaged("bad body");
  std::vector<uint8_t> body(raw);
  size_t got = ZSTD_decompress(body.data(), body.size(), src, head.body_len);
  if (ZSTD_isError(got) || got != raw) damaged("bad body");

  Cursor c{body.data(), body.size()};
  std::vector<std::pair<int64_t, int>> blocks;  // index, step byte
  int64_t values = 0;
  for (int64_t i = 0, b = 0; i < head.stats.repaired; ++i) {
    uint64_t gap = c.leb();
    if ((i && gap == 0) || gap >= static_cast<uint64_t>(layout.blocks())) damaged("bad block index");
    b = i ? b + static_cast<int64_t>(gap) : static_cast<int64_t>(gap);
    if (b >= layout.blocks()) damaged("bad block index");
    int code = c.u8(), step = code & ~(kSmooth | kMed);
    if (step < 1 || step > kMaxStep) damaged("bad step");
    blocks.emplace_back(b, code);
    values += 3 * (layout.offsets[b + 1] - layout.offsets[b]);
  }
  if (body.size() - c.pos != static_cast<size_t>(2 * values)) damaged("residual count");
  const uint8_t* lo = body.data() + c.pos;
  const uint8_t* hi = lo + values;
  auto guess = smooth_prediction(out, block);  // from the restoration, before any correction
  uint8_t* px = out.data_ptr<uint8_t>();
  const uint8_t* g = guess.data_ptr<uint8_t>();
  const int64_t plane = out.size(1) * out.size(2), grid_w = (out.size(2) + block - 1) / block;
  int64_t k = 0;
  std::vector<int> q;
  for (auto [b, code] : blocks) {
    const int step = code & ~(kSmooth | kMed);
    const int64_t begin = layout.offsets[b], n = layout.offsets[b + 1] - begin;
    const int64_t width = std::min<int64_t>(block, out.size(2) - (b % grid_w) * block);
    q.assign(3 * n, 0);
    for (int ch = 0; ch < 3; ++ch)
      for (int64_t j = 0; j < n; ++j, ++k) {
        int v = unzigzag(lo[k] | hi[k] << 8);
        q[ch * n + j] = code & kMed ? v + med_prediction(&q[ch * n], j, width) : v;
        const int64_t at = ch * plane + layout.order[begin + j];
        px[at] = static_cast<uint8_t>(corrected(code & kSmooth ? g[at] : px[at], q[ch * n + j], step));
      }
  }
  if (head.stats.lossless && digest(out) != head.digest)
    spdlog::warn("{}: the restored pixels are not bit-identical to the original's, which was protected losslessly "
                 "(this machine computes the model differently from the one that protected it)",
                 where);
  return out;
}

RepairStats read_stats(const std::vector<uint8_t>& payload) { return read_head(payload).stats; }

std::vector<uint8_t> crypt(std::vector<uint8_t> bytes, const crypto::Key& master, const crypto::Nonce& nonce) {
  crypto::ensure_sodium();
  auto key = keys::derive_subkey(master, nonce, "hipp/repair");
  crypto_stream_xchacha20_xor(bytes.data(), bytes.data(), bytes.size(), nonce.data(), key.data());
  sodium_memzero(key.data(), key.size());
  return bytes;
}

}  // namespace hipp::repair
