// Google Benchmark: HIPP protect and restore of one image with the default shipped model and
// block for its size, as `hipp protect` picks them (celeba64-hipp at 64x64, block 8;
// celeba128-wavelet at 128x128, block 16; photos64-wavelet at 1 MP, block 16, and at 12 MP,
// block 64), pixels in and out, without file I/O; the bundled example photo resized. Protect
// with and without the restoration check. CPU unless HIPP_BENCH_DEVICE=cuda.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "common/device.h"
#include "crypto/keystream.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "repair/checked.h"

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
  s.scheme = hipp::protect::load_hipp(m, hipp::scheme::thumbnail_block(size, size, 1 << m.levels), device);
  auto example = std::filesystem::path(hipp::protect::models_dir()).parent_path() / "examples" / "bsds_100007.jpg";
  s.img = hipp::image::resize(hipp::image::load(example.string()), size, size);
  s.prot = s.scheme->protect(s.img, s.key, s.nonce, &s.side);
  return s;
}

void BM_HippProtect(benchmark::State& state) {
  auto s = make_hipp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(s.scheme->protect(s.img, s.key, s.nonce, &s.side).data_ptr());
  state.SetItemsProcessed(state.iterations());
}

void BM_HippProtectChecked(benchmark::State& state) {
  auto s = make_hipp(static_cast<int>(state.range(0)));
  hipp::container::Header h;
  h.block = static_cast<uint16_t>(s.scheme->block());
  h.nonce = s.nonce;
  for (auto _ : state) benchmark::DoNotOptimize(hipp::repair::protect_checked(*s.scheme, s.img, s.key, h, {}).data_ptr());
  state.SetItemsProcessed(state.iterations());
}

void BM_HippRestore(benchmark::State& state) {
  auto s = make_hipp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(s.scheme->restore(s.prot, s.key, s.nonce, s.side).data_ptr());
  state.SetItemsProcessed(state.iterations());
}

// 3464x3464 is 12 MP.
BENCHMARK(BM_HippProtect)->Arg(64)->Arg(128)->Arg(1024)->Arg(3464)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HippProtectChecked)->Arg(64)->Arg(128)->Arg(1024)->Arg(3464)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HippRestore)->Arg(64)->Arg(128)->Arg(1024)->Arg(3464)->Unit(benchmark::kMillisecond);

}  // namespace
