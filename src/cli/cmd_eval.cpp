// hipp eval: HIPP and the thumbnail-preserving baselines side by side on one image set.
#include <iostream>

#include "cli/commands.h"
#include "common/error.h"
#include "eval/evaluation.h"

namespace hipp::cli {

void add_eval_commands(CLI::App& app, Globals& g) {
  auto o = std::make_shared<eval::EvalOptions>();
  auto schemes = std::make_shared<std::string>("hipp,tpe-ideal,shuffle");
  auto* cmd = app.add_subcommand("eval", "compare protection schemes on images: per_image.csv, summary.json, "
                                         "summary.md, grid.png");
  cmd->add_option("--data", o->data, "image folders or files")->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--schemes", *schemes, "comma-separated: hipp, tpe-ideal, shuffle")->default_val(*schemes);
  cmd->add_option("--size", o->size, "center-crop and resize every image to this size")
      ->default_val(64)->check(CLI::Range(8, 4096));
  cmd->add_option("--crop", o->crop, "center crop fraction before resizing")->default_val(1.0)
      ->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--block", o->block, "thumbnail block size (default: the hipp model's largest)");
  cmd->add_option("--model", o->model, "hipp's wavelet flow (default: the shipped one nearest --size)");
  cmd->add_option("--flow", o->flow, "flow for naturalness bits/dim (default: shipped celeba<size>-glow)");
  cmd->add_option("--rounds", o->rounds, "tpe-ideal rounds")->default_val(10)->check(CLI::Range(1, 1000));
  cmd->add_option("--limit", o->limit, "at most this many images (0: all)")->default_val(0);
  cmd->add_option("--grid-rows", o->grid_rows, "images shown in grid.png")->default_val(6);
  cmd->callback([o, schemes, &g] {
    apply_globals(g);
    o->device = g.device;
    o->quiet = g.quiet;
    o->schemes.clear();
    std::stringstream ss(*schemes);
    for (std::string s; std::getline(ss, s, ',');)
      if (!s.empty()) {
        if (s != "hipp" && s != "tpe-ideal" && s != "shuffle")
          throw Error("--schemes: unknown scheme '" + s + "' (known: hipp, tpe-ideal, shuffle)");
        o->schemes.push_back(s);
      }
    std::cout << eval::run_evaluation(*o);
  });
}

}  // namespace hipp::cli
