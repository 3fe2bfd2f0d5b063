// hipp protect / restore: the product. One input file -> one output PNG; several inputs or a
// folder -> an output folder with the names kept. Every output is written atomically, and an
// error (bad input, wrong key, altered file) stops with a message before anything is written
// for that image.
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "baselines/scheme.h"
#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "common/files.h"
#include "common/progress.h"
#include "container/protected_png.h"
#include "data/image_folder.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "keys/key.h"
#include "service/protector.h"

namespace hipp::cli {
namespace fs = std::filesystem;

namespace {

struct Job {
  std::string in, out;
};

// Expands folders (recursively) and maps each input to its output path.
std::vector<Job> plan(const std::vector<std::string>& inputs, const std::string& out, bool force) {
  bool single = inputs.size() == 1 && !fs::is_directory(inputs[0]);
  std::vector<Job> jobs;
  if (single) {
    if (!fs::exists(inputs[0])) throw Error(inputs[0] + ": no such file");
    if (fs::is_directory(out)) throw Error("-o " + out + ": is a folder; with one input, -o names the output PNG");
    jobs.push_back({inputs[0], out});
  } else {
    if (fs::exists(out) && !fs::is_directory(out)) throw Error("-o " + out + ": with several inputs, -o must be a folder");
    for (auto& in : inputs) {
      if (!fs::exists(in)) throw Error(in + ": no such file or folder");
      if (fs::is_directory(in)) {
        for (auto& f : data::list_images({in}))
          jobs.push_back({f, (fs::path(out) / fs::relative(f, in)).replace_extension(".png").string()});
      } else {
        jobs.push_back({in, (fs::path(out) / fs::path(in).filename()).replace_extension(".png").string()});
      }
    }
    std::map<std::string, std::string> seen;
    for (auto& j : jobs)
      if (!seen.emplace(j.out, j.in).second)
        throw Error(j.in + " and " + seen[j.out] + " would both be written to " + j.out);
  }
  if (!force)
    for (auto& j : jobs)
      if (fs::exists(j.out)) throw Error(j.out + " already exists (pass --force to replace it)");
  return jobs;
}

void write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  auto parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_file_atomic(path, bytes);
}

// What the restoration check found over a run, for one closing line.
struct RepairTally {
  int64_t blocks = 0, repaired = 0, images_repaired = 0;
  double worst_before = INFINITY, worst_after = INFINITY;
  void add(const repair::RepairStats& s) {
    blocks += s.blocks, repaired += s.repaired, images_repaired += s.repaired > 0;
    worst_before = std::min(worst_before, s.worst_before), worst_after = std::min(worst_after, s.worst_after);
  }
  std::string summary(const repair::RepairOptions& o) const {
    auto db = [](double v) { return std::isinf(v) ? std::string("exact") : fmt::format("{:.1f} dB", v); };
    if (o.lossless) return fmt::format("lossless: {} of {} blocks carry a residual; restoration is bit-exact", repaired, blocks);
    return fmt::format("restoration check: {} of {} blocks ({:.2f}%, in {} image{}) repaired (below {:g} dB, or for "
                       "an image SSIM of {:g}); worst block {} before repair, {} after",
                       repaired, blocks, blocks ? 100.0 * repaired / blocks : 0.0, images_repaired,
                       images_repaired == 1 ? "" : "s", o.min_psnr, o.min_ssim, db(worst_before), db(worst_after));
  }
};

struct ProtectArgs {
  std::vector<std::string> inputs;
  std::string out, key, model, scheme = "hipp";
  int block = 0;
  double detail_scale = 1;
  repair::RepairOptions repair;
  bool force = false;
};

struct RestoreArgs {
  std::vector<std::string> inputs;
  std::string out, key;
  bool force = false;
};

void run_protect(const ProtectArgs& a, const Globals& g) {
  service::Protector protector(keys::read_key_source(a.key), parse_device(g.device));
  auto jobs = plan(a.inputs, a.out, a.force);
  Progress progress("protect", static_cast<int64_t>(jobs.size()));
  RepairTally tally;
  for (size_t i = 0; i < jobs.size(); ++i) {
    repair::RepairStats st;
    write_output(jobs[i].out, protector.protect(image::load(jobs[i].in),
                                                {a.scheme, a.model, a.block, a.detail_scale, a.repair}, &st));
    tally.add(st);
    if (!g.quiet) progress.update(static_cast<int64_t>(i + 1));
  }
  if (!g.quiet) progress.finish();
  spdlog::info("protected {} image{} -> {}", jobs.size(), jobs.size() == 1 ? "" : "s", a.out);
  spdlog::info("{}", tally.summary(a.repair));
}

void run_restore(const RestoreArgs& a, const Globals& g) {
  service::Protector protector(keys::read_key_source(a.key), parse_device(g.device));
  auto jobs = plan(a.inputs, a.out, a.force);
  Progress progress("restore", static_cast<int64_t>(jobs.size()));
  for (size_t i = 0; i < jobs.size(); ++i) {
    write_output(jobs[i].out, image::encode_png(protector.restore(read_file(jobs[i].in), jobs[i].in)));
    if (!g.quiet) progress.update(static_cast<int64_t>(i + 1));
  }
  if (!g.quiet) progress.finish();
  spdlog::info("restored {} image{} -> {}", jobs.size(), jobs.size() == 1 ? "" : "s", a.out);
}

}  // namespace

