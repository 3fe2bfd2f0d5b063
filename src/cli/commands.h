#pragma once
// Each file in cli/ adds one family of subcommands to the `hipp` app.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace hipp::train {
struct RunControl;
}

namespace hipp::cli {

// Options every subcommand shares, parsed before the subcommand runs.
struct Globals {
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
  uint64_t max_pixels = 0;  // 0: not given (image::kDefaultMaxPixels, or hipp serve's own)
};

void add_train_commands(CLI::App& app, Globals& g);
// The options every `hipp train` command shares (train::RunControl) but --out, which each
// describes itself: clip, resume, checkpoints, time limit, log, limit, seed.
void add_run_options(CLI::App& cmd, train::RunControl& o);
void add_attack_train_command(CLI::App& train, Globals& g);   // under `train`
void add_encoder_train_command(CLI::App& train, Globals& g);  // under `train`
void add_flow_commands(CLI::App& app, Globals& g);
void add_image_commands(CLI::App& app, Globals& g);
void add_key_commands(CLI::App& app, Globals& g);
void add_data_commands(CLI::App& app, Globals& g);
void add_protect_commands(CLI::App& app, Globals& g);
void add_eval_commands(CLI::App& app, Globals& g);
void add_bench_commands(CLI::App& app, Globals& g);
void add_attack_commands(CLI::App& app, Globals& g);
void add_face_commands(CLI::App& app, Globals& g);
void add_serve_commands(CLI::App& app, Globals& g);

// Parses and runs; returns the exit code (0 ok, 1 error, 2 usage).
int run_main(int argc, char** argv, const std::string& about,
             const std::function<void(CLI::App&, Globals&)>& add_commands);

// Applies --threads and TF32 settings; call at the start of every subcommand.
void apply_globals(const Globals& g);

}  // namespace hipp::cli
