#include "cli/folder_run.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/progress.h"
#include "data/image_folder.h"

namespace hipp::cli {
namespace fs = std::filesystem;

Shard parse_shard(const std::string& text) {
  Shard s;
  size_t used = 0, slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    s.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    s.count = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw Error(ErrorKind::usage, "--shard " + text + ": expected I/N, e.g. 0/4 for the first of four shards");
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw Error(ErrorKind::usage, "--shard " + text + ": needs 0 <= I < N");
  return s;
}

bool in_shard(const std::string& key, const Shard& shard) {
  if (shard.count == 1) return true;
  uint8_t h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const uint8_t*>(key.data()), key.size(), nullptr, 0);
  uint64_t v = 0;
  for (uint8_t b : h) v = v << 8 | b;
  return static_cast<int>(v % static_cast<uint64_t>(shard.count)) == shard.index;
}

bool single_output(const std::vector<std::string>& inputs, const std::string& out) {
  // "-o new/" names a folder that does not exist yet, as it does for cp and rsync.
  const bool folder = fs::is_directory(out) || (!out.empty() && out.back() == '/');
  return inputs.size() == 1 && !fs::is_directory(inputs[0]) && !folder;
}

std::vector<Job> plan_jobs(const std::vector<std::string>& inputs, const std::string& out, const PlanOptions& o) {
  std::vector<Job> jobs;
  auto ext = [&o](const std::string& in) { return o.extension ? o.extension(in) : std::string(".png"); };
  if (single_output(inputs, out)) {
    if (!fs::exists(inputs[0])) throw Error(inputs[0] + ": no such file");
    jobs.push_back({inputs[0], out, fs::path(inputs[0]).filename().string()});
  } else {
    if (fs::exists(out) && !fs::is_directory(out)) throw Error("-o " + out + ": with several inputs, -o must be a folder");
    for (auto& in : inputs) {
      if (!fs::exists(in)) throw Error(in + ": no such file or folder");
      if (fs::is_directory(in)) {
        for (auto& f : data::list_images({in})) {
          auto rel = fs::relative(f, in);
          jobs.push_back({f, (fs::path(out) / rel).replace_extension(ext(f)).string(), rel.generic_string()});
        }
      } else {
        auto name = fs::path(in).filename();
        jobs.push_back({in, (fs::path(out) / name).replace_extension(ext(in)).string(), name.string()});
      }
    }
    std::map<std::string, std::string> seen;
    for (auto& j : jobs)
      if (!seen.emplace(j.out, j.in).second)
        throw Error(j.in + " and " + seen[j.out] + " would both be written to " + j.out);
  }
  std::vector<Job> mine;
  for (auto& j : jobs)
    if (in_shard(j.key, o.shard)) mine.push_back(j);
  if (!o.force && !o.skip_existing)
    for (auto& j : mine)
      if (fs::exists(j.out))
        throw Error(ErrorKind::usage, j.out + " already exists (pass --force to replace it, or --skip-existing to keep it)");
  return mine;
}

namespace {

class Manifest {
 public:
  explicit Manifest(const std::string& path) {
    if (path.empty()) return;
    auto parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    f_.open(path, std::ios::app);
    if (!f_) throw Error(path + ": cannot open the manifest for writing");
  }
  void add(const Job& j, const char* status, double seconds, const std::string& error = "") {
    if (!f_.is_open()) return;
    nlohmann::json line = {{"input", j.in}, {"output", j.out}, {"status", status}, {"seconds", seconds}};
    if (!error.empty()) line["error"] = error;
    // A killed run keeps every line it finished. File names need not be UTF-8: such bytes become
    // U+FFFD rather than an exception.
    f_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n' << std::flush;
  }

 private:
  std::ofstream f_;
};

// Errors usually name the file already; make sure the line does.
std::string failure_line(const Job& j, const std::string& what) {
  return what.find(j.in) == std::string::npos ? j.in + ": " + what : what;
}

}  // namespace

RunTally run_jobs(const std::vector<Job>& jobs, const RunOptions& o, const std::function<void(const Job&)>& work,
                  const std::function<bool(const Job&)>& valid) {
  Manifest manifest(o.manifest);
  Progress progress(o.label, static_cast<long>(jobs.size()));
  RunTally t;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    if (o.skip_existing && fs::exists(j.out) && valid(j)) {
      ++t.skipped;
      manifest.add(j, "skipped", seconds());
    } else {
      try {
        work(j);
        ++t.done;
        manifest.add(j, "done", seconds());
      } catch (const std::exception& e) {
        manifest.add(j, "failed", seconds(), e.what());
        if (o.fail_fast) throw;
        ++t.failed;
        if (!o.quiet) progress.clear_line();
        spdlog::error("{}", failure_line(j, e.what()));
      }
    }
    if (!o.quiet) progress.update(static_cast<long>(i + 1));
  }
  if (!o.quiet) progress.finish();
  return t;
}

}  // namespace hipp::cli