void add_protect_commands(CLI::App& app, Globals& g) {
  auto pa = std::make_shared<ProtectArgs>();
  auto* p = app.add_subcommand("protect", "turn photos into protected PNGs that keep their thumbnail");
  p->add_option("inputs", pa->inputs, "images or folders of images")->required();
  p->add_option("-o,--out", pa->out, "output PNG (one input) or folder (several inputs or a folder)")->required();
  p->add_option("-k,--key", pa->key, "key file from `hipp keygen`, or a text file holding a passphrase")->required();
  p->add_option("--model", pa->model, "HIPP model: a shipped model name or a folder (default: the shipped "
                                      "model trained nearest the image's size, with a trained encoder if one exists)");
  p->add_option("-b,--block", pa->block, "thumbnail block size (hipp: 2..2^levels of the model, default its "
                                         "largest: 8 for celeba64-hipp/-wavelet, 16 for celeba128-wavelet; tpe-ideal, shuffle: 8; "
                                         "drpe, tpe-lsb: a multiple of 8, at least and by default 16)")
      ->check(CLI::Range(1, 4096));
  std::string baseline_names;
  for (auto& n : baselines::kSchemeNames) baseline_names += (baseline_names.empty() ? "" : ", ") + n;
  std::vector<std::string> scheme_names = baselines::kSchemeNames;
  scheme_names.insert(scheme_names.begin(), "hipp");
  p->add_option("--scheme", pa->scheme, "hipp, or a thumbnail-preserving baseline: " + baseline_names +
                                            " (drpe and tpe-lsb restore only approximately)")
      ->default_val("hipp")->check(CLI::IsMember(scheme_names));
  p->add_option("--detail-scale", pa->detail_scale,
                "hipp: scale every block's protected details by at least this (0-1, in steps of 2^-1/2): "
                "smoother protected images and smaller files, less exact restoration (restore needs no flag)")
      ->default_val(1.0);
  p->add_option("--min-psnr", pa->repair.min_psnr,
                "restoration floor in dB: protect restores each image as `hipp restore` will, and every thumbnail "
                "block that comes back below this carries an encrypted correction in the file (bigger file, "
                "same protection)")
      ->default_val(pa->repair.min_psnr);
  p->add_option("--min-ssim", pa->repair.min_ssim,
                "restoration floor in SSIM for the whole image (as hipp eval and hipp compare measure it): the worst blocks are repaired too "
                "until it is met, dark and flat photos mostly (0: PSNR only)")
      ->default_val(pa->repair.min_ssim);
  p->add_flag("--lossless", pa->repair.lossless,
              "store every residual: restoration is bit-identical to the input (bigger file; restore needs no flag)");
  p->add_flag("--force", pa->force, "replace existing output files");
  p->callback([pa, &g] { apply_globals(g); run_protect(*pa, g); });

  auto ra = std::make_shared<RestoreArgs>();
  auto* r = app.add_subcommand("restore", "restore the originals from protected PNGs with their key");
  r->add_option("inputs", ra->inputs, "protected PNGs or folders of them")->required();
  r->add_option("-o,--out", ra->out, "output PNG (one input) or folder")->required();
  r->add_option("-k,--key", ra->key, "the key file (or passphrase file) used to protect")->required();
  r->add_flag("--force", ra->force, "replace existing output files");
  r->callback([ra, &g] { apply_globals(g); run_restore(*ra, g); });
}

}  // namespace hipp::cli
