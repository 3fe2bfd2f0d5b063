#include "baselines/jpeg_scramble.h"

#include <sodium.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "image/jpeg_transcode.h"
#include "keys/key.h"

namespace hipp::baselines {

namespace {

// The blocks of each thumbnail block (cells of cw x ch coefficient blocks), row-major.
template <typename F>
void for_each_cell(image::CoefficientPlane& p, int cw, int ch, F&& f) {
  std::vector<int16_t*> blocks;
  for (int cy = 0; cy < p.blocks_h; cy += ch)
    for (int cx = 0; cx < p.blocks_w; cx += cw) {
      blocks.clear();
      for (int by = cy; by < std::min(cy + ch, p.blocks_h); ++by)
        for (int bx = cx; bx < std::min(cx + cw, p.blocks_w); ++bx) blocks.push_back(p.block(by, bx));
      f(blocks);
    }
}

// Blocks whose AC vectors trade places: kGroup at a time, in the order of their original DC
// terms, so that texture moves between blocks of about the same brightness (moved onto a much
// brighter or darker one it would overshoot, and be clipped, which a recompression cannot
// undo). Without the DC terms (a guess without the key), raster order.
constexpr size_t kGroup = 64;
std::vector<size_t> trading_order(const std::vector<int>& original_dc, size_t blocks) {
  std::vector<size_t> order(blocks);
  std::iota(order.begin(), order.end(), size_t{0});
  if (original_dc.size() == blocks)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return original_dc[a] < original_dc[b]; });
  return order;
}

// Protect gives each block of a group the AC of the group's block perm[i] (the AC terms do not
// touch the thumbnail, so they need not stay in their thumbnail block); restore moves them back.
void permute(image::CoefficientPlane& p, const std::vector<int>& original_dc, crypto::KeyStream& ks, bool inverse) {
  const size_t n = p.coef.size() / 64;
  auto order = trading_order(original_dc, n);
  std::vector<int16_t> saved(p.coef);
  for (size_t g = 0; g < n; g += kGroup) {
    const size_t size = std::min(kGroup, n - g);
    auto perm = ks.permutation(static_cast<int64_t>(size));
    for (size_t i = 0; i < size; ++i) {
      size_t to = order[g + i], from = order[g + static_cast<size_t>(perm[i])];
      if (inverse) std::swap(to, from);
      std::copy_n(saved.data() + from * 64 + 1, 63, p.coef.data() + to * 64 + 1);
    }
  }
}

std::vector<int> dc_terms(const image::CoefficientPlane& p) {
  std::vector<int> dc;
  for (size_t i = 0; i < p.coef.size(); i += 64) dc.push_back(p.coef[i]);
  return dc;
}

// Negates each AC coefficient whose key bit is set: its own inverse.
void flip_signs(image::CoefficientPlane& p, crypto::KeyStream& ks) {
  for (int by = 0; by < p.blocks_h; ++by)
    for (int bx = 0; bx < p.blocks_w; ++bx) {
      int16_t* b = p.block(by, bx);
      const uint64_t hi = ks.next_u32();  // two statements: the draw order is the format (hi first)
      const uint64_t bits = hi << 32 | ks.next_u32();
      for (int k = 1; k < 64; ++k)
        if (bits >> k & 1) b[k] = static_cast<int16_t>(-b[k]);
    }
}

// Every block of a thumbnail block gets their mean DC (the remainder, one each, to the first).
void flatten_dc(image::CoefficientPlane& p, int cw, int ch) {
  for_each_cell(p, cw, ch, [](const std::vector<int16_t*>& blocks) {
    const int64_t n = static_cast<int64_t>(blocks.size());
    int64_t sum = 0;
    for (auto* b : blocks) sum += b[0];
    int64_t base = sum >= 0 ? sum / n : -((-sum + n - 1) / n);  // floor
    int64_t extra = sum - base * n;
    for (int64_t i = 0; i < n; ++i) blocks[static_cast<size_t>(i)][0] = static_cast<int16_t>(base + (i < extra));
  });
}

// Side data, before encryption: zstd of, per component, its DC step (u16) and DC terms in raster
// order as differences from the previous one (i16), all little-endian.
SideData pack_dc(const std::vector<image::CoefficientPlane>& planes) {
  std::vector<uint8_t> body;
  auto put16 = [&](int v) { body.push_back(static_cast<uint8_t>(v & 0xFF)), body.push_back(static_cast<uint8_t>(v >> 8 & 0xFF)); };
  for (auto& p : planes) {
    put16(p.dc_step);
    int prev = 0;
    for (size_t i = 0; i < p.coef.size(); i += 64) put16(p.coef[i] - prev), prev = p.coef[i];
  }
  SideData out(ZSTD_compressBound(body.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), body.data(), body.size(), 19);
  if (ZSTD_isError(n)) throw Error("jpeg-scramble: compressing the DC terms failed");
  out.resize(n);
  return out;
}

