// hipp: one binary, git-style subcommands.
#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace hipp::cli;
  return run_main(argc, argv,
                  "hipp: high-quality, reversible privacy protection for images (HIPP, IJCAI 2025) and its tools.\n"
                  "Run 'hipp <command> --help' for the options of each command.",
                  [](CLI::App& app, Globals& g) {
                    add_protect_commands(app, g);
                    add_eval_commands(app, g);
                    add_bench_commands(app, g);
                    add_attack_commands(app, g);
                    add_train_commands(app, g);
                    add_flow_commands(app, g);
                    add_image_commands(app, g);
                    add_key_commands(app, g);
                    add_data_commands(app, g);
                    add_face_commands(app, g);
#ifdef HIPP_WITH_SERVER  // not in the portable build (CMakeLists.txt)
                    add_serve_commands(app, g);
#endif
                  });
}
