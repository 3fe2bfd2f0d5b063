// Google Benchmark: HIPP protect and restore of one image with the default shipped models
// (celeba64-hipp at 64x64, block 8; celeba128-wavelet at 128x128, block 16), pixels in and
// out, without file I/O. CPU unless HIPP_BENCH_DEVICE=cuda.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "common/device.h"
#include "crypto/keystream.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"

namespace {

struct HippSetup {
  std::unique_ptr<hipp::protect::HippScheme> scheme;
  torch::Tensor img, prot;
  hipp::protect::SideData side;  // the range fit, as hipp protect stores it
  hipp::crypto::Key key = hipp::crypto::random_key();
  hipp::crypto::Nonce nonce = hipp::crypto::random_nonce();
};

HippSetup make_hipp(int size) {
  const char* dev = std::getenv("HIPP_BENCH_DEVICE");
  auto device = hipp::parse_device(dev ? dev : "cpu");
  hipp::disable_tf32();
  auto m = hipp::protect::nearest_model(size, size);
  HippSetup s;
  s.scheme = hipp::protect::load_hipp(m, 1 << m.levels, device);
  torch::manual_seed(0);
  s.img = torch::randint(0, 256, {3, size, size}, torch::kUInt8);
  s.prot = s.scheme->protect(s.img, s.key, s.nonce, &s.side);
  return s;
}

void BM_HippProtect(benchmark::State& state) {
  auto s = make_hipp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(s.scheme->protect(s.img, s.key, s.nonce, &s.side).data_ptr());
  state.SetItemsProcessed(state.iterations());
}

void BM_HippRestore(benchmark::State& state) {
  auto s = make_hipp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(s.scheme->restore(s.prot, s.key, s.nonce, s.side).data_ptr());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_HippProtect)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HippRestore)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);

}  // namespace
