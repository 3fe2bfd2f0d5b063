#include "baselines/jpeg_dct.h"

#ifdef HIPP_WITH_OPENCV
#include <opencv2/core.hpp>
#endif

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace hipp::baselines {

namespace jpeg {

namespace {

// ITU-T T.81 Annex K, tables K.1 and K.2.
constexpr std::array<int, 64> kLuminance = {
    16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,  14, 13, 16, 24, 40,  57,
    69, 56, 14, 17, 22,  29,  51,  87,  80, 62, 18, 22, 37,  56,  68,  109, 103, 77, 24, 35, 55, 64,
    81, 104, 113, 92, 49, 64,  78,  87,  103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
constexpr std::array<int, 64> kChrominance = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99,
    99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

using Block = std::array<float, 64>;  // row-major 8x8

#ifdef HIPP_WITH_OPENCV
// OpenCV's orthonormal DCT-II (the scale of JPEG's FDCT). The frozen drpe and tpe-lsb vectors
// were written with it: its float rounding decides their restored pixels.
Block transform(const Block& in, bool forward) {
  cv::Mat1f src(8, 8, const_cast<float*>(in.data())), dst;
  forward ? cv::dct(src, dst) : cv::idct(src, dst);
  Block out;
  std::copy(dst.begin(), dst.end(), out.begin());
  return out;
}
#else
// The portable build's DCT: the same transform in double, D[u][x] = a(u) cos((2x+1) u pi / 16).
// Its rounding differs from OpenCV's, so drpe and tpe-lsb files (approximate schemes) may
// restore a grey level apart in rare pixels between the two builds.
const std::array<double, 64>& basis() {
  static const std::array<double, 64> d = [] {
    std::array<double, 64> m{};
    for (int u = 0; u < 8; ++u)
      for (int x = 0; x < 8; ++x)
        m[u * 8 + x] = (u == 0 ? std::sqrt(0.125) : 0.5) * std::cos((2 * x + 1) * u * M_PI / 16);
    return m;
  }();
  return d;
}

// out = D in D^T (forward) or D^T in D (inverse).
Block transform(const Block& in, bool forward) {
  const auto& d = basis();
  auto at = [&](int i, int j) { return forward ? d[i * 8 + j] : d[j * 8 + i]; };
  std::array<double, 64> tmp{};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j)
      for (int k = 0; k < 8; ++k) tmp[i * 8 + j] += at(i, k) * in[k * 8 + j];
  Block out{};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double v = 0;
      for (int k = 0; k < 8; ++k) v += tmp[i * 8 + k] * at(j, k);
      out[i * 8 + j] = static_cast<float>(v);
    }
  return out;
}
#endif

}  // namespace

std::array<int, 64> quant_table(int quality, bool chroma) {
  if (quality < 1 || quality > 100) throw Error("JPEG quality must be 1..100, got " + std::to_string(quality));
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  std::array<int, 64> q = chroma ? kChrominance : kLuminance;
  for (int& v : q) v = std::clamp((v * scale + 50) / 100, 1, 255);
  return q;
}

Coefficients forward(const torch::Tensor& rgb, int quality) {
  const std::array<std::array<int, 64>, 3> q = {quant_table(quality, false), quant_table(quality, true),
                                                quant_table(quality, true)};
  auto px = rgb.accessor<uint8_t, 3>();
  Coefficients out;
  out.rows = rgb.size(1) / 8;
  out.cols = rgb.size(2) / 8;
  for (auto& c : out.coef) c.resize(static_cast<size_t>(out.rows * out.cols * 64));
  Block ycc[3];
  for (int64_t r = 0; r < out.rows; ++r)
    for (int64_t k = 0; k < out.cols; ++k) {
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          const float R = px[0][r * 8 + y][k * 8 + x], G = px[1][r * 8 + y][k * 8 + x], B = px[2][r * 8 + y][k * 8 + x];
          // JFIF's full-range BT.601, level-shifted by 128 for the DCT.
          ycc[0][y * 8 + x] = 0.299f * R + 0.587f * G + 0.114f * B - 128.f;
          ycc[1][y * 8 + x] = -0.168736f * R - 0.331264f * G + 0.5f * B;
          ycc[2][y * 8 + x] = 0.5f * R - 0.418688f * G - 0.081312f * B;
        }
      for (int c = 0; c < 3; ++c) {
        const Block freq = transform(ycc[c], true);
        int* dst = out.coef[c].data() + (r * out.cols + k) * 64;
        for (int f = 0; f < 64; ++f) dst[f] = static_cast<int>(std::lround(freq[f] / q[c][f]));
      }
    }
  return out;
}

