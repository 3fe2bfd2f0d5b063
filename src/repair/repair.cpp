#include "repair/repair.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/error.h"
#include "keys/key.h"
#include "metrics/metrics.h"
#include "repair/block_coding.h"
#include "repair/prediction.h"

namespace hipp::repair {
namespace {

constexpr uint8_t kVersion = 1, kFlagLossless = 1;
// zstd's strongest level saves about 15% on residuals over level 9, at a speed (a few MB/s) that
// only small bodies can afford.
constexpr size_t kStrongUpTo = size_t{4} << 20;
constexpr int kZstdStrong = 19, kZstdFast = 9;
constexpr uint16_t kExact = 0xFFFF;
constexpr size_t kDigest = 16;

[[noreturn]] void damaged(const std::string& why) { throw Error(ErrorKind::damaged, "damaged hipp file (repair data: " + why + ")"); }

double psnr_of(double sse, int64_t n) {
  return sse == 0 ? INFINITY : 10.0 * std::log10(255.0 * 255.0 * static_cast<double>(n) / sse);
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

// Which blocks to repair, and how: the state of one make_repair.
class Planner {
 public:
  Planner(const torch::Tensor& x, const torch::Tensor& r, int block, const Floor& floor)
      : xt_(x), rt_(r), guess_t_(smooth_prediction(r, block)), x_(xt_), r_(rt_), guess_(guess_t_),
        grid_(x.size(1), x.size(2), block), floor_(floor), corrected_(r.clone()) {
    const int64_t blocks = grid_.blocks();
    codings_.resize(blocks), ssim_.resize(blocks), weight_.resize(blocks), psnr_.resize(blocks);
    for (int64_t b = 0; b < blocks; ++b) {
      views_.push_back(grid_.view(b));
      auto as_is = restored_values(x_, r_, views_[b], 0);
      psnr_[b] = psnr_of(sse_of(x_, views_[b], as_is), 3 * views_[b].n);
      worst_before_ = std::min(worst_before_, psnr_[b]);
      ssim_[b] = ssim_of(x_, views_[b], as_is);
      weight_[b] = static_cast<double>(windows_of(views_[b]));
      ssim_sum_ += weight_[b] * ssim_[b], weight_sum_ += weight_[b];
      if (!floor_.met(x_, views_[b], as_is, false)) repair(b, floor_);
    }
  }

  // Repairs the worst unrepaired blocks until the image meets `target`: first by the cheap 8x8
  // estimate, then by the metric itself (metrics::ssim: the 11x11 Gaussian windows `hipp eval`
  // reports, which also see across block edges), in growing batches. If every block is repaired
  // and the image still falls short (flat synthetic content, where one level shows), the worst
  // blocks are made exact.
  void meet_ssim(double target) {
    auto order = worst_first(true);
    size_t next = 0;
    while (next < order.size() && ssim_sum_ / weight_sum_ < target) repair(order[next++], floor_);
    if (repair_batches(order, next, target, floor_)) return;
    auto all = worst_first(false);
    next = 0;
    repair_batches(all, next, target, Floor{0, 0, true});
  }

  const std::vector<Coding>& codings() const { return codings_; }
  double worst_before() const { return worst_before_; }
  // The worst block once the codings are applied.
  double worst_after() const { return *std::min_element(psnr_.begin(), psnr_.end()); }

 private:
  void repair(int64_t b, const Floor& f) {
    const auto& v = views_[b];
    codings_[b] = choose_coding(x_, r_, guess_, v, f);
    // The values live on in corrected_ only: kept for every block they would be 4 bytes a value.
    const auto values = std::move(codings_[b].values);
    codings_[b].values = {};
    uint8_t* px = corrected_.data_ptr<uint8_t>();
    for (int c = 0; c < 3; ++c)
      for (int64_t j = 0; j < v.n; ++j) px[c * x_.plane + v.idx(j)] = static_cast<uint8_t>(values[c * v.n + j]);
    psnr_[b] = psnr_of(sse_of(x_, v, values), 3 * v.n);
    double s = ssim_of(x_, v, values);
    ssim_sum_ += weight_[b] * (s - ssim_[b]);
    ssim_[b] = s;
  }

  // Blocks by rising SSIM estimate (only unrepaired ones, or all).
  std::vector<int64_t> worst_first(bool unrepaired_only) const {
    std::vector<int64_t> order;
    for (int64_t b = 0; b < static_cast<int64_t>(views_.size()); ++b)
      if (!unrepaired_only || !codings_[b].code) order.push_back(b);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ssim_[a] < ssim_[b]; });
    return order;
  }

