#pragma once
// Shared helpers for the test suite.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include "common/error.h"
#include "flow/wavelet_flow.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/wait.h>

namespace hipp::test {

inline std::string fixture(const std::string& name) { return std::string(HIPP_FIXTURES) + "/" + name; }

// A fresh, empty folder under the system temp dir, removed when the object goes.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hipp_test_" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `jpeg` with an APP1 segment after its SOI recording EXIF orientation `o` (TIFF data in
// Motorola or Intel byte order), as a camera writes it.
inline std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg, int o, bool motorola = true) {
  std::vector<uint8_t> tiff = motorola ? std::vector<uint8_t>{'M', 'M', 0, 42, 0, 0, 0, 8}
                                       : std::vector<uint8_t>{'I', 'I', 42, 0, 8, 0, 0, 0};
  auto put16 = [&](int v) {
    motorola ? tiff.insert(tiff.end(), {uint8_t(v >> 8), uint8_t(v)}) : tiff.insert(tiff.end(), {uint8_t(v), uint8_t(v >> 8)});
  };
  auto put32 = [&](int v) { motorola ? (put16(v >> 16), put16(v & 0xFFFF)) : (put16(v & 0xFFFF), put16(v >> 16)); };
  put16(2);                                                             // entries: another tag, then the orientation
  put16(0x010F), put16(2), put32(4), tiff.insert(tiff.end(), {'a', 'b', 'c', 0});  // Make: ASCII, 4, inline
  put16(0x0112), put16(3), put32(1), put16(o), put16(0);                           // Orientation: SHORT, 1
  put32(0);                                                                         // no next IFD
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  app1[2] = uint8_t((app1.size() - 2) >> 8), app1[3] = uint8_t(app1.size() - 2);
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// `jpeg` carrying `profile` as ICC APP2 segments after its JFIF segment, chunked as ICC.1 B.4
// says (and libjpeg writes): "ICC_PROFILE\0", the chunk's number from 1, the count, the chunk.
inline std::vector<uint8_t> with_icc_profile(const std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& profile) {
  constexpr size_t kChunk = 65519;
  const size_t n = (profile.size() + kChunk - 1) / kChunk;
  std::vector<uint8_t> segments;
  for (size_t i = 0; i < n; ++i) {
    const size_t len = std::min(kChunk, profile.size() - i * kChunk), total = 2 + 12 + 2 + len;
    segments.insert(segments.end(), {0xFF, 0xE2, static_cast<uint8_t>(total >> 8), static_cast<uint8_t>(total & 0xFF)});
    const char id[] = "ICC_PROFILE";
    segments.insert(segments.end(), id, id + sizeof id);
    segments.insert(segments.end(), {static_cast<uint8_t>(i + 1), static_cast<uint8_t>(n)});
    auto from = profile.begin() + static_cast<std::ptrdiff_t>(i * kChunk);
    segments.insert(segments.end(), from, from + static_cast<std::ptrdiff_t>(len));
  }
  const size_t after_jfif = 4 + (size_t(jpeg[4]) << 8 | jpeg[5]);
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(after_jfif));
  out.insert(out.end(), segments.begin(), segments.end());
  out.insert(out.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(after_jfif), jpeg.end());
  return out;
}

struct RunResult {
  int code;
  std::string output;  // stdout and stderr together
};

// Runs the hipp binary with `args` (a shell-quoted string).
inline RunResult run_hipp(const std::string& args) {
  std::string cmd = std::string(HIPP_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace hipp::test

namespace hipp::test {

// Moves every parameter off its (often zero) initial value, so tests exercise real transforms.
inline void perturb(torch::nn::Module& m, double scale) {
  torch::NoGradGuard ng;
  for (auto& p : m.parameters()) p.add_(torch::randn_like(p) * scale);
}

// log|det J| of f at x, from the Jacobian built one output row at a time by autograd.
template <typename F>
double brute_force_logdet(F&& f, const torch::Tensor& x) {
  auto xi = x.detach().clone().requires_grad_(true);
  auto y = f(xi).flatten();
  int64_t d = y.numel();
  EXPECT_EQ(d, xi.numel()) << "the map must be square";
  auto jac = torch::zeros({d, d}, x.options());
  for (int64_t i = 0; i < d; ++i) {
    auto g = torch::autograd::grad({y[i]}, {xi}, {}, /*retain_graph=*/true, false, /*allow_unused=*/true)[0];
    if (g.defined()) jac[i] = g.flatten();
  }
  return std::get<1>(torch::linalg::slogdet(jac)).item<double>();
}

}  // namespace hipp::test

namespace hipp::test {

// The message of the hipp::Error `f` throws (fails the test if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const hipp::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no hipp::Error thrown";
  return "";
}

// An array of N bytes all equal to v: readable fixed keys, nonces and salts.
template <size_t N>
std::array<uint8_t, N> filled(uint8_t v) {
  std::array<uint8_t, N> a;
  a.fill(v);
  return a;
}

// A wavelet flow small enough for unit tests (3 detail levels: blocks up to 8). ActNorm is
// left uninitialised (identity), so rounding passes through unamplified.
inline std::shared_ptr<flow::WaveletFlow> tiny_wavelet_flow() {
  torch::manual_seed(0);  // the same random weights in every test and run
  flow::WaveletConfig c;
  c.levels = 3;
  c.steps = 2;
  c.hidden = 8;
  c.cond_hidden = 4;
  c.base = flow::GlowConfig{3, 1, 2, 8, 8, flow::CouplingType::Additive, 1.0};
  auto f = std::make_shared<flow::WaveletFlow>(c);
  f->eval();
  return f;
}

}  // namespace hipp::test

#define EXPECT_ERROR_HAS(stmt, text)                                 \
  do {                                                               \
    std::string msg_ = ::hipp::test::error_of([&] { stmt; });        \
    EXPECT_NE(msg_.find(text), std::string::npos) << msg_;           \
  } while (0)

// The statement throws a hipp::Error of this kind (common/error.h).
#define EXPECT_ERROR_KIND(stmt, expected_kind)                                        \
  do {                                                                                \
    try {                                                                             \
      stmt;                                                                           \
      ADD_FAILURE() << "no hipp::Error from " #stmt;                                  \
    } catch (const ::hipp::Error& e_) {                                               \
      EXPECT_STREQ(::hipp::kind_name(e_.kind), ::hipp::kind_name(expected_kind)) << e_.what(); \
    }                                                                                 \
  } while (0)
