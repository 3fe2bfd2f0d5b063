#include "server/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "container/protected_png.h"
#include "hipp/models.h"
#include "image/image.h"
#include "scheme/registry.h"

namespace hipp::server {
using nlohmann::json;

namespace {

std::vector<uint8_t> body_bytes(const httplib::Request& req) {
  return std::vector<uint8_t>(req.body.begin(), req.body.end());
}

void send_png(httplib::Response& res, const std::vector<uint8_t>& png) {
  res.set_content(std::string(png.begin(), png.end()), "image/png");
}

// hipp::Error is the client's fault, its kind picks the status (common/error.h); anything else is
// ours (500).
template <typename F>
httplib::Server::Handler guarded(F f) {
  return [f](const httplib::Request& req, httplib::Response& res) {
    try {
      if (req.body.empty() && req.method == "POST") throw Error(ErrorKind::usage, "empty request body: send the image file's bytes");
      f(req, res);
    } catch (const Error& e) {
      res.status = http_status(e.kind);
      res.set_content(json{{"error", e.what()}, {"kind", kind_name(e.kind)}}.dump(), "application/json");
    } catch (const std::exception& e) {
      spdlog::error("{} {}: {}", req.method, req.path, e.what());
      res.status = 500;
      res.set_content(json{{"error", std::string("internal error: ") + e.what()}}.dump(), "application/json");
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

}  // namespace

Server::Server(const ServeOptions& options, service::Protector& protector)
    : options_(options), http_(std::make_unique<httplib::Server>()) {
  auto& http = *http_;
  http.set_payload_max_length(options.max_body_bytes);
  http.Get("/health", guarded([](const httplib::Request&, httplib::Response& res) {
    json models = json::array();
    for (auto& m : protect::shipped_models())
      models.push_back({{"name", m.name}, {"size", m.size}, {"trained_blocks_up_to", 1 << m.levels},
                        {"encoder", !m.encoder.empty()}, {"id", protect::hex(m.id)}});
    json schemes = scheme::names();
    res.set_content(json{{"status", "ok"}, {"models", models}, {"schemes", schemes}}.dump(), "application/json");
  }));
  http.Post("/protect", guarded([&protector](const httplib::Request& req, httplib::Response& res) {
    service::ProtectSettings s;
    if (req.has_param("scheme")) s.scheme = req.get_param_value("scheme");
    if (req.has_param("model")) s.model = req.get_param_value("model");
    s.block = number_param(req, "block", 0);
    if (s.block < 0) throw Error(ErrorKind::usage, "query parameter block must be positive");
    s.thumbnail = number_param(req, "thumbnail", s.thumbnail);
    if (s.thumbnail < 1) throw Error(ErrorKind::usage, "query parameter thumbnail must be positive");
    s.detail_scale = number_param(req, "detail_scale", 1.0);
    s.repair.min_psnr = number_param(req, "min_psnr", s.repair.min_psnr);
    s.repair.min_ssim = number_param(req, "min_ssim", s.repair.min_ssim);
    s.repair.lossless = req.has_param("lossless") && req.get_param_value("lossless") != "0";
    // Models are named, never paths: a client must not make the server read its files.
    if (s.model.find('/') != std::string::npos || s.model.find("..") != std::string::npos)
      throw Error(ErrorKind::usage, "model must be the name of a shipped model (see GET /health)");
    // PNG unless asked: a client that wants JPEG says so (quality: the body JPEG's, or 90).
    const auto body = body_bytes(req);
    const int quality = number_param(req, "quality", 0);
    if (quality < 0 || quality > 100) throw Error(ErrorKind::usage, "query parameter quality must be 1..100");
    service::fit_to_input(s, body, "request body", quality);
    s.format.jpeg = req.has_param("format") && req.get_param_value("format") == "jpeg";
    if (req.has_param("format") && !s.format.jpeg && req.get_param_value("format") != "png")
      throw Error(ErrorKind::usage, "query parameter format must be png or jpeg");
    s.repair = repair::floors_for(s.repair, s.format.jpeg, req.has_param("min_psnr"), req.has_param("min_ssim"));
    auto bytes = protector.protect(image::decode(body, "request body"), s, nullptr, body);
    res.set_content(std::string(bytes.begin(), bytes.end()), s.format.jpeg ? "image/jpeg" : "image/png");
  }));
  http.Post("/restore", guarded([&protector](const httplib::Request& req, httplib::Response& res) {
    auto r = protector.restore(body_bytes(req), "request body");
    // A protected JPEG re-encoded since protection restores approximately: say so.
    res.set_header("X-Hipp-Restoration", r.exact ? "exact" : "approximate");
    send_png(res, image::encode_png(r.rgb));
  }));
  http.Post("/info", guarded([](const httplib::Request& req, httplib::Response& res) {
    auto h = container::read_header(body_bytes(req), "request body");
    res.set_content(json{{"version", h.version}, {"scheme", h.scheme}, {"model_id", protect::hex(h.model_id)},
                         {"block", h.block}, {"width", h.width}, {"height", h.height},
                         {"side_bytes", h.side.size()}, {"repair_bytes", h.repair.size()},
                         {"key", h.passphrase ? "passphrase" : "raw"}, {"lossy_pixels", h.pixel_tag.has_value()},
                         {"original_jpeg_quality", h.origin ? json(h.origin->quality) : json(nullptr)}}
                        .dump(),
                    "application/json");
  }));
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
