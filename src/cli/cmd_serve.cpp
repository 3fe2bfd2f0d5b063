// hipp serve: protect and restore over HTTP with the server's key (server/server.h).
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "common/device.h"
#include "common/error.h"
#include "common/files.h"
#include "crypto/keystream.h"
#include "image/image.h"
#include "server/server.h"

namespace hipp::cli {

namespace {
server::Server* running = nullptr;  // for the signal handler: Ctrl-C stops serving cleanly
void stop_on_signal(int) {
  if (running) running->stop();
}

constexpr uint64_t kServeMaxPixels = 50'000'000;  // per request, with several at once
constexpr size_t kMinTokenChars = 16;

std::string read_token(const std::string& path) {
  auto bytes = read_file(path);
  std::string token(bytes.begin(), bytes.end());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < kMinTokenChars)
    throw Error(ErrorKind::usage, path + ": a token needs at least " + std::to_string(kMinTokenChars) +
                                      " characters (e.g. `openssl rand -hex 32 > " + path + "`)");
  for (unsigned char c : token)
    if (c <= ' ' || c > '~') throw Error(ErrorKind::usage, path + ": a token is printable ASCII without spaces");
  return token;
}

std::string random_token() {
  crypto::ensure_sodium();
  unsigned char b[24];
  randombytes_buf(b, sizeof b);
  char hex[2 * sizeof b + 1];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  return hex;
}
}  // namespace

void add_serve_commands(CLI::App& app, Globals& g) {
  struct Args {
    std::string key, token_file;
    server::ServeOptions serve;
    size_t max_mb = 32;
    int workers = 0, queue = -1;
    double queue_wait = 30;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "serve",
      "serve protect/restore over HTTP with this key: GET /health; POST /protect[?scheme=&model=&block=] (image "
      "bytes -> protected PNG); POST /restore[?format=jpeg|heif] (protected file -> PNG; 403 on a wrong key); POST /info (-> JSON). "
      "Every POST needs 'Authorization: Bearer TOKEN'. Errors are JSON {\"error\": ..., \"kind\": ...}");
  cmd->add_option("-k,--key", a->key, "key file from `hipp keygen`, or a text file holding a passphrase")->required();
  cmd->add_option("--token-file", a->token_file,
                  "file holding the token clients must send (at least 16 printable characters). Without it a fresh "
                  "token is printed once at start and the server listens on this machine only")
      ->check(CLI::ExistingFile);
  cmd->add_option("--host", a->serve.host, "address to listen on (default: this machine only; others need --token-file)")
      ->default_val("127.0.0.1");
  cmd->add_option("--port", a->serve.port, "TCP port (0: any free one, printed)")
      ->default_val(8080)->check(CLI::Range(0, 65535));
  cmd->add_option("--max-mb", a->max_mb, "largest request body accepted, in MiB")
      ->default_val(32)->check(CLI::Range(1, 1024));
  cmd->add_option("--workers", a->workers, "requests protected or restored at once (default: the core count)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--queue", a->queue, "requests that may wait for a worker; more get 503 (default: 4 per worker)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--queue-wait", a->queue_wait, "seconds a request may wait for a worker before it gets 503")
      ->default_val(30)->check(CLI::Range(0.1, 3600.0));
  cmd->callback([a, &g] {
    apply_globals(g);
    if (!g.max_pixels) image::set_max_pixels(kServeMaxPixels);
    auto& o = a->serve;
    o.max_body_bytes = a->max_mb << 20;
    o.queue_wait_ms = static_cast<int>(a->queue_wait * 1000);
    if (a->token_file.empty() && !server::is_loopback(o.host))
      throw Error(ErrorKind::usage, "--host " + o.host + " lets other machines in: give --token-file (without one, "
                                    "hipp serve listens on this machine only)");
    const bool generated = a->token_file.empty();
    o.token = generated ? random_token() : read_token(a->token_file);
    const int workers = a->workers ? a->workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    service::ProtectorPool pool(keys::read_key_source(a->key), parse_device(g.device), workers,
                                a->queue >= 0 ? a->queue : 4 * workers);
    server::Server srv(o, pool);
    int port = srv.bind();
    running = &srv;
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    if (generated) {
      spdlog::info("no --token-file: listening on this machine only, with a fresh token (printed once, below)");
      std::cout << "token: " << o.token << std::endl;
    }
    spdlog::info("serving on http://{}:{} with {} workers, {} more may wait; at most {:.0f} MP per image (Ctrl-C stops)",
                 o.host, port, pool.workers(), pool.queue(), image::max_pixels() / 1e6);
    srv.run();
    running = nullptr;
    spdlog::info("stopped");
  });
}

}  // namespace hipp::cli