  // Repairs order[next...] in doubling batches until metrics::ssim meets `target`; true if it does.
  bool repair_batches(const std::vector<int64_t>& order, size_t& next, double target, const Floor& f) {
    size_t batch = std::max<size_t>(1, views_.size() / 64);
    for (;;) {
      // (An exact image is checked by equality: the SSIM's convolutions cost more than an exact scheme.)
      if (torch::equal(xt_, corrected_) || metrics::ssim(xt_, corrected_) >= target) return true;
      if (next == order.size()) return false;
      for (size_t k = 0; k < batch && next < order.size(); ++k) repair(order[next++], f);
      batch *= 2;
    }
  }

  torch::Tensor xt_, rt_, guess_t_;
  Planes x_, r_, guess_;
  BlockGrid grid_;
  Floor floor_;
  torch::Tensor corrected_;  // the restoration with the repairs chosen so far
  std::vector<BlockView> views_;
  std::vector<Coding> codings_;  // code 0: not repaired
  std::vector<double> ssim_, weight_, psnr_;  // per block, as restored with the codings so far
  double ssim_sum_ = 0, weight_sum_ = 0, worst_before_ = INFINITY;
};

// The repaired blocks' indices, codes and symbols, zstd-compressed: the indices and codes, then
// every symbol's low bytes, then their high bytes, in one buffer of its exact size (at 12 MP
// the symbols alone can be tens of MB).
std::vector<uint8_t> packed_body(const std::vector<Coding>& codings) {
  std::vector<uint8_t> body;
  size_t symbols = 0;
  int64_t last = -1;
  for (int64_t b = 0; b < static_cast<int64_t>(codings.size()); ++b) {
    const auto& c = codings[b];
    if (!c.code) continue;
    put_leb(body, static_cast<uint64_t>(last < 0 ? b : b - last));
    body.push_back(c.code);
    last = b;
    symbols += c.symbols.size();
  }
  size_t lo = body.size(), hi = lo + symbols;
  body.resize(hi + symbols);
  for (const auto& c : codings)
    for (int sym : c.symbols) {
      auto z = zigzag(sym);
      body[lo++] = uint8_t(z), body[hi++] = uint8_t(z >> 8);
    }
  std::vector<uint8_t> packed(ZSTD_compressBound(body.size()));
  size_t n = ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(),
                           body.size() <= kStrongUpTo ? kZstdStrong : kZstdFast);
  if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
  packed.resize(n);
  return packed;
}

}  // namespace

