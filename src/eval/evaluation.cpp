#include "eval/evaluation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/device.h"
#include "common/error.h"
#include "common/progress.h"
#include "container/protected_jpeg.h"
#include "container/protected_png.h"
#include "data/image_folder.h"
#include "eval/identity.h"
#include "flow/model_file.h"
#include "hipp/models.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "metrics/naturalness.h"
#include "repair/checked.h"
#include "scheme/registry.h"
#include "service/content.h"
#include "service/protector.h"

namespace hipp::eval {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Metric columns, in CSV and table order. JPEG mode compares JPEG with JPEG and adds what a
// photo service's recompression (at quality 85 and 75, the hipp segments kept) leaves.
constexpr int kRequalities[] = {85, 75};
std::vector<std::string> columns(bool jpeg) {
  std::vector<std::string> c = {"restore_ssim", "restore_psnr", "repair_rate", "unrepaired_min_block_psnr", "thumb_psnr"};
  if (jpeg) {
    c.insert(c.end(), {"jpeg_expansion", "protected_quality"});
    for (int q : kRequalities) c.insert(c.end(), {fmt::format("requality{}_ssim", q), fmt::format("requality{}_psnr", q)});
  } else {
    c.insert(c.end(), {"png_expansion", "jpeg90_expansion"});
  }
  for (auto n : {"protect_s", "restore_s", "wrongkey_ssim", "protected_ssim", "original_bpd", "protected_bpd",
                 "original_brisque", "protected_brisque", "original_face_detected", "protected_face_detected",
                 "original_face_found", "protected_face_found",
                 "identity_match", "identity_distance"})
    c.push_back(n);
  return c;
}

// The protected JPEG as a photo service recompresses it at quality q (4:2:0), keeping the hipp
// segments, restored as `hipp restore` would (approximately: its pixel tag no longer holds).
// `decoded`: the protected file's pixels, as read for the restoration already.
torch::Tensor restore_requality(const scheme::Scheme& s, const std::vector<uint8_t>& file,
                                const torch::Tensor& decoded, int q, const crypto::Key& key, const std::string& name) {
  image::JpegSettings js;
  js.quality = q;
  auto again = container::add_segments(image::encode_jpeg(decoded, js), *container::find_segments(file));
  auto parsed = container::read_protected(again, name);
  container::verify(parsed, key, name);
  return repair::restore_checked(s, parsed, key, name);
}

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

// The q-quantile by nearest rank (+infinity, an exact restoration, sorts last).
double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[rank ? rank - 1 : 0];
}

