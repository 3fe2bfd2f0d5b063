// hipp train flow | attack (| encoder, cmd_train_encoder.cpp): trains a face flow, or the thumbnail attack that measures what thumbnails leak.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/error.h"
#include "train/attack_trainer.h"
#include "train/flow_trainer.h"

namespace hipp::cli {

void add_run_options(CLI::App& cmd, train::RunControl& o) {
  cmd.add_option("--clip", o.clip, "gradient-norm clip")->default_val(50.0)->check(CLI::PositiveNumber);
  cmd.add_flag("--resume", o.resume, "continue from <out>/checkpoint.weights, or from the weights alone");
  cmd.add_option("--checkpoint-minutes", o.checkpoint_minutes, "minutes between checkpoints")->default_val(5.0);
  cmd.add_option("--time-limit", o.time_limit_minutes, "stop cleanly (with a checkpoint) after this many minutes")
      ->default_val(0.0);
  cmd.add_option("--log-every", o.log_every, "steps between train_log.jsonl lines")
      ->default_val(50)->check(CLI::PositiveNumber);
  cmd.add_option("--limit", o.limit, "use at most this many training images (0: all)")->default_val(0);
  cmd.add_option("--seed", o.seed, "random seed")->default_val(0);
}

void add_train_commands(CLI::App& app, Globals& g) {
  auto* train = app.add_subcommand("train", "train a model: a face flow, HIPP's encoder E, or the thumbnail attack");
  train->require_subcommand(1);
  auto* cmd = train->add_subcommand("flow", "train a face flow (Glow or wavelet) by maximum likelihood");
  auto o = std::make_shared<train::FlowTrainOptions>();
  auto coupling = std::make_shared<std::string>("additive");
  cmd->add_option("--data", o->data, "image folders (searched recursively), files, or packed sets (*.tensors)")
      ->required();
  cmd->add_option("--test-data", o->test_data, "held-out images (folders or packed sets); default: split --data");
  cmd->add_option("--domain", o->domain, "what the training images are, recorded in the weights: HIPP picks "
                                         "face models for face-sized images and photo models for big photos")
      ->default_val("faces")->check(CLI::IsMember({"faces", "photos"}));
  cmd->add_option("--arch", o->arch,
                  "glow: multi-scale Glow; wavelet: Haar pyramid with a conditional flow per level (HIPP's G)")
      ->default_val("glow")->check(CLI::IsMember({"glow", "wavelet"}));
  cmd->add_option("--out", o->out, "output folder: <arch>.weights, checkpoint.weights, train_log.jsonl, samples/")
      ->required();
  cmd->add_option("--identities", o->identity_file,
                  "identity list (CelebA identity_CelebA.txt) to hold out whole identities for testing");
  cmd->add_option("--test-fraction", o->test_fraction, "share held out for testing (0: none)")
      ->default_val(0.05)->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--size", o->size, "training resolution (square)")->default_val(64)->check(CLI::PositiveNumber);
  cmd->add_option("--crop", o->crop, "center square crop as a fraction of the short side, before resizing")
      ->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--patch", o->patch,
                  "flows without a per-position prior: train on random PATCH x PATCH windows of the --size images "
                  "(a model of whole photos at --size); held-out bits/dim stay on whole images (0: whole images; "
                  "a resumed run keeps its own)")
      ->default_val(0)->check(CLI::NonNegativeNumber);
  cmd->add_flag("--patch-zoom", o->patch_zoom,
                "with --patch: windows of random side from PATCH to --size (log-uniform), area-resized to PATCH, "
                "so the flow sees detail at every scale from the whole image down to its pixels");
  cmd->add_option("--init", o->init,
                  "start from this trained flow (folder or weights file; its architecture wins over the "
                  "architecture options) with a fresh optimizer and warm-up, instead of a random initialisation");
  cmd->add_option("--levels", o->config.levels,
                  "glow: multi-scale levels L (size must divide by 2^L); wavelet: detail levels (thumbnail block 2^L)")
      ->default_val(3)->check(CLI::Range(1, 8));
  cmd->add_option("--steps", o->config.steps, "flow steps per level")->default_val(8)->check(CLI::Range(1, 256));
  cmd->add_option("--hidden", o->config.hidden, "hidden channels of each coupling network")
      ->default_val(256)->check(CLI::Range(1, 4096));
  cmd->add_option("--n-bits", o->config.n_bits, "bits per colour channel modelled (8 = full)")
      ->default_val(8)->check(CLI::Range(1, 8));
  cmd->add_option("--cond-hidden", o->wavelet.cond_hidden, "wavelet: feature maps computed from each low-pass")
      ->default_val(64)->check(CLI::Range(1, 4096));
  cmd->add_option("--base-levels", o->wavelet.base.levels, "wavelet: levels of the thumbnail's Glow")
      ->default_val(2)->check(CLI::Range(1, 8));
  cmd->add_option("--base-steps", o->wavelet.base.steps, "wavelet: steps per level of the thumbnail's Glow")
      ->default_val(8)->check(CLI::Range(1, 256));
  cmd->add_option("--base-hidden", o->wavelet.base.hidden, "wavelet: hidden channels of the thumbnail's Glow")
      ->default_val(128)->check(CLI::Range(1, 4096));
  cmd->add_option("--coupling", *coupling, "additive (volume-preserving) or affine (bounded scale)")
      ->default_val("additive")->check(CLI::IsMember({"additive", "affine"}));
  cmd->add_option("--scale-bound", o->config.scale_bound, "affine coupling: |log scale| stays below this")
      ->default_val(1.0)->check(CLI::PositiveNumber);
  auto positional = std::make_shared<bool>(false);
  cmd->add_flag("--positional-prior", *positional,
                "glow: a top prior of its own per position (faces: their layout), not one per channel; "
                "`hipp flow fit-prior` gives a trained Glow one");
  cmd->add_option("--batch", o->batch, "images per step")->default_val(32)->check(CLI::PositiveNumber);
  cmd->add_option("--iters", o->iters, "total optimisation steps (a resumed run counts earlier ones)")
      ->default_val(10000)->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->lr, "peak learning rate (Adam)")->default_val(1e-3)->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", o->warmup, "linear learning-rate warm-up steps")->default_val(500);
  cmd->add_option("--lr-final", o->lr_final,
                  "anneal the learning rate along a cosine to this by --iters (default: constant --lr)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--decay-start", o->decay_start,
                  "step where that cosine starts (give the same value when resuming, so the curve continues)")
      ->default_val(0)->check(CLI::NonNegativeNumber);
  add_run_options(*cmd, *o);
  cmd->add_option("--eval-every", o->eval_every, "steps between held-out bits/dim evaluations (0: never)")
      ->default_val(1000);
  cmd->add_option("--eval-images", o->eval_images, "held-out images evaluated")->default_val(512);
  cmd->add_option("--sample-every", o->sample_every, "steps between sample grids (0: never)")->default_val(1000);
  cmd->add_option("--temperature", o->temperature, "sampling temperature of the grids")->default_val(0.7);
  cmd->add_option("--noise", o->noise, "Gaussian noise (std, grey levels) added to training inputs; bounds how "
                  "sharp the flow gets, so HIPP's restoration survives 8-bit rounding")
      ->default_val(0.0)->check(CLI::Range(0.0, 64.0));
  cmd->callback([o, coupling, positional, &g] {
    apply_globals(g);
    if (*positional) {
      if (o->arch != "glow") throw Error(ErrorKind::usage, "--positional-prior is for --arch glow");
      // A grid as large as the top latent at the training size (check_size rejects sizes too small).
      o->config.top_prior_size = std::max(1, o->size >> o->config.levels);
    }
    o->device = g.device;
    o->config.coupling = flow::parse_coupling(*coupling);
    // The wavelet flow shares the size options; its couplings are always additive.
    o->wavelet.levels = o->config.levels;
    o->wavelet.steps = o->config.steps;
    o->wavelet.hidden = o->config.hidden;
    o->wavelet.n_bits = o->wavelet.base.n_bits = o->config.n_bits;
    auto r = train::train_flow(*o);
    std::string test = r.test_bpd >= 0 ? fmt::format("{:.4f}", r.test_bpd) : "n/a (no held-out images)";
    std::printf("step %ld  train bits/dim %.4f  test bits/dim %s  %.1f images/s\n", static_cast<long>(r.step),
                r.train_bpd, test.c_str(), r.images_per_second);
  });
  add_attack_train_command(*train, g);
  add_encoder_train_command(*train, g);
}

