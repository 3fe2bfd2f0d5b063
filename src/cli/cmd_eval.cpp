// hipp eval: HIPP and the thumbnail-preserving baselines side by side on one image set.
#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "eval/evaluation.h"
#include "scheme/registry.h"

namespace hipp::cli {

void add_eval_commands(CLI::App& app, Globals& g) {
  auto o = std::make_shared<eval::EvalOptions>();
  auto schemes = std::make_shared<std::string>("hipp,tpe-ideal,shuffle");
  auto* cmd = app.add_subcommand("eval", "compare protection schemes on images: per_image.csv, summary.json, "
                                         "summary.md, grid.png");
  cmd->add_option("--data", o->data, "image folders or files; each is a set with its own restoration row")->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  const std::string known = scheme::names_text();
  cmd->add_option("--schemes", *schemes, "comma-separated: " + known)->default_val(*schemes);
  cmd->add_option("--size", o->size, "center-crop and resize every image to this size")
      ->default_val(64)->check(CLI::Range(8, 4096));
  cmd->add_option("--crop", o->crop, "center crop fraction before resizing")->default_val(1.0)
      ->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--block", o->block, "thumbnail block size (default: the hipp model's largest)");
  cmd->add_option("--detail-scale", o->detail_scale,
                  "hipp: scale every protected block's details by at least this (0-1, steps of 2^-1/2): smoother, "
                  "smaller protected files, less exact restoration")
      ->default_val(1.0);
  cmd->add_option("--model", o->model, "hipp's wavelet flow (default: the one hipp protect picks for images of "
                                     "--size showing what --content says)");
  cmd->add_option("--content", o->content,
                  "what the set shows, for the default model: auto (what most originals show, as hipp protect "
                  "judges each photo), faces or photos")
      ->default_val("auto")->check(CLI::IsMember({"auto", "faces", "photos"}));
  cmd->add_option("--flow", o->flow, "flow for naturalness bits/dim (default: shipped celeba<size>-glow; none: skip it)");
  cmd->add_option("--rounds", o->params.rounds, "tpe-ideal rounds")->default_val(o->params.rounds)
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--jpeg-quality", o->params.jpeg_quality, "drpe, tpe-lsb: JPEG quality of their coefficients")
      ->default_val(o->params.jpeg_quality)->check(CLI::Range(1, 100));
  cmd->add_option("--lsb-bits", o->params.lsb_bits, "tpe-lsb: bit planes of its thumbnail (DC sum) correction")
      ->default_val(o->params.lsb_bits)->check(CLI::Range(0, 16));
  cmd->add_option("--min-psnr", o->repair.min_psnr,
                  "restoration floor per thumbnail block in dB, as hipp protect (40; 38 with --format jpeg)")
      ->default_val(o->repair.min_psnr);
  cmd->add_option("--min-ssim", o->repair.min_ssim,
                  "restoration floor in SSIM per image, as hipp protect (0.99; 0.98 with --format jpeg)")
      ->default_val(o->repair.min_ssim);
  cmd->add_flag("--lossless", o->repair.lossless, "protect losslessly, as hipp protect --lossless");
  auto format = std::make_shared<std::string>("png");
  cmd->add_option("--format", *format,
                  "png: originals and protected files as PNG; jpeg: each original first stored as a JPEG at --quality "
                  "(the user's file), protected to a JPEG as hipp protect does, and also recompressed at 85 and 75")
      ->default_val("png")->check(CLI::IsMember({"png", "jpeg"}));
  cmd->add_option("--quality", o->quality, "JPEG mode: the originals' JPEG quality")->default_val(o->quality)
      ->check(CLI::Range(1, 100));
  cmd->add_option("--protected-quality", o->protected_quality,
                  "JPEG mode: the protected JPEGs' quality, as hipp protect --quality (0: as hipp protect picks it)")
      ->default_val(0)->check(CLI::Range(0, 100));
  cmd->add_option("--max-expansion", o->max_expansion,
                  "JPEG mode: as hipp protect --max-expansion (default: hipp protect's)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_flag("--from-pixels", [o](int64_t) { o->keep_original = false; },
                "JPEG mode: protected JPEGs without the kept original, so restore runs through the protected pixels "
                "and repair data (how each scheme survives JPEG; hipp protect keeps the original)");
  cmd->add_option("--limit", o->limit, "at most this many images from each --data entry (0: all)")->default_val(0);
  cmd->add_option("--grid-rows", o->grid_rows, "images shown in grid.png")->default_val(6);
  cmd->callback([o, schemes, known, format, cmd, &g] {
    apply_globals(g);
    o->jpeg = *format == "jpeg";
    o->repair = repair::floors_for(o->repair, o->jpeg, cmd->count("--min-psnr"), cmd->count("--min-ssim"));
    o->device = g.device;
    o->quiet = g.quiet;
    o->schemes.clear();
    std::stringstream ss(*schemes);
    for (std::string s; std::getline(ss, s, ',');)
      if (!s.empty()) {
        auto& names = scheme::names();
        if (std::find(names.begin(), names.end(), s) == names.end())
          throw Error(ErrorKind::usage, "--schemes: unknown scheme '" + s + "' (known: " + known + ")");
        o->schemes.push_back(s);
      }
    std::cout << eval::run_evaluation(*o);
  });
}

}  // namespace hipp::cli