// Each file's set: the --data entry it was listed under.
std::vector<std::string> files_by_set(const EvalOptions& o, std::vector<int>& set_of) {
  std::vector<std::string> files;
  for (size_t d = 0; d < o.data.size(); ++d) {
    auto in_set = data::list_images({o.data[d]});
    if (o.limit > 0 && static_cast<int64_t>(in_set.size()) > o.limit) in_set.resize(o.limit);
    files.insert(files.end(), in_set.begin(), in_set.end());
    set_of.insert(set_of.end(), in_set.size(), static_cast<int>(d));
  }
  return files;
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

json json_num(double x) { return std::isfinite(x) ? json(x) : std::isinf(x) ? json("inf") : json(nullptr); }

// Mean, 5th percentile and minimum of one metric over a set.
struct Spread {
  double mean, p5, min;
  explicit Spread(const std::vector<double>& v) : mean(stat(v).mean), p5(quantile(v, 0.05)), min(quantile(v, 0)) {}
  nlohmann::json json() const { return {{"mean", json_num(mean)}, {"p5", json_num(p5)}, {"min", json_num(min)}}; }
  std::string md(int prec) const { return fmt_num(mean, prec) + " | " + fmt_num(p5, prec) + " | " + fmt_num(min, prec); }
};

using Values = std::map<std::string, std::map<std::string, std::vector<double>>>;  // scheme -> column -> per image

// Restoration per set and scheme: mean, 5th percentile and minimum (a mean hides the lost photo).
std::string per_set_section(const EvalOptions& o, const std::vector<int>& set_of, Values& values, json& summary) {
  std::string md = o.jpeg ? "\n| set | scheme | images | restore PSNR mean | p5 | min | restore SSIM mean | p5 | min | "
                            "repaired blocks | JPEG expansion | max | thumbnail PSNR min | recompressed q85 SSIM "
                            "mean | p5 | min | protected quality mean | min |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
                            "---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                          : "\n| set | scheme | images | restore PSNR mean | p5 | min | restore SSIM mean | p5 | min | "
                            "repaired blocks | PNG expansion |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t d = 0; d < o.data.size(); ++d)
    for (auto& name : o.schemes) {
      auto pick = [&](const std::string& col) {
        std::vector<double> v;
        for (size_t i = 0; i < set_of.size(); ++i)
          if (set_of[i] == static_cast<int>(d)) v.push_back(values[name][col][i]);
        return v;
      };
      auto psnr = pick("restore_psnr");
      if (psnr.empty()) continue;
      const Spread p(psnr), q(pick("restore_ssim"));
      const char* exp_col = o.jpeg ? "jpeg_expansion" : "png_expansion";
      double rate = stat(pick("repair_rate")).mean;
      const Spread expansion(pick(exp_col));
      auto& js = summary["sets"][o.data[d]][name];
      js = {{"images", psnr.size()}, {"restore_psnr", p.json()}, {"restore_ssim", q.json()},
            {"repair_rate", json_num(rate)}, {exp_col, json_num(expansion.mean)}};
      md += "| " + o.data[d] + " | " + name + " | " + std::to_string(psnr.size()) + " | " + p.md(2) + " | " + q.md(4) +
            " | " + fmt_num(100 * rate, 2) + "% | " + fmt_num(expansion.mean, 3);
      if (o.jpeg) {  // the JPEG bars are per image: the worst expansion, thumbnail and recompression
        const Spread thumb(pick("thumb_psnr")), re85(pick("requality85_ssim")), pq(pick("protected_quality"));
        auto sizes = pick(exp_col);
        const double largest = *std::max_element(sizes.begin(), sizes.end());
        js["jpeg_expansion_max"] = json_num(largest);
        js["thumb_psnr"] = thumb.json();
        js["requality85_ssim"] = re85.json();
        js["protected_quality"] = pq.json();
        md += " | " + fmt_num(largest, 3) + " | " + fmt_num(thumb.min, 2) + " | " + re85.md(4) + " | " +
              fmt_num(pq.mean, 1) + " | " + fmt_num(pq.min, 0);
      }
      md += " |\n";
    }
  return md;
}

// What the set shows, for the default model as `hipp protect` would pick it: --content, else,
// where it matters, what most originals show (service/content.h).
protect::Content set_content(const EvalOptions& o, const torch::Tensor& images) {
  if (o.content != "auto") return protect::parse_content(o.content);
  if (!o.model.empty() || !service::content_matters(o.size, o.size)) return protect::Content::unknown;
  service::ContentJudge judge;
  if (!judge.available()) return protect::Content::unknown;
  int64_t faces = 0;
  for (int64_t i = 0; i < images.size(0); ++i) faces += judge.judge(images[i]) == protect::Content::faces;
  spdlog::info("eval: {} of {} originals are face photos", faces, images.size(0));
  return 2 * faces > images.size(0) ? protect::Content::faces : protect::Content::photos;
}

}  // namespace