void inverse(const Coefficients& in, int quality, torch::Tensor& rgb) {
  const std::array<std::array<int, 64>, 3> q = {quant_table(quality, false), quant_table(quality, true),
                                                quant_table(quality, true)};
  auto px = rgb.accessor<uint8_t, 3>();
  Block freq, ycc[3];
  auto to_u8 = [](float v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); };
  for (int64_t r = 0; r < in.rows; ++r)
    for (int64_t k = 0; k < in.cols; ++k) {
      for (int c = 0; c < 3; ++c) {
        const int* src = in.coef[c].data() + (r * in.cols + k) * 64;
        for (int f = 0; f < 64; ++f) freq[f] = static_cast<float>(src[f] * q[c][f]);
        ycc[c] = transform(freq, false);
      }
      for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
          const float Y = ycc[0][y * 8 + x] + 128.f, Cb = ycc[1][y * 8 + x], Cr = ycc[2][y * 8 + x];
          px[0][r * 8 + y][k * 8 + x] = to_u8(Y + 1.402f * Cr);
          px[1][r * 8 + y][k * 8 + x] = to_u8(Y - 0.344136f * Cb - 0.714136f * Cr);
          px[2][r * 8 + y][k * 8 + x] = to_u8(Y + 1.772f * Cb);
        }
    }
}

}  // namespace jpeg

DctGroupScheme::DctGroupScheme(int block, int quality) : block_(block), quality_(quality) {
  if (block < 16 || block % 8 != 0)
    throw Error("the JPEG-domain TPE schemes need a thumbnail block that is a multiple of 8 and at least 16, got " +
                std::to_string(block) + " (at 8 each coefficient group holds one value: nothing would be encrypted)");
  jpeg::quant_table(quality, false);  // validates the quality now rather than at first use
}

torch::Tensor DctGroupScheme::protect(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                                      SideData* side) const {
  if (side) side->clear();
  return apply(rgb, key, nonce, false);
}

torch::Tensor DctGroupScheme::restore(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                                      const SideData& side) const {
  scheme::expect_no_side(side, name());
  return apply(rgb, key, nonce, true);
}

torch::Tensor DctGroupScheme::apply(const torch::Tensor& rgb, const crypto::Key& key, const crypto::Nonce& nonce,
                                    bool inverse) const {
  auto img = scheme::checked_copy(rgb);
  auto coef = jpeg::forward(img, quality_);
  const int64_t per = block_ / 8;  // 8x8 blocks per thumbnail block side
  const int64_t tcols = (coef.cols + per - 1) / per;
  std::vector<int> group;
  for (int c = 0; c < 3; ++c)
    for (int64_t tr = 0; tr * per < coef.rows; ++tr)
      for (int64_t tc = 0; tc < tcols; ++tc) {
        const std::string id = std::to_string(c) + "/" + std::to_string(tr * tcols + tc);
        crypto::KeyStream ks(key, nonce, name() + "/" + id), fixup(key, nonce, name() + "/fixup/" + id);
        // The 8x8 blocks of this thumbnail block; those at the image's edge may be fewer.
        std::vector<int64_t> blocks;
        for (int64_t r = tr * per; r < std::min(coef.rows, (tr + 1) * per); ++r)
          for (int64_t k = tc * per; k < std::min(coef.cols, (tc + 1) * per); ++k) blocks.push_back(r * coef.cols + k);
        for (int f = 0; f < 64; ++f) {
          group.clear();
          for (int64_t b : blocks) group.push_back(coef.coef[c][b * 64 + f]);
          if (inverse)
            decrypt_group(group, f, ks);
          else
            encrypt_group(group, f, ks, fixup);
          for (size_t i = 0; i < blocks.size(); ++i) coef.coef[c][blocks[i] * 64 + f] = group[i];
        }
      }
  jpeg::inverse(coef, quality_, img);
  return img;
}

}  // namespace hipp::baselines