// The original DC terms back, rescaled where the file was requantized since; returns them as
// stored (unscaled), per component.
std::vector<std::vector<int>> unpack_dc(const SideData& packed, std::vector<image::CoefficientPlane>& planes) {
  size_t expected = 0;
  for (auto& p : planes) expected += 2 + 2 * (p.coef.size() / 64);
  std::vector<uint8_t> body(expected);
  size_t n = ZSTD_decompress(body.data(), body.size(), packed.data(), packed.size());
  if (ZSTD_isError(n) || n != expected)
    throw Error(ErrorKind::damaged, "damaged hipp file (jpeg-scramble's DC terms do not fit this image: re-encoded at another size?)");
  size_t pos = 0;
  auto get16 = [&] { int v = static_cast<int16_t>(body[pos] | body[pos + 1] << 8); pos += 2; return v; };
  std::vector<std::vector<int>> stored;
  for (auto& p : planes) {
    const int step = static_cast<uint16_t>(get16());
    int dc = 0;
    stored.emplace_back();
    for (size_t i = 0; i < p.coef.size(); i += 64) {
      dc += get16();
      stored.back().push_back(dc);
      const double v = step == p.dc_step ? dc : std::round(double(dc) * step / p.dc_step);
      p.coef[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
  }
  return stored;
}

SideData crypt_dc(SideData bytes, const crypto::Key& key, const crypto::Nonce& nonce) {
  crypto::ensure_sodium();
  auto sub = keys::derive_subkey(key, nonce, "jpeg-scramble/dc");
  crypto_stream_xchacha20_xor(bytes.data(), bytes.data(), bytes.size(), nonce.data(), sub.data());
  sodium_memzero(sub.data(), sub.size());
  return bytes;
}

struct Cells {
  int cw, ch;  // a thumbnail block, in this component's coefficient blocks
};

// Checks that the block holds whole coefficient blocks of every component.
std::vector<Cells> cells_of(const std::vector<image::CoefficientPlane>& planes, int block) {
  int max_h = 1, max_v = 1;
  for (auto& p : planes) max_h = std::max(max_h, p.h_samp), max_v = std::max(max_v, p.v_samp);
  std::vector<Cells> out;
  for (size_t c = 0; c < planes.size(); ++c) {
    const int px_w = 8 * max_h / planes[c].h_samp, px_h = 8 * max_v / planes[c].v_samp;
    if (block % px_w || block % px_h)
      throw Error("jpeg-scramble: block " + std::to_string(block) + " does not hold whole " + std::to_string(px_w) +
                  "x" + std::to_string(px_h) + " px blocks of this JPEG's component " + std::to_string(c));
    out.push_back({block / px_w, block / px_h});
  }
  return out;
}

}  // namespace

JpegScramble::JpegScramble(int block) : block_(block) {
  if (block % 16) throw Error("jpeg-scramble needs a block that is a multiple of 16 (whole chroma blocks), got " +
                              std::to_string(block));
}

torch::Tensor JpegScramble::protect(const torch::Tensor&, const crypto::Key&, const crypto::Nonce&, SideData*) const {
  throw Error("jpeg-scramble protects JPEG files, not pixels (a JPEG photo, protected to a JPEG)");
}

torch::Tensor JpegScramble::restore(const torch::Tensor&, const crypto::Key&, const crypto::Nonce&,
                                    const SideData&) const {
  throw Error("jpeg-scramble restores JPEG files, not pixels");
}

std::vector<uint8_t> JpegScramble::protect_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key& key,
                                                const crypto::Nonce& nonce, SideData* side) const {
  if (!side) throw Error("jpeg-scramble keeps the original DC terms as side data: it needs somewhere to put them");
  return image::transcode_jpeg(jpeg, "JPEG", [&](std::vector<image::CoefficientPlane>& planes) {
    auto cells = cells_of(planes, block_);
    *side = crypt_dc(pack_dc(planes), key, nonce);
    for (size_t c = 0; c < planes.size(); ++c) {
      crypto::KeyStream perm(key, nonce, "jpeg-scramble/permute/" + std::to_string(c));
      crypto::KeyStream signs(key, nonce, "jpeg-scramble/signs/" + std::to_string(c));
      auto original_dc = dc_terms(planes[c]);
      flatten_dc(planes[c], cells[c].cw, cells[c].ch);
      permute(planes[c], original_dc, perm, false);
      flip_signs(planes[c], signs);
    }
  });
}

std::vector<uint8_t> JpegScramble::restore_jpeg(const std::vector<uint8_t>& jpeg, const crypto::Key& key,
                                                const crypto::Nonce& nonce, const SideData& side) const {
  return image::transcode_jpeg(jpeg, "JPEG", [&](std::vector<image::CoefficientPlane>& planes) {
    cells_of(planes, block_);
    std::vector<std::vector<int>> original_dc(planes.size());
    if (!side.empty()) original_dc = unpack_dc(crypt_dc(side, key, nonce), planes);
    for (size_t c = 0; c < planes.size(); ++c) {
      crypto::KeyStream perm(key, nonce, "jpeg-scramble/permute/" + std::to_string(c));
      crypto::KeyStream signs(key, nonce, "jpeg-scramble/signs/" + std::to_string(c));
      flip_signs(planes[c], signs);
      permute(planes[c], original_dc[c], perm, true);
    }
  });
}

}  // namespace hipp::baselines
