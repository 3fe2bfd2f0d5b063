#include "server/server.h"

#include <httplib.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "container/protected_png.h"
#include "hipp/models.h"
#include "image/image.h"
#include "scheme/registry.h"
#include "server/page/page.h"
#include "server/routes.h"

namespace hipp::server {
using nlohmann::json;

namespace {

std::vector<uint8_t> body_bytes(const httplib::Request& req) {
  return std::vector<uint8_t>(req.body.begin(), req.body.end());
}

void send_png(httplib::Response& res, const std::vector<uint8_t>& png) {
  res.set_content(std::string(png.begin(), png.end()), "image/png");
}

// JSON text for an answer. Strings can hold the client's bytes (a query parameter quoted in an
// error, a scheme name from a file), which need not be UTF-8: invalid bytes become U+FFFD
// instead of an exception (found by fuzz/fuzz_http.cpp).
std::string text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  res.status = status;
  res.set_content(text(json{{"error", message}, {"kind", kind}}), "application/json");
}

// Constant-time comparison of the request's bearer token with ours: both are hashed first, so
// neither the content nor the length of ours leaks through timing.
bool authorized(const httplib::Request& req, const std::string& token) {
  if (token.empty()) return true;
  const std::string given = req.get_header_value("Authorization");
  const std::string expected = "Bearer " + token;
  unsigned char a[32], b[32];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()), given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

// What a handler runs with: the request's worker, when it needs one.
struct Work {
  service::Protector* protector = nullptr;
};

// Authentication, a worker from the pool (when `pooled`), and errors as JSON: hipp::Error is the
// client's fault, its kind picks the status (common/error.h); anything else is ours (500).
template <typename F>
httplib::Server::Handler guarded(const ServeOptions& o, service::ProtectorPool* pool, F f) {
  return [&o, pool, f](const httplib::Request& req, httplib::Response& res) {
    try {
      if (req.method == "POST" && !authorized(req, o.token)) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"hipp\"");
        return send_error(res, 401, "unauthorized",
                          "missing or wrong token: send 'Authorization: Bearer <token>' (hipp serve printed it, or "
                          "it is in the --token-file)");
      }
      if (req.body.empty() && req.method == "POST") throw Error(ErrorKind::usage, "empty request body: send the image file's bytes");
      Work work;
      auto lease = pool ? pool->acquire(std::chrono::milliseconds(o.queue_wait_ms)) : std::nullopt;
      if (pool && !lease) {
        res.set_header("Retry-After", "2");
        return send_error(res, 503, "busy", "busy: every worker is taken and the queue is full; retry shortly");
      }
      if (lease) work.protector = &**lease;
      f(req, res, work);
    } catch (const Error& e) {
      send_error(res, http_status(e.kind), kind_name(e.kind), e.what());
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      send_error(res, 500, "internal", std::string("internal error: ") + e.what());
    }
  };
}

// A numeric query parameter (int or double), or `absent` when the request has none.
template <typename T>
T number_param(const httplib::Request& req, const char* name, T absent) {
  if (!req.has_param(name)) return absent;
  constexpr bool integer = std::is_integral_v<T>;
  try {
    if constexpr (integer)
      return std::stoi(req.get_param_value(name));
    else
      return std::stod(req.get_param_value(name));
  } catch (const std::exception&) {
    throw Error(ErrorKind::usage, std::string("query parameter ") + name + (integer ? " must be an integer" : " must be a number"));
  }
}

