// hipp bench: seconds per image to protect and restore, per scheme, on this machine and device
// (pixels in and out, as `hipp eval` times them, without file I/O), with and without protect's
// restoration check. Google Benchmark's
// build/hipp_bench covers the same ground for developers; this is the user-facing number.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "baselines/scheme.h"
#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "repair/checked.h"

namespace hipp::cli {

void add_bench_commands(CLI::App& app, Globals& g) {
  struct Args {
    int size = 64, block = 0, repeat = 5;
    std::string model;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("bench", "time protect and restore per image for hipp and the baselines");
  cmd->add_option("--size", a->size, "square image size")->default_val(64)->check(CLI::Range(8, 8192));
  cmd->add_option("--model", a->model, "hipp's wavelet flow (default: the shipped one nearest --size)");
  cmd->add_option("--block", a->block, "block size (default: the hipp model's largest)");
  cmd->add_option("--repeat", a->repeat, "timed runs per scheme (after one warm-up)")->default_val(5)
      ->check(CLI::Range(1, 1000));
  cmd->callback([a, &g] {
    apply_globals(g);
    auto device = parse_device(g.device);
    auto m = a->model.empty() ? protect::nearest_model(a->size, a->size) : protect::resolve_model(a->model);
    int block = a->block ? a->block : 1 << m.levels;
    std::vector<std::unique_ptr<baselines::Scheme>> schemes;
    schemes.push_back(protect::load_hipp(m, block, device));
    for (auto& name : baselines::kSchemeNames) {
      try {
        schemes.push_back(baselines::make_scheme(name, block));
      } catch (const Error& e) {  // e.g. drpe at block 8: say why and time the others
        std::printf("%-10s skipped: %s\n", name.c_str(), e.what());
      }
    }
    torch::manual_seed(0);
    auto img = torch::randint(0, 256, {3, a->size, a->size}, torch::kUInt8);
    auto key = crypto::random_key();
    auto nonce = crypto::random_nonce();
    std::printf("%dx%d, block %d, device %s, %s; median of %d runs after a warm-up\n", a->size, a->size, block,
                g.device.c_str(), m.name.c_str(), a->repeat);
    // protect_s is what `hipp protect` spends: the scheme plus its restoration check (repair/checked.h).
    std::printf("%-10s %12s %12s %12s\n", "scheme", "protect_s", "unchecked_s", "restore_s");
    for (auto& s : schemes) {
      auto time = [&](auto&& f) {
        f();
        std::vector<double> t;
        for (int i = 0; i < a->repeat; ++i) {
          auto t0 = std::chrono::steady_clock::now();
          f();
          t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
        return t[t.size() / 2];
      };
      container::Header h;
      h.block = static_cast<uint16_t>(block);
      h.nonce = nonce;
      torch::Tensor prot = repair::protect_checked(*s, img, key, h, {});
      container::Parsed parsed{h, prot};
      double tc = time([&] { repair::protect_checked(*s, img, key, h, {}); });
      double tp = time([&] { s->protect(img, key, nonce, &h.side); });
      double tr = time([&] { repair::restore_checked(*s, parsed, key, "bench"); });
      std::printf("%-10s %12.4f %12.4f %12.4f\n", s->name().c_str(), tc, tp, tr);
    }
  });
}

}  // namespace hipp::cli
