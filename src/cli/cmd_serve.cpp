// hipp serve: protect and restore over HTTP with the server's key (server/server.h).
#include <spdlog/spdlog.h>

#include <csignal>

#include "cli/commands.h"
#include "common/device.h"
#include "server/server.h"

namespace hipp::cli {

namespace {
server::Server* running = nullptr;  // for the signal handler: Ctrl-C stops serving cleanly
void stop_on_signal(int) {
  if (running) running->stop();
}
}  // namespace

void add_serve_commands(CLI::App& app, Globals& g) {
  struct Args {
    std::string key;
    server::ServeOptions serve;
    size_t max_mb = 32;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "serve",
      "serve protect/restore over HTTP with this key: GET /health; POST /protect[?scheme=&model=&block=] (image "
      "bytes -> protected PNG); POST /restore (protected PNG -> PNG; 403 on a wrong key); POST /info (-> JSON). "
      "Errors are JSON {\"error\": ...}");
  cmd->add_option("-k,--key", a->key, "key file from `hipp keygen`, or a text file holding a passphrase")->required();
  cmd->add_option("--host", a->serve.host, "address to listen on (default: this machine only)")
      ->default_val("127.0.0.1");
  cmd->add_option("--port", a->serve.port, "TCP port (0: any free one, printed)")
      ->default_val(8080)->check(CLI::Range(0, 65535));
  cmd->add_option("--max-mb", a->max_mb, "largest request body accepted, in MiB")
      ->default_val(32)->check(CLI::Range(1, 1024));
  cmd->callback([a, &g] {
    apply_globals(g);
    a->serve.max_body_bytes = a->max_mb << 20;
    service::Protector protector(keys::read_key_source(a->key), parse_device(g.device));
    server::Server srv(a->serve, protector);
    int port = srv.bind();
    running = &srv;
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    spdlog::info("serving on http://{}:{} (Ctrl-C stops)", a->serve.host, port);
    srv.run();
    running = nullptr;
    spdlog::info("stopped");
  });
}

}  // namespace hipp::cli
