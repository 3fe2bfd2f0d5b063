// hipp attack eval: what the thumbnail alone gives away, per block size.
#include <iostream>

#include "attack/attack_eval.h"
#include "cli/commands.h"

namespace hipp::cli {

void add_attack_commands(CLI::App& app, Globals& g) {
  auto* attack = app.add_subcommand("attack", "the thumbnail attack: how much of a face its thumbnail leaks");
  attack->require_subcommand(1);
  auto o = std::make_shared<attack::AttackEvalOptions>();
  auto* cmd = attack->add_subcommand(
      "eval", "rebuild faces from their thumbnails with trained attack models (one per block size; train them with "
              "'hipp train attack') and report PSNR, SSIM and identity match rate: attack.json, attack.md, grid.png");
  cmd->add_option("--models", o->models, "thumbnail-attack model folders or files")->required();
  cmd->add_option("--data", o->data, "image folders or files")->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--identities", o->identity_file, "identity list for --split (CelebA identity_CelebA.txt)");
  cmd->add_option("--split", o->split, "all, or the train/test side of the split used in training")
      ->default_val("all")->check(CLI::IsMember({"all", "train", "test"}));
  cmd->add_option("--test-fraction", o->test_fraction, "held-out share used in training")->default_val(0.05);
  cmd->add_option("--size", o->size, "center-crop and resize every image to this size")
      ->default_val(128)->check(CLI::Range(8, 4096));
  cmd->add_option("--crop", o->crop, "center crop fraction before resizing")->default_val(1.0)
      ->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--limit", o->limit, "at most this many images (0: all)")->default_val(0);
  cmd->add_option("--grid-rows", o->grid_rows, "faces shown in grid.png")->default_val(6);
  cmd->callback([o, &g] {
    apply_globals(g);
    o->device = g.device;
    o->quiet = g.quiet;
    std::cout << attack::run_attack_evaluation(*o);
  });
}

}  // namespace hipp::cli
