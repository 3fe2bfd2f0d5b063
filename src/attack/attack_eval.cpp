#include "attack/attack_eval.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "attack/thumbnail_attack.h"
#include "common/device.h"
#include "common/error.h"
#include "common/files.h"
#include "common/progress.h"
#include "data/image_folder.h"
#include "eval/identity.h"
#include "image/image.h"
#include "metrics/metrics.h"

namespace hipp::attack {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Row {
  std::string label;
  int block = 0;
  double psnr = 0, ssim = 0, match = 0, distance = 0;
};

// Mean PSNR, SSIM and identity figures of `guess` against `truth` (uint8 [N,3,H,W]).
Row score(const std::string& label, int block, const torch::Tensor& truth, const torch::Tensor& guess,
          const torch::Tensor& truth_desc, const eval::IdentityMeter& faces, const eval::FaceRegions& regions) {
  Row r{label, block};
  const int64_t n = truth.size(0);
  for (int64_t i = 0; i < n; ++i) {
    r.psnr += metrics::psnr(truth[i], guess[i]) / n;
    r.ssim += metrics::ssim(truth[i], guess[i]) / n;
  }
  auto d = faces.distances(truth_desc, guess, regions);
  r.distance = d.mean().item<double>();
  for (int64_t i = 0; i < n; ++i) r.match += eval::IdentityMeter::matches(d[i].item<double>()) / n;
  return r;
}

std::string fmt(double v, const char* f) {
  if (std::isnan(v)) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

std::string run_attack_evaluation(const AttackEvalOptions& o) {
  if (o.out.empty()) throw Error(ErrorKind::usage, "--out is required");
  if (o.models.empty()) throw Error(ErrorKind::usage, "--models names no thumbnail-attack model");
  auto device = parse_device(o.device);
  std::vector<AttackModel> models;
  for (auto& m : o.models) models.push_back(load_attack(m, device));
  for (auto& m : models)
    if (o.size % m.net->config().block)
      throw Error(ErrorKind::usage, m.path + ": block " + std::to_string(m.net->config().block) + " does not divide --size " +
                  std::to_string(o.size));

  auto files = data::list_images(o.data);
  if (o.split != "all") files = data::select_split(files, data::parse_split(o.split), o.identity_file, o.test_fraction);
  if (o.limit > 0 && static_cast<int64_t>(files.size()) > o.limit) files.resize(o.limit);
  if (files.empty()) throw Error("no images in the '" + o.split + "' split");
  auto images = data::load_images(files, o.size, o.crop, !o.quiet).images;
  fs::create_directories(o.out);

  eval::IdentityMeter faces;
  const auto regions = faces.locate(images);  // the truth's face, cut alike from each guess
  auto truth_desc = faces.describe(images, regions);
  std::vector<Row> rows;
  std::vector<torch::Tensor> columns{images};
  Progress progress("attack eval", static_cast<long>(models.size()));
  for (size_t k = 0; k < models.size(); ++k) {
    auto& m = models[k];
    const int b = m.net->config().block;
    auto up = upsample_thumbnail(images, b);
    auto rec = reconstruct(m.net, images);
    rows.push_back(score("bicubic thumbnail", b, images, up, truth_desc, faces, regions));
    rows.push_back(score("attack " + fs::path(m.path).parent_path().filename().string(), b, images, rec,
                         truth_desc, faces, regions));
    auto thumb = block_mean(images.to(torch::kFloat32), b).round();
    columns.push_back(thumb.repeat_interleave(b, 2).repeat_interleave(b, 3).to(torch::kUInt8));
    columns.push_back(rec);
    if (!o.quiet) progress.update(static_cast<long>(k + 1));
  }
  if (!o.quiet) progress.finish();

  const int64_t n = images.size(0);
  std::string md = "| block | reconstruction | PSNR (dB) | SSIM | identity match | mean distance |\n|---:|---|---:|---:|---:|---:|\n";
  json j = {{"images", n}, {"size", o.size}, {"crop", o.crop}, {"data", o.data}, {"split", o.split},
            {"device", o.device}, {"face_model", faces.available()}, {"rows", json::array()}};
  for (auto& r : rows) {
    md += "| " + std::to_string(r.block) + " | " + r.label + " | " + fmt(r.psnr, "%.2f") + " | " +
          fmt(r.ssim, "%.4f") + " | " + fmt(100 * r.match, "%.1f%%") + " | " + fmt(r.distance, "%.3f") + " |\n";
    auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
    j["rows"].push_back({{"block", r.block}, {"reconstruction", r.label}, {"psnr", num(r.psnr)},
                         {"ssim", num(r.ssim)}, {"identity_match", num(r.match)}, {"distance", num(r.distance)}});
  }
  md += "\n" + std::to_string(n) + " faces at " + std::to_string(o.size) + "x" + std::to_string(o.size) +
        " (split " + o.split + "). Identity match: share whose face descriptor lies within 0.6 of the original's "
        "(dlib ResNet-34).\n";
  auto s = j.dump(2) + "\n";
  write_file_atomic((fs::path(o.out) / "attack.json").string(), std::vector<uint8_t>(s.begin(), s.end()));
  write_file_atomic((fs::path(o.out) / "attack.md").string(), std::vector<uint8_t>(md.begin(), md.end()));
  // Grid rows: original | per block: the thumbnail as a mosaic, the attack's reconstruction.
  std::vector<torch::Tensor> grid;
  for (int64_t i = 0; i < std::min<int64_t>(n, o.grid_rows); ++i)
    for (auto& c : columns) grid.push_back(c[i]);
  image::save_png((fs::path(o.out) / "grid.png").string(),
                  image::make_grid(torch::stack(grid), static_cast<int>(columns.size())));
  return md;
}

}  // namespace hipp::attack
