#pragma once
// `hipp serve`: protect and restore over HTTP for apps, with the server's key (clients never
// see it). Endpoints (bodies are raw file bytes; errors are JSON {"error": "...", "kind": "..."}):
//   GET  /health                          -> JSON: status, models, schemes, workers
//   POST /protect[?scheme=&model=&block=]  image (PNG/JPEG) -> protected PNG
//   POST /restore                          protected PNG -> restored PNG (403 on a wrong key)
//   POST /info                             protected PNG -> JSON header (nothing secret)
// With a token, every POST needs "Authorization: Bearer <token>" (401 otherwise). Protect and
// restore run on a pool of workers; when all are busy and the queue is full, or a request
// waited too long for one, the answer is 503 with Retry-After.
#include <memory>
#include <string>

#include "service/pool.h"

namespace httplib {
class Server;
}

namespace hipp::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port())
  size_t max_body_bytes = 32u << 20;
  std::string token;         // empty: no authentication (the CLI always sets one)
  int queue_wait_ms = 30000;  // a request that waits longer for a worker gets 503
  int io_timeout_s = 60;     // reading a request, writing a response: slow clients are cut off
};

// Whether `host` only accepts connections from this machine.
bool is_loopback(const std::string& host);

class Server {
 public:
  Server(const ServeOptions& options, service::ProtectorPool& pool);
  ~Server();
  // Binds (throws hipp::Error if it cannot), then serves until stop(); returns after stop.
  void run();
  // Binds without serving yet, so the port is known; run() then serves.
  int bind();
  int port() const { return port_; }
  void stop();

 private:
  ServeOptions options_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = -1;
};

}  // namespace hipp::server
