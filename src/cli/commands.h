#pragma once
// Each file in cli/ adds one family of subcommands to the `hipp` app.
#include <CLI/CLI.hpp>
#include <string>

namespace hipp::cli {

// Options every subcommand shares, parsed before the subcommand runs.
struct Globals {
  std::string device = "cpu";
  int threads = 0;
  bool quiet = false;
};

void add_train_commands(CLI::App& app, Globals& g);
void add_flow_commands(CLI::App& app, Globals& g);
void add_image_commands(CLI::App& app, Globals& g);
void add_key_commands(CLI::App& app, Globals& g);

// Applies --threads and TF32 settings; call at the start of every subcommand.
void apply_globals(const Globals& g);

}  // namespace hipp::cli
