// Load test of hipp serve on loopback (docs/http.md, "Load test"): a server in this process
// with a fresh key and token, and --clients threads that for --seconds mix exact protects and
// their restores (each restored image must equal its own original: no lost or mixed-up
// answers), /info, bad bodies and wrong tokens. Fails on any 5xx other than 503, any wrong
// answer, or a restore that differs; reports the counts and the process's RSS before and after.
#include <httplib.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "image/image.h"
#include "server/server.h"

using namespace hipp;
namespace fs = std::filesystem;

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct Photo {
  torch::Tensor rgb;
  std::string png;
};

// The bundled scene photos at several sizes, as PNG bodies.
std::vector<Photo> photos(const std::string& folder) {
  std::vector<Photo> out;
  for (auto& e : fs::directory_iterator(folder)) {
    if (e.path().extension() != ".jpg") continue;
    auto img = image::load(e.path().string());
    for (int size : {48, 64, 96, 128}) {
      auto rgb = image::center_crop_resize(img, size, 1.0);
      auto png = image::encode_png(rgb);
      out.push_back({rgb, std::string(png.begin(), png.end())});
    }
  }
  if (out.empty()) throw std::runtime_error(folder + ": no .jpg photos");
  return out;
}

struct Tally {
  std::mutex mu;
  std::map<std::string, std::map<int, long>> status;  // request kind -> HTTP status -> count
  std::atomic<long> exact{0}, wrong{0}, failures{0};
  std::vector<std::string> problems;
  void add(const std::string& kind, int code) {
    std::lock_guard<std::mutex> l(mu);
    ++status[kind][code];
  }
  void problem(const std::string& what) {
    ++failures;
    std::lock_guard<std::mutex> l(mu);
    if (problems.size() < 20) problems.push_back(what);
  }
};

// One client: the mix above until the deadline.
void client(int port, const std::string& token, const std::vector<Photo>& set, int seed,
            std::chrono::steady_clock::time_point until, Tally& t) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(300, 0);
  c.set_bearer_token_auth(token.c_str());
  httplib::Client intruder("127.0.0.1", port);
  intruder.set_bearer_token_auth("not-the-token-0123456789");
  std::mt19937 rng(seed);
  const char* schemes[] = {"hipp", "shuffle", "tpe-ideal"};
  while (std::chrono::steady_clock::now() < until) {
    const int pick = static_cast<int>(rng() % 100);
    const auto& photo = set[rng() % set.size()];
    if (pick < 60) {
      auto path = std::string("/protect?lossless=1&scheme=") + schemes[rng() % 3];
      auto prot = c.Post(path.c_str(), photo.png, "application/octet-stream");
      if (!prot) { t.problem("protect: no answer"); continue; }
      t.add("protect", prot->status);
      if (prot->status != 200) continue;
      auto back = c.Post("/restore", prot->body, "application/octet-stream");
      if (!back) { t.problem("restore: no answer"); continue; }
      t.add("restore", back->status);
      if (back->status != 200) continue;
      auto rgb = image::decode(std::vector<uint8_t>(back->body.begin(), back->body.end()), "answer");
      if (rgb.sizes() == photo.rgb.sizes() && torch::equal(rgb, photo.rgb)) ++t.exact;
      else ++t.wrong, t.problem("a restore differs from its original (" + path + ")");
    } else if (pick < 70) {
      auto r = c.Post("/info", photo.png, "application/octet-stream");  // not protected: 400
      if (!r) { t.problem("info: no answer"); continue; }
      t.add("info (plain image)", r->status);
      if (r->status != 400) t.problem("info of a plain image gave " + std::to_string(r->status));
    } else if (pick < 85) {
      std::string junk(64 + rng() % 4096, '\0');
      for (auto& ch : junk) ch = static_cast<char>(rng());
      auto r = c.Post(rng() % 2 ? "/protect" : "/restore", junk, "application/octet-stream");
      if (!r) { t.problem("junk: no answer"); continue; }
      t.add("junk body", r->status);
      if (r->status != 400 && r->status != 503) t.problem("a junk body gave " + std::to_string(r->status));
    } else {
      auto r = intruder.Post("/restore", photo.png, "application/octet-stream");
      if (!r) { t.problem("wrong token: no answer"); continue; }
      t.add("wrong token", r->status);
      if (r->status != 401) t.problem("a wrong token gave " + std::to_string(r->status));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"load test of hipp serve on loopback (docs/http.md)"};
  int clients = 8, seconds = 60, workers = 2, queue = 8, threads = 1;
  std::string fixtures = std::string(HIPP_SOURCE_DIR) + "/tests/fixtures/scenes", json_out;
  app.add_option("--clients", clients, "client threads")->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds, "how long")->check(CLI::Range(1, 3600));
  app.add_option("--workers", workers, "server workers")->check(CLI::Range(1, 256));
  app.add_option("--queue", queue, "server queue")->check(CLI::Range(0, 4096));
  app.add_option("--threads", threads, "LibTorch threads (shared by the workers)")->check(CLI::Range(1, 256));
  app.add_option("--photos", fixtures, "folder of .jpg photos");
  app.add_option("--json", json_out, "write the results here too");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);

  keys::KeySource key;
  randombytes_buf(key.raw.data(), key.raw.size());
  server::ServeOptions o;
  o.port = 0;
  o.token = "load-test-token-" + std::to_string(std::random_device{}());
  service::ProtectorPool pool(key, torch::kCPU, workers, queue);
  server::Server srv(o, pool);
  const int port = srv.bind();
  std::thread serving([&] { srv.run(); });
  auto set = photos(fixtures);

  Tally warm;  // models loaded and caches filled before the first RSS reading
  client(port, o.token, set, 0, std::chrono::steady_clock::now() + std::chrono::seconds(3), warm);
  const long rss_before = rss_kib();
  Tally t;
  const auto start = std::chrono::steady_clock::now(), until = start + std::chrono::seconds(seconds);
  std::vector<std::thread> cs;
  for (int i = 0; i < clients; ++i) cs.emplace_back([&, i] { client(port, o.token, set, i + 1, until, t); });
  std::vector<double> rss_trace;  // every 10 s: flat after the first minutes, or a leak
  while (std::chrono::steady_clock::now() + std::chrono::seconds(10) <= until) {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    rss_trace.push_back(rss_kib() / 1024.0);
  }
  for (auto& c : cs) c.join();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long rss_after = rss_kib();
  srv.stop();
  serving.join();

  nlohmann::json out{{"clients", clients}, {"seconds", took}, {"workers", workers}, {"queue", queue},
                     {"exact_restores", t.exact.load()}, {"wrong_restores", t.wrong.load()},
                     {"problems", t.problems}, {"rss_mib_before", rss_before / 1024.0},
                     {"rss_mib_after", rss_after / 1024.0}, {"rss_mib_every_10s", rss_trace}};
  long server_errors = 0;
  for (auto& [kind, codes] : t.status)
    for (auto& [code, n] : codes) {
      out["status"][kind][std::to_string(code)] = n;
      if (code >= 500 && code != 503) server_errors += n;
    }
  out["server_errors"] = server_errors;
  std::cout << out.dump(1) << "\n";
  if (!json_out.empty()) std::ofstream(json_out) << out.dump(1) << "\n";
  const bool ok = server_errors == 0 && t.failures == 0 && t.exact > 0;
  std::cout << (ok ? "load test: passed" : "load test: FAILED") << "\n";
  return ok ? 0 : 1;
}
