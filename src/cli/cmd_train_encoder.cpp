// hipp train encoder: trains HIPP's encoder E around a frozen wavelet flow (train/encoder_trainer.h).
#include <fmt/format.h>

#include "cli/commands.h"
#include "train/encoder_trainer.h"

namespace hipp::cli {

void add_encoder_train_command(CLI::App& train, Globals& g) {
  auto* cmd = train.add_subcommand(
      "encoder",
      "train HIPP's encoder E around a frozen wavelet flow, with the protected image's 8-bit rounding simulated; "
      "loss = lambda1 * |bits/dim gap under G| + lambda2 * restoration MSE (pixels in [0,1])");
  auto o = std::make_shared<train::EncoderTrainOptions>();
  cmd->add_option("--flow", o->flow, "the frozen wavelet flow G (model folder, e.g. models/celeba64-wavelet)")
      ->required();
  cmd->add_option("--data", o->data, "image folders (searched recursively), files, or packed sets (*.tensors)")
      ->required();
  cmd->add_option("--test-data", o->test_data, "held-out images; default: split --data");
  cmd->add_option("--out", o->out, "output folder: encoder.weights, checkpoint.weights, train_log.jsonl")->required();
  cmd->add_option("--identities", o->spec.identity_file, "identity list to hold out whole identities for testing");
  cmd->add_option("--test-fraction", o->spec.test_fraction, "share held out for testing (0: none)")
      ->default_val(0.05)->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--crop", o->spec.crop, "center square crop as a fraction of the short side, before resizing")
      ->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--block", o->block, "thumbnail block size E is trained for (0: the flow's largest)")->default_val(0);
  cmd->add_option("--steps", o->config.steps, "coupling steps per level")->default_val(4)->check(CLI::Range(1, 64));
  cmd->add_option("--hidden", o->config.hidden, "coupling channels")->default_val(64)->check(CLI::Range(4, 1024));
  cmd->add_option("--cond-hidden", o->config.cond_hidden, "low-pass feature channels")
      ->default_val(32)->check(CLI::Range(1, 1024));
  cmd->add_option("--scale-bound", o->config.scale_bound, "bound on each coupling's |log scale|")
      ->default_val(1.0)->check(CLI::Range(0.01, 10.0));
  cmd->add_option("--batch", o->batch, "images per step")->default_val(16)->check(CLI::PositiveNumber);
  cmd->add_option("--iters", o->iters, "total optimisation steps (a resumed run counts earlier ones)")
      ->default_val(200000)->check(CLI::PositiveNumber);
  cmd->add_option("--lr", o->lr, "learning rate")->default_val(1e-5)->check(CLI::PositiveNumber);
  cmd->add_option("--beta1", o->beta1, "Adam beta1")->default_val(0.0)->check(CLI::Range(0.0, 0.9999));
  cmd->add_option("--beta2", o->beta2, "Adam beta2")->default_val(0.99)->check(CLI::Range(0.0, 0.9999));
  cmd->add_option("--eps", o->eps, "Adam epsilon")->default_val(1e-8)->check(CLI::PositiveNumber);
  cmd->add_option("--lambda1", o->lambda1, "weight of naturalness (|bits/dim gap| under G)")
      ->default_val(10.0)->check(CLI::NonNegativeNumber);
  cmd->add_option("--lambda2", o->lambda2, "weight of restoration (MSE after 8-bit rounding)")
      ->default_val(200.0)->check(CLI::PositiveNumber);
  add_run_options(*cmd, *o);
  cmd->add_option("--eval-every", o->eval_every, "steps between held-out evaluations (0: only at the end)")
      ->default_val(1000);
  cmd->add_option("--eval-images", o->eval_images, "held-out images evaluated")->default_val(64);
  cmd->callback([o, &g] {
    apply_globals(g);
    o->device = g.device;
    auto r = train::train_encoder(*o);
    std::string held_out = r.test_psnr < 0 ? "n/a (no held-out images)"
                                           : fmt::format("{:.2f} dB with E, {:.2f} dB without; bits/dim gap {:.4f}",
                                                         r.test_psnr, r.baseline_psnr, r.test_bpd_gap);
    std::printf("step %ld  train loss %.5f  held-out restoration %s\n", static_cast<long>(r.step), r.train_loss,
                held_out.c_str());
  });
}

}  // namespace hipp::cli
