// libFuzzer: hipp serve's HTTP handling from raw request bytes: cpp-httplib's request parsing
// (request line, headers, chunked bodies, multipart, ranges) and every route, with a token, one
// worker and the server's fixed raw key (the one tests/vectors/v3-all uses, so the seeds'
// protected files restore). A crash, a sanitizer report or a 500 (an error that is not a
// hipp::Error, i.e. ours, not the client's) is a finding.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "image/image.h"
#include "server/routes.h"

namespace {

// A connection whose request is the fuzzer's bytes and whose response is kept.
class MemoryStream : public httplib::Stream {
 public:
  MemoryStream(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size = std::min(size, size_ - pos_);
    std::memcpy(ptr, data_ + pos_, size);
    pos_ += size;
    return static_cast<ssize_t>(size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    response.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 40000; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 8080; }
  socket_t socket() const override { return 0; }
  std::string response;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// process_request is protected: the one way in without a socket.
class MemoryServer : public httplib::Server {
 public:
  void serve(MemoryStream& stream) {
    bool closed = false;
    process_request(stream, true, closed, nullptr);
  }
};

struct Fixture {
  hipp::server::ServeOptions options;
  hipp::service::ProtectorPool pool;
  MemoryServer http;
  static hipp::keys::KeySource key() {
    hipp::keys::KeySource k;
    for (size_t i = 0; i < k.raw.size(); ++i) k.raw[i] = static_cast<uint8_t>(i);
    return k;
  }
  Fixture() : pool(key(), torch::kCPU, 1, 1) {
    options.token = "fuzz-token-0123456789";  // the seeds send it
    options.max_body_bytes = 1 << 20;
    hipp::server::install_routes(http, options, pool);
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  hipp::image::set_max_pixels(1 << 16);  // every image a request may decode stays small and quick
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture;  // models load once; never destroyed (libFuzzer exits)
  MemoryStream stream(data, size);
  fixture->http.serve(stream);
  static const bool show = std::getenv("FUZZ_HTTP_SHOW");  // to check what the seeds reach
  if (show) std::fprintf(stderr, "%s\n", stream.response.substr(0, stream.response.find('\r')).c_str());
  if (stream.response.rfind("HTTP/1.1 500", 0) == 0) {
    std::fprintf(stderr, "fuzz_http: 500 answer:\n%s\n", stream.response.substr(0, 2000).c_str());
    std::abort();
  }
  return 0;
}
