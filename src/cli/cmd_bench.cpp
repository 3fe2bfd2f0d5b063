// hipp bench: seconds per image to protect and restore, per scheme, on this machine and device
// (pixels in and out, as `hipp eval` times them, without file I/O), with and without protect's
// restoration check, and the process's peak memory. Google Benchmark's build/hipp_bench covers
// the same ground for developers; this is the user-facing number.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "repair/checked.h"
#include "scheme/registry.h"

namespace hipp::cli {
namespace fs = std::filesystem;

namespace {

struct Args {
  std::string size = "64", model, image;
  std::vector<std::string> schemes;
  int block = 0, thumbnail = scheme::kDefaultThumbnail, repeat = 5;
};

// "N" (square) or "WxH".
std::pair<int, int> parse_size(const std::string& s) {
  auto x = s.find('x');
  try {
    size_t used = 0;
    int w = std::stoi(s.substr(0, x), &used);
    int h = x == std::string::npos ? w : std::stoi(s.substr(x + 1));
    if (w >= 8 && h >= 8 && w <= 16384 && h <= 16384) return {w, h};
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::usage, "--size " + s + ": expected N or WxH, 8..16384 px");
}

// The photo bench resizes: --image, else the bundled example, else noise (the hardest case for
// the restoration check).
torch::Tensor bench_image(const std::string& path, int w, int h, std::string& what) {
  auto example = fs::path(protect::models_dir()).parent_path() / "examples" / "bsds_100007.jpg";
  std::string file = !path.empty() ? path : fs::exists(example) ? example.string() : "";
  if (file.empty()) {
    what = "uniform noise";
    torch::manual_seed(0);
    return torch::randint(0, 256, {3, h, w}, torch::kUInt8);
  }
  what = fs::path(file).filename().string() + " resized";
  return image::resize(image::load(file), w, h);
}

double median_seconds(int repeat, const std::function<void()>& f) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

void run_bench(const Args& a, const Globals& g) {
  auto device = parse_device(g.device);
  auto [w, h] = parse_size(a.size);
  std::vector<std::string> names = a.schemes.empty() ? scheme::names() : a.schemes;
  std::vector<scheme::Resolved> resolved;
  for (auto& name : names) {  // a bad --block or model is the user's error, not a skip
    scheme::Request q;
    q.name = name;
    q.block = a.block;
    q.thumbnail = a.thumbnail;
    q.model = a.model;
    resolved.push_back(scheme::resolve(q, h, w));
  }
  const std::string models = scheme::model_names(resolved);
  std::string what;
  auto img = bench_image(a.image, w, h, what);
  auto key = crypto::random_key();
  auto nonce = crypto::random_nonce();
  std::printf("%dx%d (%s), device %s, %s; median of %d runs after a warm-up\n", w, h, what.c_str(),
              g.device.c_str(), models.empty() ? "no model" : models.c_str(), a.repeat);
  // protect_s is what `hipp protect` spends: the scheme plus its restoration check (repair/checked.h).
  std::printf("%-13s %6s %12s %12s %12s\n", "scheme", "block", "protect_s", "unchecked_s", "restore_s");
  for (auto& r : resolved) {
    std::unique_ptr<scheme::Scheme> s;
    const int block = r.block;
    try {
      s = scheme::make(r, device);
    } catch (const Error& e) {  // e.g. drpe at block 8: say why and time the others
      if (r.model) throw;       // a model that does not load is the user's error
      std::printf("%-13s skipped: %s\n", r.name.c_str(), e.what());
      continue;
    }
    container::Header hd;
    hd.block = static_cast<uint16_t>(block);
    hd.model_id = r.model_id();
    hd.nonce = nonce;
    if (s->jpeg_native()) {  // timed on the photo as a quality-90 JPEG, file to file
      hd.scheme = s->name();
      auto jpeg = image::encode_jpeg(img, 90);
      repair::FileFormat ff{true, {}};
      double tc = median_seconds(a.repeat, [&] { repair::protect_file(*s, img, key, hd, {}, ff, nullptr, jpeg); });
      scheme::SideData side;
      double tp = median_seconds(a.repeat, [&] { s->protect_jpeg(jpeg, key, nonce, &side); });
      auto prot = s->protect_jpeg(jpeg, key, nonce, &side);
      double tr = median_seconds(a.repeat, [&] { image::decode(s->restore_jpeg(prot, key, nonce, side), "bench"); });
      std::printf("%-13s %6d %12.4f %12.4f %12.4f\n", s->name().c_str(), block, tc, tp, tr);
      continue;
    }
    auto prot = repair::protect_checked(*s, img, key, hd, {});
    container::Parsed parsed{hd, prot};
    double tc = median_seconds(a.repeat, [&] { repair::protect_checked(*s, img, key, hd, {}); });
    double tp = median_seconds(a.repeat, [&] { s->protect(img, key, nonce, &hd.side); });
    double tr = median_seconds(a.repeat, [&] { repair::restore_checked(*s, parsed, key, "bench"); });
    std::printf("%-13s %6d %12.4f %12.4f %12.4f\n", s->name().c_str(), block, tc, tp, tr);
  }
  std::printf("peak memory (RSS) of this run: %.0f MiB\n", peak_rss_mib());
}

}  // namespace

void add_bench_commands(CLI::App& app, Globals& g) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("bench", "time protect and restore per image for hipp and the baselines");
  cmd->add_option("--size", a->size, "image size: N (square) or WxH, e.g. 1024 (1 MP) or 4032x3024 (12 MP)")
      ->default_val("64");
  cmd->add_option("--image", a->image, "photo to time, resized to --size (default: the bundled example photo)");
  cmd->add_option("--scheme", a->schemes, "schemes to time (default: hipp and every baseline)")
      ->check(CLI::IsMember(scheme::names()));
  cmd->add_option("--model", a->model, "hipp's wavelet flow (default: the shipped one nearest --size)");
  cmd->add_option("--block", a->block, "block size (default: as hipp protect picks it)");
  cmd->add_option("--thumbnail", a->thumbnail, "longest thumbnail side in blocks when --block is not given")
      ->default_val(a->thumbnail)->check(CLI::Range(1, 65535));
  cmd->add_option("--repeat", a->repeat, "timed runs per scheme (after one warm-up)")->default_val(5)
      ->check(CLI::Range(1, 1000));
  cmd->callback([a, &g] {
    apply_globals(g);
    run_bench(*a, g);
  });
}

}  // namespace hipp::cli