Repair make_repair(const torch::Tensor& original, const torch::Tensor& restored, int block, const RepairOptions& o) {
  if (!(o.min_psnr > 0 && o.min_psnr <= 100))
    throw Error(ErrorKind::usage, "the restoration floor (minimum PSNR) must be in (0, 100] dB, got " + std::to_string(o.min_psnr));
  if (!(o.min_ssim >= 0 && o.min_ssim < 1))
    throw Error(ErrorKind::usage, "the restoration floor (minimum SSIM) must be in [0, 1), got " + std::to_string(o.min_ssim));
  auto xt = cpu_u8(original), rt = cpu_u8(restored);
  TORCH_CHECK(xt.sizes() == rt.sizes() && xt.dim() == 3 && xt.size(0) == 3, "make_repair: images differ in shape");
  // Every block below the PSNR floor is repaired; then, for the image's SSIM, the worst others (a
  // floor on the mean: a few grainy blocks in a face are not worth their bytes, a dark photo's
  // many are). A repaired block aims halfway from the SSIM floor to 1, for some margin.
  Planner plan(xt, rt, block, Floor{255.0 * 255.0 / std::pow(10.0, o.min_psnr / 10.0), (1 + o.min_ssim) / 2, o.lossless});
  if (!o.lossless && o.min_ssim > 0) plan.meet_ssim(o.min_ssim);

  Repair out;
  auto& st = out.stats;
  st.blocks = static_cast<int64_t>(plan.codings().size());
  for (auto& c : plan.codings()) st.repaired += c.code != 0;
  st.lossless = o.lossless;
  st.worst_before = plan.worst_before();
  st.worst_after = plan.worst_after();
  auto packed = packed_body(plan.codings());
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
  BlockGrid grid(out.size(1), out.size(2), block);
  if (head.stats.blocks != grid.blocks()) damaged("made for another block grid");
  const uint8_t* src = payload.data() + head.body_at;
  unsigned long long raw = ZSTD_getFrameContentSize(src, head.body_len);
  // The most any image of this size can need: an index and a step per block, two bytes per value.
  const uint64_t most = 11 * static_cast<uint64_t>(grid.blocks()) + 2 * static_cast<uint64_t>(out.numel());
  if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN || raw > most) damaged("bad body");
  std::vector<uint8_t> body(raw);
  size_t got = ZSTD_decompress(body.data(), body.size(), src, head.body_len);
  if (ZSTD_isError(got) || got != raw) damaged("bad body");

  Cursor c{body.data(), body.size()};
  std::vector<std::pair<int64_t, int>> blocks;  // index, step byte
  int64_t values = 0;
  for (int64_t i = 0, b = 0; i < head.stats.repaired; ++i) {
    uint64_t gap = c.leb();
    if ((i && gap == 0) || gap >= static_cast<uint64_t>(grid.blocks())) damaged("bad block index");
    b = i ? b + static_cast<int64_t>(gap) : static_cast<int64_t>(gap);
    if (b >= grid.blocks()) damaged("bad block index");
    int code = c.u8(), step = code & ~(kSmooth | kMed);
    if (step < 1 || step > kMaxStep) damaged("bad step");
    blocks.emplace_back(b, code);
    values += 3 * grid.view(b).n;
  }
  if (body.size() - c.pos != static_cast<size_t>(2 * values)) damaged("residual count");
  const uint8_t* lo = body.data() + c.pos;
  const uint8_t* hi = lo + values;
  // The smooth guess from the restoration, before any correction; only if some block uses it.
  torch::Tensor guess;
  for (auto& bc : blocks)
    if (bc.second & kSmooth) {
      guess = smooth_prediction(out, block);
      break;
    }
  uint8_t* px = out.data_ptr<uint8_t>();
  const uint8_t* g = guess.defined() ? guess.data_ptr<uint8_t>() : nullptr;
  const int64_t plane = out.size(1) * out.size(2);
  int64_t k = 0;
  std::vector<int> q;
  for (auto [b, code] : blocks) {
    const int step = code & ~(kSmooth | kMed);
    const auto v = grid.view(b);
    const int64_t n = v.n;
    q.assign(3 * n, 0);
    for (int ch = 0; ch < 3; ++ch)
      for (int64_t j = 0; j < n; ++j, ++k) {
        int d = unzigzag(lo[k] | hi[k] << 8);
        q[ch * n + j] = code & kMed ? d + med_prediction(&q[ch * n], j, v.width) : d;
        const int64_t at = ch * plane + v.idx(j);
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

RepairOptions floors_for(RepairOptions asked, bool jpeg, bool psnr_set, bool ssim_set) {
  if (jpeg && !psnr_set) asked.min_psnr = kJpegMinPsnr;
  if (jpeg && !ssim_set) asked.min_ssim = kJpegMinSsim;
  return asked;
}

std::vector<uint8_t> crypt(std::vector<uint8_t> bytes, const crypto::Key& master, const crypto::Nonce& nonce,
                           const char* label) {
  crypto::ensure_sodium();
  auto key = keys::derive_subkey(master, nonce, label);
  crypto_stream_xchacha20_xor(bytes.data(), bytes.data(), bytes.size(), nonce.data(), key.data());
  sodium_memzero(key.data(), key.size());
  return bytes;
}

}  // namespace hipp::repair
