// Google Benchmark: Glow encode/decode time per batch on this machine's CPU (or CUDA if
// HIPP_BENCH_DEVICE=cuda). Weights are random: speed does not depend on their values.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "common/device.h"
#include "flow/glow.h"

namespace {

struct Setup {
  std::shared_ptr<hipp::flow::Glow> glow;
  torch::Tensor x;
  torch::Device device = torch::kCPU;
};

Setup make(int64_t batch, int64_t size, int steps, int hidden) {
  const char* dev = std::getenv("HIPP_BENCH_DEVICE");
  Setup s;
  s.device = hipp::parse_device(dev ? dev : "cpu");
  hipp::disable_tf32();
  hipp::flow::GlowConfig c;
  c.levels = size >= 128 ? 4 : 3;
  c.steps = steps;
  c.hidden = hidden;
  s.glow = std::make_shared<hipp::flow::Glow>(c);
  s.glow->to(s.device);
  s.glow->eval();
  s.x = torch::rand({batch, 3, size, size}, torch::TensorOptions().device(s.device)) - 0.5;
  return s;
}

void sync(const Setup& s) {
  if (s.device.is_cuda()) s.x.sum().item<float>();  // waits for queued kernels
}

void BM_GlowEncode(benchmark::State& state) {
  auto s = make(state.range(0), state.range(1), static_cast<int>(state.range(2)), static_cast<int>(state.range(3)));
  torch::NoGradGuard ng;
  for (auto _ : state) {
    auto enc = s.glow->encode(s.x);
    benchmark::DoNotOptimize(enc.z.back().data_ptr());
    sync(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_GlowDecode(benchmark::State& state) {
  auto s = make(state.range(0), state.range(1), static_cast<int>(state.range(2)), static_cast<int>(state.range(3)));
  torch::NoGradGuard ng;
  auto z = s.glow->encode(s.x).z;
  for (auto _ : state) {
    auto x = s.glow->decode(z);
    benchmark::DoNotOptimize(x.data_ptr());
    sync(s);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Args: batch, size, steps per level, hidden channels.
BENCHMARK(BM_GlowEncode)->Args({1, 64, 8, 96})->Args({16, 64, 8, 96})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GlowDecode)->Args({1, 64, 8, 96})->Args({16, 64, 8, 96})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  hipp::keep_freed_memory();  // as every hipp binary does
  hipp::set_threads(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
