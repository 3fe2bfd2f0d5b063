#include "eval/evaluation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "baselines/scheme.h"
#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "container/protected_png.h"
#include "data/image_folder.h"
#include "eval/identity.h"
#include "flow/model_file.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "metrics/metrics.h"

namespace hipp::eval {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Metric columns, in CSV and table order.
const std::vector<std::string> kColumns = {
    "restore_ssim", "restore_psnr",  "thumb_psnr", "png_expansion", "jpeg90_expansion", "protect_s",
    "restore_s",    "wrongkey_ssim", "protected_ssim", "original_bpd", "protected_bpd", "identity_match",
    "identity_distance"};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Stat {
  double mean = 0, std = 0;
  int64_t n = 0;
};

Stat stat(const std::vector<double>& v) {
  Stat s;
  std::vector<double> finite;
  for (double x : v)
    if (std::isfinite(x)) finite.push_back(x);
  s.n = static_cast<int64_t>(finite.size());
  bool all_inf = !v.empty() && std::all_of(v.begin(), v.end(), [](double x) { return std::isinf(x) && x > 0; });
  if (all_inf) return {INFINITY, 0, static_cast<int64_t>(v.size())};  // e.g. PSNR of exact restorations
  if (finite.empty()) return {NAN, NAN, 0};
  for (double x : finite) s.mean += x;
  s.mean /= s.n;
  for (double x : finite) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / s.n);
  return s;
}

std::string fmt_num(double v, int prec) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return "inf";
  char b[32];
  if (std::abs(v) >= 1e4)  // e.g. bits/dim of noise-like images under a face flow
    std::snprintf(b, sizeof b, "%.3g", v);
  else
    std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

}  // namespace

