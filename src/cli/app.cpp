// The command-line driver every hipp binary shares: global options, git-style subcommands,
// and errors as one line with a non-zero exit.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "image/image.h"

namespace hipp::cli {
void apply_globals(const Globals& g) {
  set_threads(g.threads);
  disable_tf32();
  if (g.quiet) spdlog::set_level(spdlog::level::warn);
  image::set_max_pixels(g.max_pixels ? g.max_pixels : image::kDefaultMaxPixels);
}
}  // namespace hipp::cli

int hipp::cli::run_main(int argc, char** argv, const std::string& about,
                         const std::function<void(CLI::App&, Globals&)>& add_commands) {
  spdlog::set_pattern("hipp: %^%l%$: %v");
  spdlog::flush_on(spdlog::level::info);  // lines appear as they happen when piped (a server's log)
  keep_freed_memory();
  CLI::App app{about};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  Globals g;
  app.add_option("--device", g.device, "cpu or cuda")->default_val("cpu");
  app.add_option("--threads", g.threads, "CPU threads for LibTorch (0: every core, or OMP_NUM_THREADS if set)")->default_val(0);
  app.add_flag("-q,--quiet", g.quiet, "only warnings and errors");
  app.add_option("--max-pixels", g.max_pixels,
                 "largest image read, in pixels (width x height; 50M, 200M or 2G: powers of 1000), checked from the "
                 "file's header before decoding. Default: 134M (hipp serve: 50M)")
      ->transform(CLI::AsSizeValue(true))
      ->check(CLI::PositiveNumber);
  add_commands(app, g);
  // CLI11 would call a mistyped command a missing one; name it instead.
  if (argc > 1 && argv[1][0] != '-' &&
      app.get_subcommands([&](CLI::App* s) { return s->check_name(argv[1]); }).empty()) {
    std::cerr << "hipp: error: unknown command '" << argv[1] << "' (see hipp --help)\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const hipp::Error& e) {
    std::cerr << "hipp: error: " << e.what() << "\n";
    return hipp::exit_code(e.kind);
  } catch (const c10::Error& e) {
    std::cerr << "hipp: error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "hipp: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