std::string run_evaluation(const EvalOptions& o) {
  if (o.out.empty()) throw Error(ErrorKind::usage, "--out is required");
  if (o.schemes.empty()) throw Error(ErrorKind::usage, "--schemes names no scheme");
  auto device = parse_device(o.device);
  fs::create_directories(o.out);

  // Naturalness: bits/dim under a Glow that HIPP does not use.
  std::shared_ptr<flow::DensityFlow> nat;
  std::string flow_path = o.flow == "none" ? "" : o.flow;
  if (o.flow.empty()) {
    auto candidate = fs::path(protect::models_dir()) / ("celeba" + std::to_string(o.size) + "-glow");
    if (fs::exists(candidate)) flow_path = candidate.string();
  }
  if (!flow_path.empty()) nat = flow::load_flow(flow_path, device).flow;

  IdentityMeter faces;  // identity privacy: does a face recognizer still match protected to original?
  const metrics::NaturalnessMeter looks;  // BRISQUE and a face detector, on originals and protected images
  if (!looks.available()) spdlog::warn("eval: no BRISQUE or face detection: {}", looks.missing());

  std::vector<int> set_of;
  auto files = files_by_set(o, set_of);
  auto set = data::load_images(files, o.size, o.crop, !o.quiet);
  if (set.paths.size() != files.size()) {  // unreadable files were skipped: find each kept one's set
    std::map<std::string, int> by_path;
    for (size_t i = 0; i < files.size(); ++i) by_path[files[i]] = set_of[i];
    set_of.clear();
    for (auto& p : set.paths) set_of.push_back(by_path[p]);
  }
  const int64_t n = set.images.size(0);

  // Every scheme at one block, for a fair comparison: --block, else the first scheme's default
  // (hipp's: its model's largest trained block).
  const auto content = set_content(o, set.images);
  std::vector<scheme::Resolved> resolved;
  int block = o.block;
  for (auto& name : o.schemes) {
    scheme::Request q;
    q.name = name;
    q.block = block;
    q.model = o.model;
    q.params = o.params;
    q.content = content;
    if (scheme::uses_model(name)) q.detail_scale = o.detail_scale;
    resolved.push_back(scheme::resolve(q, o.size, o.size));
    block = resolved.back().block;
  }
  std::map<std::string, std::unique_ptr<scheme::Scheme>> schemes;
  const std::string models = scheme::model_names(resolved);  // what the summary names
  for (auto& r : resolved) {
    schemes[r.name] = scheme::make(r, device);
    if (schemes[r.name]->jpeg_native() && !o.jpeg)
      throw Error(ErrorKind::usage, r.name + " protects JPEG files: evaluate it with --format jpeg");
  }
  // Chance level of the identity metric at this framing: how often neighbouring originals
  // (mostly different people) match each other.
  const auto regions = faces.locate(set.images);  // where each original's face is, cut alike from the protected one
  auto originals_desc = faces.describe(set.images, regions);
  double chance_match = NAN;
  if (faces.available() && n > 1) {
    auto d = faces.distances(originals_desc.roll(1, 0), set.images, regions);
    chance_match = 0;
    for (int64_t i = 0; i < n; ++i) chance_match += IdentityMeter::matches(d[i].item<double>()) / n;
  }

  auto key = crypto::random_key(), wrong = crypto::random_key();
  const auto kColumns = columns(o.jpeg);
  Values values;
  std::ofstream csv((fs::path(o.out) / "per_image.csv").string());
  csv << "image,scheme";
  for (auto& c : kColumns) csv << "," << c;
  csv << "\n";
  std::vector<torch::Tensor> grid;
  Progress progress("eval", n * static_cast<int64_t>(o.schemes.size()));
  int64_t done = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto img = set.images[i].contiguous();
    // The original as the user has it, and the protected file's format and recorded origin as
    // `hipp protect` picks them for it.
    std::vector<uint8_t> user_file;
    if (o.jpeg) {
      image::JpegSettings js;
      js.quality = o.quality;
      user_file = image::encode_jpeg(img, js);
      img = image::decode(user_file, set.paths[i]);
    } else {
      user_file = image::encode_png(img);
    }
    service::ProtectSettings as_protect;
    as_protect.format.keep_original = o.keep_original;
    service::fit_to_input(as_protect, user_file, set.paths[i], o.protected_quality,
                          o.max_expansion < 0 ? service::kKeptOriginalMaxExpansion : o.max_expansion);
    as_protect.format.jpeg = o.jpeg;
    auto jpg_orig = o.jpeg ? size_t{0} : image::encode_jpeg(img, 90).size();
    double bpd_orig = NAN;
    if (nat) {
      torch::NoGradGuard ng;
      auto x = torch::stack({img}).to(device);
      bpd_orig = flow::mean_bits_per_dim(*nat, x, 1, device);
    }
    auto desc = faces.available() ? originals_desc.slice(0, i, i + 1) : torch::Tensor();
    const double brisque_orig = looks.brisque(img), face_orig = looks.face_found(img);
    const double detected_orig = !faces.detects() ? NAN : regions[i] ? 1.0 : 0.0;  // locate() already looked
    std::vector<torch::Tensor> row{img};
    torch::Tensor first_restored, first_wrong;  // the grid's last two columns: the first scheme's
    for (auto& resolved_scheme : resolved) {
      auto& name = resolved_scheme.name;
      auto& s = *schemes[name];
      container::Header h;
      h.scheme = name;
      h.block = static_cast<uint16_t>(block);
      h.nonce = crypto::random_nonce();
      h.origin = as_protect.origin;
      h.model_id = resolved_scheme.model_id();
      auto t0 = std::chrono::steady_clock::now();
      repair::RepairStats rs;
      auto file = repair::protect_file(s, img, key, h, o.repair, as_protect.format, &rs, user_file);
      double t_protect = seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      auto parsed = container::read_protected(file, set.paths[i]);
      container::verify(parsed, key, set.paths[i]);
      auto restored = repair::restore_checked(s, parsed, key, set.paths[i]);
      double t_restore = seconds_since(t0);
      auto prot = parsed.rgb;  // as a viewer (and restore) decodes it
      // Wrong key, with the key-check tag bypassed: what an attacker's guess would restore. The
      // side data is encrypted (a wrong key decrypts it to random codes), so the guess leaves it
      // out: HIPP then undoes no range fit.
      auto wrong_restored = s.jpeg_native()
                                ? image::decode(s.restore_jpeg(parsed.jpeg, wrong, parsed.header.nonce, {}), "wrong key")
                                : s.restore(parsed.rgb, wrong, parsed.header.nonce);
      double bpd_prot = NAN;
      if (nat) bpd_prot = flow::mean_bits_per_dim(*nat, torch::stack({prot}).to(device), 1, device);
      double id_distance = faces.distances(desc, prot, {regions[i]})[0].item<double>();
      std::map<std::string, double> r = {
          {"restore_ssim", metrics::ssim(img, restored)},
          {"restore_psnr", metrics::psnr(img, restored)},
          {"repair_rate", rs.rate()},
          {"unrepaired_min_block_psnr", rs.original ? NAN : rs.worst_before},  // no check ran
          {"thumb_psnr", metrics::thumbnail_psnr(img, prot, block)},
          {o.jpeg ? "jpeg_expansion" : "png_expansion", static_cast<double>(file.size()) / user_file.size()},
          {"protected_quality", o.jpeg ? image::jpeg_settings_of(file, "protected JPEG").quality : NAN},
          {"protect_s", t_protect},
          {"restore_s", t_restore},
          {"wrongkey_ssim", metrics::ssim(img, wrong_restored)},
          {"protected_ssim", metrics::ssim(img, prot)},
          {"original_bpd", bpd_orig},
          {"protected_bpd", bpd_prot},
          {"original_brisque", brisque_orig},
          {"protected_brisque", looks.brisque(prot)},
          {"original_face_detected", detected_orig},
          {"protected_face_detected", faces.face_found(prot)},
          {"original_face_found", face_orig},
          {"protected_face_found", looks.face_found(prot)},
          {"identity_match", IdentityMeter::matches(id_distance)},
          {"identity_distance", id_distance}};
      if (!o.jpeg) r["jpeg90_expansion"] = static_cast<double>(image::encode_jpeg(prot, 90).size()) / jpg_orig;
      for (int q : o.jpeg ? std::vector<int>(std::begin(kRequalities), std::end(kRequalities)) : std::vector<int>{}) {
        auto back = restore_requality(s, file, prot, q, key, set.paths[i]);
        r[fmt::format("requality{}_ssim", q)] = metrics::ssim(img, back);
        r[fmt::format("requality{}_psnr", q)] = metrics::psnr(img, back);
      }
      csv << fs::path(set.paths[i]).filename().string() << "," << name;
      for (auto& c : kColumns) {
        csv << "," << fmt_num(r[c], 6);
        values[name][c].push_back(r[c]);
      }
      csv << "\n";
      row.push_back(prot);
      if (!first_restored.defined()) {
        first_restored = restored;
        first_wrong = wrong_restored;
      }
      if (!o.quiet) progress.update(++done);
    }
    row.push_back(first_restored);
    row.push_back(first_wrong);
    if (i < o.grid_rows) grid.insert(grid.end(), row.begin(), row.end());
  }
  if (!o.quiet) progress.finish();
  csv.close();

  // Summary: mean and spread per scheme.
  json summary = {{"images", n},        {"size", o.size},   {"block", block},
                  {"models", models}, {"content", protect::content_name(content)}, {"naturalness_flow", flow_path}, {"data", o.data},
                  {"device", o.device}, {"schemes", json::object()},
                  {"format", o.jpeg ? "jpeg" : "png"}, {"jpeg_quality", o.jpeg ? json(o.quality) : json(nullptr)}};
  std::string md = "| scheme |";
  for (auto& c : kColumns) md += " " + c + " |";
  md += "\n|---|";
  for (size_t k = 0; k < kColumns.size(); ++k) md += "---:|";
  md += "\n";
  for (auto& r : resolved) {
    auto& name = r.name;
    md += "| " + r.label() + " |";
    for (auto& c : kColumns) {
      auto s = stat(values[name][c]);
      summary["schemes"][name][c] = {{"mean", json_num(s.mean)}, {"std", json_num(s.std)}, {"n", s.n}};
      int prec = c.find("_s") == c.size() - 2 ? 4 : (c.find("psnr") != std::string::npos ? 2 : 4);
      bool spread = s.n > 1 && std::isfinite(s.mean);
      md += " " + fmt_num(s.mean, prec) + (spread ? " ± " + fmt_num(s.std, prec) : "") + " |";
    }
    md += "\n";
  }
  md += "\n" + std::to_string(n) + " images at " + std::to_string(o.size) + "x" + std::to_string(o.size) +
        ", block " + std::to_string(block) + ", device " + o.device +
        ". " +
        (o.jpeg ? fmt::format("JPEG mode: each original is first stored as a JPEG at quality {} (4:2:0), whose decoded "
                              "pixels are what every metric compares with; jpeg_expansion: the protected JPEG (hipp "
                              "segments included) / that JPEG. requalityQ: restoration after the protected JPEG is "
                              "re-encoded at quality Q (4:2:0) with its hipp segments kept. protected_quality: the IJG "
                              "quality nearest the protected JPEG's tables. {}",
                              o.quality,
                              o.keep_original ? "Pixel schemes' protected JPEGs keep the original JPEG, encrypted, "
                                                "as hipp protect writes them (--from-pixels: restore from the pixels). "
                                              : "--from-pixels: restore runs through the protected pixels and repair "
                                                "data. ")
                : std::string("Expansion: protected file bytes / original bytes in the same format (PNG: the "
                              "protected PNG with its hipp chunk; JPEG quality 90: both re-encoded). ")) +
        "Thumbnail PSNR: block averages of protected vs original. "
        "wrongkey_ssim: restoration with a random wrong key (key check bypassed) vs original. identity_match: share of "
        "protected images whose face descriptor (dlib ResNet-34) lies within 0.6 of the original's, both cut to the "
        "square where the face detector finds the original's face (the whole image where it finds none). brisque: "
        "OpenCV's BRISQUE (LIVE model; lower is more natural). face_detected: share of images in which face-api's tiny "
        "face detector finds a face (score above 0.5); face_found: the same by OpenCV's frontal-face Haar cascade, a "
        "second opinion. bpd: bits/dim under " +
        (flow_path.empty() ? std::string("(no naturalness flow found)") : flow_path) +
        ". repair_rate: share of thumbnail blocks that carry an encrypted correction (those below " +
        fmt_num(o.repair.min_psnr, 1) + " dB, then the worst until the image's SSIM reaches " +
        fmt_num(o.repair.min_ssim, 3) + ")" + (o.repair.lossless ? " (lossless: every block with any error)" : "") +
        "; unrepaired_min_block_psnr: the worst block before that correction (mean of finite values).\n";
  int64_t located = std::count_if(regions.begin(), regions.end(), [](auto& r) { return r.has_value(); });
  summary["identity_face_cut"] = located;
  if (!std::isnan(chance_match)) {
    summary["identity_chance_match"] = chance_match;
    md += "Identity chance level at this framing: neighbouring originals (mostly different people) match " +
          fmt_num(100 * chance_match, 1) + "% of the time; " + std::to_string(located) + " of " + std::to_string(n) +
          " originals had their face cut out by the detector.\n";
  }
  md += per_set_section(o, set_of, values, summary);
  auto s = summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";  // set names: any bytes
  write_file_atomic((fs::path(o.out) / "summary.json").string(), std::vector<uint8_t>(s.begin(), s.end()));
  write_file_atomic((fs::path(o.out) / "summary.md").string(), std::vector<uint8_t>(md.begin(), md.end()));
  if (!grid.empty()) {
    int cols = 1 + static_cast<int>(o.schemes.size()) + 2;  // original, each protected, restored, wrong key
    image::save_png((fs::path(o.out) / "grid.png").string(), image::make_grid(torch::stack(grid), cols));
  }
  return md;
}

}  // namespace hipp::eval
