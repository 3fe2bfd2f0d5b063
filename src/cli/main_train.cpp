// hipp-train: the trainer alone, for machines that have LibTorch but not hipp's other
// dependencies (the GPU machine). Same options and files as `hipp train`.
#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace hipp::cli;
  return run_main(argc, argv, "hipp-train: `hipp train` without image or crypto dependencies (packed data only)",
                  [](CLI::App& app, Globals& g) { add_train_commands(app, g); });
}