std::string run_evaluation(const EvalOptions& o) {
  if (o.out.empty()) throw Error("--out is required");
  if (o.schemes.empty()) throw Error("--schemes names no scheme");
  auto device = parse_device(o.device);
  fs::create_directories(o.out);

  // Schemes: hipp with its model and block, baselines by name at the same block.
  auto model = o.model.empty() ? protect::nearest_model(o.size, o.size) : protect::resolve_model(o.model);
  int block = o.block ? o.block : 1 << model.levels;
  std::map<std::string, std::unique_ptr<baselines::Scheme>> schemes;
  for (auto& name : o.schemes) {
    if (name == "hipp") {
      auto s = protect::load_hipp(model, block, device);
      s->set_detail_scale(o.detail_scale);
      schemes[name] = std::move(s);
    } else {
      schemes[name] = baselines::make_scheme(name, block, o.params);
    }
  }
  // Naturalness: bits/dim under a Glow that HIPP does not use.
  std::shared_ptr<flow::DensityFlow> nat;
  std::string flow_path = o.flow;
  if (flow_path.empty()) {
    auto candidate = fs::path(protect::models_dir()) / ("celeba" + std::to_string(o.size) + "-glow");
    if (fs::exists(candidate)) flow_path = candidate.string();
  }
  if (!flow_path.empty()) nat = flow::load_flow(flow_path, device).flow;

  IdentityMeter faces;  // identity privacy: does a face recognizer still match protected to original?

  auto files = data::list_images(o.data);
  if (o.limit > 0 && static_cast<int64_t>(files.size()) > o.limit) files.resize(o.limit);
  auto set = data::load_images(files, o.size, o.crop, !o.quiet);
  const int64_t n = set.images.size(0);
  // Chance level of the identity metric at this framing: how often neighbouring originals
  // (mostly different people) match each other.
  auto originals_desc = faces.describe(set.images);
  double chance_match = NAN;
  if (faces.available() && n > 1) {
    auto d = faces.distances(originals_desc.roll(1, 0), set.images);
    chance_match = 0;
    for (int64_t i = 0; i < n; ++i) chance_match += IdentityMeter::matches(d[i].item<double>()) / n;
  }

  auto key = crypto::random_key(), wrong = crypto::random_key();
  std::map<std::string, std::map<std::string, std::vector<double>>> values;  // scheme -> column -> per image
  std::ofstream csv((fs::path(o.out) / "per_image.csv").string());
  csv << "image,scheme";
  for (auto& c : kColumns) csv << "," << c;
  csv << "\n";
  std::vector<torch::Tensor> grid;
  Progress progress("eval", n * static_cast<int64_t>(o.schemes.size()));
  int64_t done = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto img = set.images[i].contiguous();
    auto png_orig = image::encode_png(img).size();
    auto jpg_orig = image::encode_jpeg(img, 90).size();
    double bpd_orig = NAN;
    if (nat) {
      torch::NoGradGuard ng;
      auto x = torch::stack({img}).to(device);
      bpd_orig = flow::mean_bits_per_dim(*nat, x, 1, device);
    }
    auto desc = faces.available() ? originals_desc.slice(0, i, i + 1) : torch::Tensor();
    std::vector<torch::Tensor> row{img};
    torch::Tensor hipp_restored, hipp_wrong;
    for (auto& name : o.schemes) {
      auto& s = *schemes[name];
      container::Header h;
      h.scheme = name;
      h.block = static_cast<uint16_t>(block);
      h.nonce = crypto::random_nonce();
      if (name == "hipp") h.model_id = model.id;
      auto t0 = std::chrono::steady_clock::now();
      auto prot = s.protect(img, key, h.nonce, &h.side);
      auto file = container::write_protected_png(prot, h, key);
      double t_protect = seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      auto parsed = container::read_protected_png(file, set.paths[i]);
      container::verify(parsed, key, set.paths[i]);
      auto restored = s.restore(parsed.rgb, key, parsed.header.nonce, parsed.header.side);
      double t_restore = seconds_since(t0);
      // Wrong key, with the key-check tag bypassed: what an attacker's guess would restore. The
      // side data is encrypted (a wrong key decrypts it to random codes), so the guess leaves it
      // out: HIPP then undoes no range fit.
      auto wrong_restored = s.restore(parsed.rgb, wrong, parsed.header.nonce);
      double bpd_prot = NAN;
      if (nat) bpd_prot = flow::mean_bits_per_dim(*nat, torch::stack({prot}).to(device), 1, device);
      double id_distance = faces.distances(desc, prot)[0].item<double>();
      std::map<std::string, double> r = {
          {"restore_ssim", metrics::ssim(img, restored)},
          {"restore_psnr", metrics::psnr(img, restored)},
          {"thumb_psnr", metrics::thumbnail_psnr(img, prot, block)},
          {"png_expansion", static_cast<double>(file.size()) / png_orig},
          {"jpeg90_expansion", static_cast<double>(image::encode_jpeg(prot, 90).size()) / jpg_orig},
          {"protect_s", t_protect},
          {"restore_s", t_restore},
          {"wrongkey_ssim", metrics::ssim(img, wrong_restored)},
          {"protected_ssim", metrics::ssim(img, prot)},
          {"original_bpd", bpd_orig},
          {"protected_bpd", bpd_prot},
          {"identity_match", IdentityMeter::matches(id_distance)},
          {"identity_distance", id_distance}};
      csv << fs::path(set.paths[i]).filename().string() << "," << name;
      for (auto& c : kColumns) {
        csv << "," << fmt_num(r[c], 6);
        values[name][c].push_back(r[c]);
      }
      csv << "\n";
      row.push_back(prot);
      if (name == "hipp") {
        hipp_restored = restored;
        hipp_wrong = wrong_restored;
      }
      if (!o.quiet) progress.update(++done);
    }
    if (hipp_restored.defined()) {
      row.push_back(hipp_restored);
      row.push_back(hipp_wrong);
    }
    if (i < o.grid_rows) grid.insert(grid.end(), row.begin(), row.end());
  }
  if (!o.quiet) progress.finish();
  csv.close();

  // Summary: mean and spread per scheme.
  json summary = {{"images", n},        {"size", o.size},   {"block", block},
                  {"hipp_model", model.name}, {"naturalness_flow", flow_path}, {"data", o.data},
                  {"device", o.device}, {"schemes", json::object()}};
  std::string md = "| scheme |";
  for (auto& c : kColumns) md += " " + c + " |";
  md += "\n|---|";
  for (size_t k = 0; k < kColumns.size(); ++k) md += "---:|";
  md += "\n";
  for (auto& name : o.schemes) {
    md += "| " + name + (name == "hipp" ? " (" + model.name + ")" : "") + " |";
    for (auto& c : kColumns) {
      auto s = stat(values[name][c]);
      auto num = [](double x) { return std::isfinite(x) ? json(x) : std::isinf(x) ? json("inf") : json(nullptr); };
      summary["schemes"][name][c] = {{"mean", num(s.mean)},
                                     {"std", num(s.std)},
                                     {"n", s.n}};
      int prec = c.find("_s") == c.size() - 2 ? 4 : (c.find("psnr") != std::string::npos ? 2 : 4);
      bool spread = s.n > 1 && std::isfinite(s.mean);
      md += " " + fmt_num(s.mean, prec) + (spread ? " ± " + fmt_num(s.std, prec) : "") + " |";
    }
    md += "\n";
  }
  md += "\n" + std::to_string(n) + " images at " + std::to_string(o.size) + "x" + std::to_string(o.size) +
        ", block " + std::to_string(block) + ", device " + o.device +
        ". Expansion: protected file bytes / original bytes in the same format (PNG: the protected PNG with its "
        "hipp chunk; JPEG quality 90: both re-encoded). Thumbnail PSNR: block averages of protected vs original. "
        "wrongkey_ssim: restoration with a random wrong key (key check bypassed) vs original. identity_match: share of "
        "protected images whose face descriptor (dlib ResNet-34) lies within 0.6 of the original's. bpd: bits/dim under " +
        (flow_path.empty() ? std::string("(no naturalness flow found)") : flow_path) + ".\n";
  if (!std::isnan(chance_match)) {
    summary["identity_chance_match"] = chance_match;
    md += "Identity chance level at this framing: neighbouring originals (mostly different people) match " +
          fmt_num(100 * chance_match, 1) + "% of the time.\n";
  }
  auto s = summary.dump(2) + "\n";
  write_file_atomic((fs::path(o.out) / "summary.json").string(), std::vector<uint8_t>(s.begin(), s.end()));
  write_file_atomic((fs::path(o.out) / "summary.md").string(), std::vector<uint8_t>(md.begin(), md.end()));
  if (!grid.empty()) {
    int cols = 1 + static_cast<int>(o.schemes.size()) + (schemes.count("hipp") ? 2 : 0);
    image::save_png((fs::path(o.out) / "grid.png").string(), image::make_grid(torch::stack(grid), cols));
  }
  return md;
}

}  // namespace hipp::eval
