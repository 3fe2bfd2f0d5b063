// hipp protect / restore: the product. One input file -> one output file; several inputs or a
// folder -> an output folder with the names kept (folder_run.h: shards, resuming, failures).
// JPEG stays JPEG: a JPEG photo is protected to a JPEG that keeps it, and restored to that JPEG.
// Every output is written atomically: an error (bad input, wrong key, altered file) leaves
// nothing written for that image.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "cli/commands.h"
#include "cli/folder_run.h"
#include "common/device.h"
#include "common/error.h"
#include "common/files.h"
#include "container/protected_png.h"
#include "hipp/hipp_scheme.h"
#include "hipp/models.h"
#include "image/image.h"
#include "keys/key.h"
#include "scheme/registry.h"
#include "service/protector.h"

namespace hipp::cli {
namespace fs = std::filesystem;

namespace {

void write_output(const std::string& path, const std::vector<uint8_t>& bytes) {
  auto parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_file_atomic(path, bytes);
}

// What the restoration check found over a run, for one closing line.
struct RepairTally {
  int64_t blocks = 0, repaired = 0, images_repaired = 0, checked = 0, kept = 0;
  double worst_before = INFINITY, worst_after = INFINITY;
  std::string floors;  // as applied, "40 dB / SSIM 0.99" (and the JPEG ones where they differed)
  void add(const repair::RepairStats& s, const repair::RepairOptions& o) {
    if (s.original) {  // nothing to check: the file keeps the original photo
      ++kept;
      return;
    }
    ++checked;
    blocks += s.blocks, repaired += s.repaired, images_repaired += s.repaired > 0;
    worst_before = std::min(worst_before, s.worst_before), worst_after = std::min(worst_after, s.worst_after);
    auto f = fmt::format("{:g} dB / SSIM {:g}", o.min_psnr, o.min_ssim);
    if (floors.find(f) == std::string::npos) floors += (floors.empty() ? "" : " or ") + f;
  }
  std::string summary(const repair::RepairOptions& o) const {
    std::string s = kept ? fmt::format("{} protected file{} keep{} the original photo, encrypted: restore gives it back bit "
                                       "for bit", kept, kept == 1 ? "" : "s", kept == 1 ? "s" : "")
                         : "";
    if (!checked) return s;
    if (kept) s += "; ";
    auto db = [](double v) { return std::isinf(v) ? std::string("exact") : fmt::format("{:.1f} dB", v); };
    if (o.lossless) return s + fmt::format("lossless: {} of {} blocks carry a residual; restoration is bit-exact", repaired, blocks);
    return s + fmt::format("restoration check: {} of {} blocks ({:.2f}%, in {} image{}) repaired (floors {}); worst block "
                           "{} before repair, {} after",
                           repaired, blocks, blocks ? 100.0 * repaired / blocks : 0.0, images_repaired,
                           images_repaired == 1 ? "" : "s", floors, db(worst_before), db(worst_after));
  }
};

// What protect and restore share: inputs, outputs and how a folder run goes.
struct RunArgs {
  std::vector<std::string> inputs;
  std::string out, key, shard, manifest;
  bool force = false, skip_existing = false, fail_fast = false;

  // A shard run resumes by design: it keeps what is done and names a manifest per shard.
  bool resumes() const { return skip_existing || !shard.empty(); }
  PlanOptions plan() const {
    PlanOptions p;
    p.force = force;
    p.shard = shard.empty() ? Shard{} : parse_shard(shard);
    p.skip_existing = resumes();
    return p;
  }
  RunOptions run(const char* label, const Globals& g, const Shard& s) const {
    RunOptions r;
    r.label = label;
    r.skip_existing = resumes();
    r.fail_fast = fail_fast || single_output(inputs, out);
    r.quiet = g.quiet;
    r.manifest = manifest;
    if (r.manifest.empty() && !shard.empty())
      r.manifest = (fs::path(out) / fmt::format("manifest-{}-of-{}.jsonl", s.index, s.count)).string();
    return r;
  }
};

// What a run writes: "auto" follows the file names, "png" or "jpeg" is asked for.
struct FormatArgs {
  std::string format = "auto";
  int quality = 0;  // JPEG quality; 0: the original's

