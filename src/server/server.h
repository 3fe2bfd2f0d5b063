#pragma once
// `hipp serve`: protect and restore over HTTP for apps, with the server's key (clients never
// see it). Endpoints (bodies are raw file bytes; errors are JSON {"error": "..."}):
//   GET  /health                          -> JSON: status, models, schemes
//   POST /protect[?scheme=&model=&block=]  image (PNG/JPEG) -> protected PNG
//   POST /restore                          protected PNG -> restored PNG (403 on a wrong key)
//   POST /info                             protected PNG -> JSON header (nothing secret)
#include <memory>
#include <string>

#include "service/protector.h"

namespace httplib {
class Server;
}

namespace hipp::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port())
  size_t max_body_bytes = 32u << 20;
};

class Server {
 public:
  Server(const ServeOptions& options, service::Protector& protector);
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