void add_attack_train_command(CLI::App& train, Globals& g) {
  auto* cmd = train.add_subcommand(
      "attack", "train the thumbnail attack: rebuild faces from their block-average thumbnails (MTNet-style)");
  auto o = std::make_shared<train::AttackTrainOptions>();
  cmd->add_option("--data", o->data, "image folders (searched recursively), files, or packed sets (*.tensors)")
      ->required();
  cmd->add_option("--test-data", o->test_data, "held-out images; default: split --data");
  cmd->add_option("--out", o->out, "output folder: attack.weights, checkpoint.weights, train_log.jsonl")->required();
  cmd->add_option("--identities", o->spec.identity_file, "identity list to hold out whole identities for testing");
  cmd->add_option("--test-fraction", o->spec.test_fraction, "share held out for testing (0: none)")
      ->default_val(0.05)->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--crop", o->spec.crop, "center square crop as a fraction of the short side, before resizing")
      ->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--size", o->size, "training resolution (square)")->default_val(128)->check(CLI::PositiveNumber);
  cmd->add_option("--block", o->config.block, "thumbnail block size the attack sees")
      ->default_val(8)->check(CLI::IsMember({2, 4, 8, 16, 32}));
  cmd->add_option("--channels", o->config.channels, "feature channels at thumbnail resolution")
      ->default_val(64)->check(CLI::Range(4, 1024));
  cmd->add_option("--res-blocks", o->config.res_blocks, "residual blocks at thumbnail resolution")
      ->default_val(4)->check(CLI::Range(0, 64));
  cmd->add_option("--batch", o->batch, "images per step")->default_val(16)->check(CLI::PositiveNumber);
  cmd->add_option("--iters", o->iters, "total optimisation steps (a resumed run counts earlier ones)")
      ->default_val(20000)->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->lr, "learning rate (Adam)")->default_val(2e-4)->check(CLI::PositiveNumber);
  add_run_options(*cmd, *o);
  cmd->add_option("--eval-images", o->eval_images, "held-out images for the final PSNR")->default_val(256);
  cmd->callback([o, &g] {
    apply_globals(g);
    o->device = g.device;
    auto r = train::train_attack(*o);
    std::string held_out = r.test_psnr < 0 ? "n/a (no held-out images)"
                                           : fmt::format("{:.2f} dB (bicubic thumbnail {:.2f} dB)", r.test_psnr,
                                                         r.upsample_psnr);
    std::printf("step %ld  train L1 %.4f  held-out PSNR %s\n", static_cast<long>(r.step), r.train_l1,
                held_out.c_str());
  });
}

}  // namespace hipp::cli