  static std::string extension_of(const std::string& path) {
    auto e = fs::path(path).extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e;
  }
  static bool jpeg_name(const std::string& path) {
    auto e = extension_of(path);
    return e == ".jpg" || e == ".jpeg";
  }
  static bool heif_name(const std::string& path) { return image::is_heif_extension(extension_of(path)); }
  // An output's format: the asked one, else its name's (.jpg or .jpeg: JPEG).
  bool jpeg_out(const std::string& out) const { return format == "auto" ? jpeg_name(out) : format == "jpeg"; }
  // A single output named .png or .jpg must not contradict --format.
  void check_single(const std::vector<std::string>& inputs, const std::string& out) const {
    if (format == "auto" || !single_output(inputs, out)) return;
    auto e = fs::path(out).extension().string();
    if (e.empty() || jpeg_name(out) == (format == "jpeg")) return;
    throw Error(ErrorKind::usage, "--format " + format + " but -o " + out + " names a " + (jpeg_name(out) ? "JPEG" : "non-JPEG") + " file");
  }
  std::string extension(bool jpeg_by_default) const {
    return (format == "auto" ? jpeg_by_default : format == "jpeg") ? ".jpg" : ".png";
  }
};

struct ProtectArgs : RunArgs, FormatArgs {
  std::string model, scheme = "hipp";
  int block = 0, thumbnail = scheme::kDefaultThumbnail;
  double detail_scale = 1;
  double max_expansion = service::kKeptOriginalMaxExpansion;
  std::string content = "auto";
  repair::RepairOptions repair;
  bool psnr_given = false, ssim_given = false;  // else a protected JPEG gets the JPEG floors
};

struct RestoreArgs : RunArgs, FormatArgs {};

// One closing line; a run with failures exits non-zero after it.
void finish_run(const RunTally& t, const char* verb, const std::string& out) {
  spdlog::info("{} {} image{} -> {}{}{}", verb, t.done, t.done == 1 ? "" : "s", out,
               t.skipped ? fmt::format(", {} already done (skipped)", t.skipped) : "",
               t.failed ? fmt::format(", {} failed (see above)", t.failed) : "");
  if (t.failed) throw Error(fmt::format("{} of {} image{} failed", t.failed, t.done + t.skipped + t.failed,
                                        t.done + t.skipped + t.failed == 1 ? "" : "s"));
}

void run_protect(const ProtectArgs& a, const Globals& g) {
  a.check_single(a.inputs, a.out);
  if (single_output(a.inputs, a.out) && FormatArgs::heif_name(a.out))
    throw Error(ErrorKind::usage, "-o " + a.out + ": hipp writes protected images as JPEG or PNG, not HEIF: name it .jpg");
  service::Protector protector(keys::read_key_source(a.key), parse_device(g.device));
  auto plan = a.plan();
  // A JPEG or HEIF photo gives a protected JPEG (which keeps it), others a PNG.
  plan.extension = [&a](const std::string& in) {
    return a.extension(FormatArgs::jpeg_name(in) || FormatArgs::heif_name(in));
  };
  auto jobs = plan_jobs(a.inputs, a.out, plan);
  RepairTally tally;
  service::ProtectSettings settings;
  auto& q = settings.request;
  q.name = a.scheme;
  q.model = a.model;
  q.block = a.block;
  q.thumbnail = a.thumbnail;
  q.detail_scale = a.detail_scale;
  if (a.content != "auto") q.content = protect::parse_content(a.content);
  settings.repair = a.repair;
  auto t = run_jobs(
      jobs, a.run("protect", g, plan.shard),
      [&](const Job& j) {
        repair::RepairStats st;
        auto bytes = read_file(j.in);
        auto s = settings;
        service::fit_to_input(s, bytes, j.in, a.quality, a.max_expansion);
        s.format.jpeg = a.jpeg_out(j.out);
        s.repair = repair::floors_for(a.repair, s.format.jpeg, a.psnr_given, a.ssim_given);
        // What 8-bit RGB loses is worth a warning only where the file does not keep the photo.
        auto conversions = s.format.keeps(bytes) ? image::Conversions::silent : image::Conversions::warn;
        auto rgb = image::decode(bytes, j.in, image::Orientation::apply, conversions);
        write_output(j.out, protector.protect(rgb, s, &st, bytes));
        tally.add(st, s.repair);
      },
      [&](const Job& j) { return protector.verifies(read_file(j.out)); });
  if (t.done) spdlog::info("{}", tally.summary(a.repair));
  finish_run(t, "protected", a.out);
}

// A folder run's restored files take their originals' format, as the header says: JPEG, HEIF
// (named .heic) or PNG; a file that is not a readable protected image fails later, with its
// own message.
std::string restored_extension(const std::string& path, const RestoreArgs& a) {
  if (a.format != "auto") return a.extension(false);
  try {
    auto h = container::read_header(read_file(path), path);
    return container::kept_format(h) == "heif" ? ".heic" : h.origin ? ".jpg" : ".png";
  } catch (const Error&) {
    return ".png";
  }
}

// The restored file as its name says: a HEIF name gets the kept HEIF itself.
std::vector<uint8_t> encode_restored(const service::Restored& r, const RestoreArgs& a, const std::string& in,
                                     const std::string& out) {
  if (a.format == "auto" && FormatArgs::heif_name(out)) return service::restored_heif(r, in);
  return a.jpeg_out(out) ? service::restored_jpeg(r, a.quality) : service::restored_png(r);
}

void run_restore(const RestoreArgs& a, const Globals& g) {
  a.check_single(a.inputs, a.out);
  service::Protector protector(keys::read_key_source(a.key), parse_device(g.device));
  auto plan = a.plan();
  plan.extension = [&a](const std::string& in) { return restored_extension(in, a); };
  auto jobs = plan_jobs(a.inputs, a.out, plan);
  auto t = run_jobs(
      jobs, a.run("restore", g, plan.shard),
      [&](const Job& j) {
        auto r = protector.restore(read_file(j.in), j.in);
        if (!r.exact)
          spdlog::warn("{}: this protected JPEG was re-encoded or edited after protection (its pixels are not those "
                       "hipp wrote), so it restores approximately, without protect's check",
                       j.in);
        write_output(j.out, encode_restored(r, a, j.in, j.out));
      },
      [&](const Job& j) {
        try {
          image::decode(read_file(j.out), j.out);
          return true;
        } catch (const Error&) {
          return false;
        }
      });
  finish_run(t, "restored", a.out);
}

// Options of a run over many files, shared by protect and restore.
void add_run_options(CLI::App* cmd, RunArgs& a) {
  cmd->add_flag("--force", a.force, "replace existing output files");
  cmd->add_flag("--skip-existing", a.skip_existing,
                "keep outputs that already exist and check out (a protected file that verifies under the key, a "
                "restored image that decodes); redo the others: resumes a run that was stopped");
  cmd->add_option("--shard", a.shard,
                  "I/N: take only the I-th of N shares of the files (0-based; by a hash of each file's path "
                  "inside its folder, so reruns and other machines agree); implies --skip-existing and writes "
                  "OUT/manifest-I-of-N.jsonl");
  cmd->add_option("--manifest", a.manifest, "append one JSON line per file (input, output, status, seconds, error)");
  cmd->add_flag("--fail-fast", a.fail_fast,
                "stop at the first file that fails (default: report it on one line, go on, exit non-zero at the end)");
}

void add_format_options(CLI::App* cmd, FormatArgs& a, const std::string& format_help, const std::string& quality_help) {
  cmd->add_option("--format", a.format, format_help)->default_val("auto")->check(CLI::IsMember({"auto", "png", "jpeg"}));
  cmd->add_option("--quality", a.quality, quality_help)->check(CLI::Range(1, 100));
}

}  // namespace

void add_protect_commands(CLI::App& app, Globals& g) {
  auto pa = std::make_shared<ProtectArgs>();
  auto* p = app.add_subcommand("protect", "turn photos into protected images (PNG, or JPEG for JPEG photos) that keep their thumbnail");
  p->add_option("inputs", pa->inputs, "images or folders of images")->required();
  p->add_option("-o,--out", pa->out, "output file (one input) or folder (several inputs, a folder, or a path ending in /)")->required();
  p->add_option("-k,--key", pa->key, "key file from `hipp keygen`, or a text file holding a passphrase")->required();
  p->add_option("--model", pa->model, "HIPP model: a shipped model name or a folder (default: up to 64 px "
                                      "the face model celeba64-hipp; up to 192 px celeba128-wavelet for a photo "
                                      "of a face (see --content); up to 1024 px photos256-wavelet, above that "
                                      "photos256-lite-wavelet)");
  p->add_option("--content", pa->content,
                "what the photos show, for the default model: auto (face-api's face detector looks at each "
                "photo of 65 to 192 px: a face spanning a quarter of its shorter side makes it a face photo), "
                "faces or photos")
      ->default_val("auto")->check(CLI::IsMember({"auto", "faces", "photos"}));
  p->add_option("-b,--block", pa->block, "thumbnail block size (hipp: a power of two, 2..1024; tpe-ideal, "
                                         "shuffle: any; drpe, tpe-lsb: a multiple of 8, at least 16). Default: "
                                         "the scheme's own (hipp: the model's largest trained block, 8 or 16; "
                                         "tpe-ideal, shuffle: 8; drpe, tpe-lsb: 16), doubled until the thumbnail "
                                         "fits --thumbnail")
      ->check(CLI::Range(1, 4096));
  p->add_option("--thumbnail", pa->thumbnail,
                "most blocks the kept thumbnail has on its long side when --block is not given: bigger photos get "
                "bigger blocks, so a 12 MP photo keeps a 63x47 thumbnail, not 252x189. More blocks show more of "
                "the photo to anyone who sees the protected file")
      ->default_val(pa->thumbnail)->check(CLI::Range(1, 65535));
  p->add_option("--scheme", pa->scheme, "one of " + scheme::names_text() + ": hipp; hipp-smooth (HIPP with the "
                                            "coarsest detail drawn at half temperature: more natural-looking, "
                                            "a little less private, see docs/design.md); or a thumbnail-preserving baseline" +
                                            " (drpe and tpe-lsb restore only approximately; jpeg-scramble takes JPEG "
                                            "photos only and protects their coefficients: same size, exact, but the "
                                            "protected image is a noisy mosaic, see docs/jpeg.md)")
      ->default_val("hipp")->check(CLI::IsMember(scheme::names()));
  p->add_option("--detail-scale", pa->detail_scale,
                "hipp: scale every block's protected details by at least this (0-1, in steps of 2^-1/2): "
                "smoother protected images and smaller files, less exact restoration (restore needs no flag)")
      ->default_val(1.0);
  p->add_option("--min-psnr", pa->repair.min_psnr,
                "restoration floor in dB: protect restores each image as `hipp restore` will (through the JPEG, "
                "for a protected JPEG), and every thumbnail block that comes back below this carries an encrypted "
                "correction in the file (bigger file, same protection). Default: 40, or 38 for a protected JPEG")
      ->default_val(pa->repair.min_psnr);
  p->add_option("--min-ssim", pa->repair.min_ssim,
                "restoration floor in SSIM for the whole image (as hipp eval and hipp compare measure it): the worst "
                "blocks are repaired too until it is met, dark and flat photos mostly (0: PSNR only). Default: 0.99, "
                "or 0.98 for a protected JPEG")
      ->default_val(pa->repair.min_ssim);
  add_format_options(p, *pa, "protected file's format: auto (JPEG for a JPEG or HEIF photo or an output named .jpg, "
                             "else PNG), png (lossless) or jpeg",
                     "protected JPEG's quality. Default for a JPEG photo: its own quality (estimated from its "
                     "quantization tables) up to 60, lowered as --max-expansion asks, since the file also keeps "
                     "the photo itself, encrypted, and restore gives that back bit for bit; 60 for a HEIF photo, "
                     "which it keeps too; 90 for other originals; jpeg-scramble always keeps the original's own "
                     "tables");
  p->add_option("--max-expansion", pa->max_expansion,
                "a protected JPEG that keeps its JPEG or HEIF photo: the largest file, as a multiple of the photo's size, "
                "that lowering the protected image's quality (down to " +
                    std::to_string(repair::kLowestFittedQuality) +
                    ") may reach; the file is bigger only where even that quality is too big (small photos "
                    "stored at quality 85 or below). 0: no limit. Ignored with --quality")
      ->default_val(pa->max_expansion)->check(CLI::Range(0.0, 100.0));
  p->add_flag("--lossless", pa->repair.lossless,
              "store every residual: restoration is bit-identical to the input (bigger file; restore needs no flag)");
  add_run_options(p, *pa);
  p->callback([pa, p, &g] {
    apply_globals(g);
    pa->psnr_given = p->count("--min-psnr") > 0, pa->ssim_given = p->count("--min-ssim") > 0;
    run_protect(*pa, g);
  });

  auto ra = std::make_shared<RestoreArgs>();
  auto* r = app.add_subcommand("restore", "restore the originals from protected images with their key");
  r->add_option("inputs", ra->inputs, "protected PNGs or JPEGs, or folders of them")->required();
  r->add_option("-o,--out", ra->out, "output image (one input) or folder (several inputs, a folder, or a path ending in /)")->required();
  add_format_options(r, *ra, "restored file's format: auto (the original's: a JPEG for a JPEG original or an "
                             "output named .jpg; the HEIF file itself for a HEIF original or an output named "
                             ".heic, .heif or .avif; else PNG), png or jpeg",
                     "restored JPEG's quality (default: the original JPEG's; 90 for other originals)");
  r->add_option("-k,--key", ra->key, "the key file (or passphrase file) used to protect")->required();
  add_run_options(r, *ra);
  r->callback([ra, &g] { apply_globals(g); run_restore(*ra, g); });
}

}  // namespace hipp::cli