// The format a request asks for: png (the default), jpeg, or where `heif` is offered heif.
std::string format_param(const httplib::Request& req, bool heif = false) {
  if (!req.has_param("format")) return "png";
  const auto format = req.get_param_value("format");
  if (format != "png" && format != "jpeg" && !(heif && format == "heif"))
    throw Error(ErrorKind::usage, std::string("query parameter format must be png") + (heif ? ", jpeg or heif" : " or jpeg"));
  return format;
}

}  // namespace

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void install_routes(httplib::Server& http, const ServeOptions& o, service::ProtectorPool& pool) {
  http.set_payload_max_length(o.max_body_bytes);
  http.set_read_timeout(o.io_timeout_s, 0);
  http.set_write_timeout(o.io_timeout_s, 0);
  // Enough connection threads for every worker and queued request, plus a few to answer 503.
  const size_t threads = static_cast<size_t>(pool.workers() + pool.queue() + 4);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    // Everything the page needs is in it: no other origin may supply scripts, styles or images.
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; "
                   "connect-src 'self' blob:");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(page_html(), "text/html; charset=utf-8");
  });
  http.Get("/health", guarded(o, nullptr, [&pool](const httplib::Request&, httplib::Response& res, Work&) {
    json models = json::array();
    for (auto& m : protect::shipped_models())
      models.push_back({{"name", m.name}, {"size", m.size}, {"trained_blocks_up_to", 1 << m.levels},
                        {"encoder", !m.encoder.empty()}, {"id", protect::hex(m.id)}});
    json schemes = scheme::names();
    res.set_content(text(json{{"status", "ok"}, {"models", models}, {"schemes", schemes}, {"workers", pool.workers()},
                         {"max_pixels", image::max_pixels()}}),
                    "application/json");
  }));
  http.Post("/protect", guarded(o, &pool, [](const httplib::Request& req, httplib::Response& res, Work& w) {
    service::ProtectSettings s;
    auto& q = s.request;
    if (req.has_param("scheme")) q.name = req.get_param_value("scheme");
    if (req.has_param("model")) q.model = req.get_param_value("model");
    q.block = number_param(req, "block", 0);
    if (q.block < 0) throw Error(ErrorKind::usage, "query parameter block must be positive");
    q.thumbnail = number_param(req, "thumbnail", q.thumbnail);
    if (q.thumbnail < 1) throw Error(ErrorKind::usage, "query parameter thumbnail must be positive");
    q.detail_scale = number_param(req, "detail_scale", 1.0);
    s.repair.min_psnr = number_param(req, "min_psnr", s.repair.min_psnr);
    s.repair.min_ssim = number_param(req, "min_ssim", s.repair.min_ssim);
    s.repair.lossless = req.has_param("lossless") && req.get_param_value("lossless") != "0";
    // Models are named, never paths: a client must not make the server read its files.
    if (q.model.find('/') != std::string::npos || q.model.find("..") != std::string::npos)
      throw Error(ErrorKind::usage, "model must be the name of a shipped model (see GET /health)");
    // PNG unless asked: a client that wants JPEG says so (quality: the body JPEG's, or 90).
    const auto body = body_bytes(req);
    const int quality = number_param(req, "quality", 0);
    if (quality < 0 || quality > 100) throw Error(ErrorKind::usage, "query parameter quality must be 1..100");
    const double max_expansion = number_param(req, "max_expansion", service::kKeptOriginalMaxExpansion);
    if (!(max_expansion >= 0 && max_expansion <= 100))
      throw Error(ErrorKind::usage, "query parameter max_expansion must be 0..100");
    service::fit_to_input(s, body, "request body", quality, max_expansion);
    s.format.jpeg = format_param(req) == "jpeg";
    s.repair = repair::floors_for(s.repair, s.format.jpeg, req.has_param("min_psnr"), req.has_param("min_ssim"));
    auto bytes = w.protector->protect(image::decode(body, "request body"), s, nullptr, body);
    res.set_content(std::string(bytes.begin(), bytes.end()), s.format.jpeg ? "image/jpeg" : "image/png");
  }));
  http.Post("/restore", guarded(o, &pool, [](const httplib::Request& req, httplib::Response& res, Work& w) {
    // PNG unless asked: format=jpeg gives the original JPEG itself where the file kept it, and
    // format=heif the kept HEIF (HEIC, AVIF).
    const auto format = format_param(req, true);
    auto r = w.protector->restore(body_bytes(req), "request body");
    // A protected JPEG re-encoded since protection restores approximately: say so.
    res.set_header("X-Hipp-Restoration", r.exact ? "exact" : "approximate");
    if (format == "png") return send_png(res, service::restored_png(r));
    auto bytes = format == "heif" ? service::restored_heif(r, "request body") : service::restored_jpeg(r);
    res.set_content(std::string(bytes.begin(), bytes.end()), format == "heif" ? "image/heif" : "image/jpeg");
  }));
  http.Post("/info", guarded(o, nullptr, [](const httplib::Request& req, httplib::Response& res, Work&) {
    auto h = container::read_header(body_bytes(req), "request body");
    res.set_content(text(json{{"version", h.version}, {"scheme", h.scheme}, {"model_id", protect::hex(h.model_id)},
                         {"block", h.block}, {"width", h.width}, {"height", h.height},
                         {"side_bytes", h.side.size()}, {"repair_bytes", h.repair.size()},
                         {"original_bytes", h.original.size()}, {"original_jpeg_xl", h.original_jxl},
                         {"original_format", container::kept_format(h)},
                         {"key", h.passphrase ? "passphrase" : "raw"}, {"lossy_pixels", h.pixel_tag.has_value()},
                         {"original_jpeg_quality", h.origin ? json(h.origin->quality) : json(nullptr)}}),
                    "application/json");
  }));
}

Server::Server(const ServeOptions& options, service::ProtectorPool& pool)
    : options_(options), http_(std::make_unique<httplib::Server>()) {
  install_routes(*http_, options_, pool);
}

Server::~Server() = default;

int Server::bind() {
  port_ = options_.port == 0 ? http_->bind_to_any_port(options_.host)
                             : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ < 0)
    throw Error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                " (in use, or not an address of this machine)");
  return port_;
}

void Server::run() {
  if (port_ < 0) bind();
  http_->listen_after_bind();
}

void Server::stop() { http_->stop(); }

}  // namespace hipp::server
