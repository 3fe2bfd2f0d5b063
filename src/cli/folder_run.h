#pragma once
// Running protect or restore over many files: which inputs map to which outputs, which share of
// them this machine takes (--shard), what is already done (--skip-existing), and a run that goes
// on past a bad file, reports each failure on one line, and records every file in a manifest.
#include <functional>
#include <string>
#include <vector>

namespace hipp::cli {

struct Job {
  std::string in, out;
  std::string key;  // the input's path relative to the folder named on the command line: what shards hash
};

struct Shard {
  int index = 0, count = 1;  // this run takes the files whose key hashes to `index` mod `count`
};
// "I/N" with 0 <= I < N; throws hipp::Error otherwise.
Shard parse_shard(const std::string& text);
// Stable across runs, machines and builds: BLAKE2b of the key, mod count.
bool in_shard(const std::string& key, const Shard& shard);

struct PlanOptions {
  bool force = false;          // replace existing outputs
  bool skip_existing = false;  // leave existing outputs for the run to check, instead of refusing
  // An output's extension in a folder run, from its input's path (default: ".png").
  std::function<std::string(const std::string& input)> extension;
  Shard shard;
};
// Expands folders (recursively) and maps each input to its output path. One input file with an
// output that is not a folder (an existing one, or a path ending in '/') is a single job;
// anything else writes into the folder `out`.
std::vector<Job> plan_jobs(const std::vector<std::string>& inputs, const std::string& out, const PlanOptions& o);
bool single_output(const std::vector<std::string>& inputs, const std::string& out);

struct RunOptions {
  std::string label;  // "protect" or "restore"
  bool skip_existing = false;
  bool fail_fast = false;
  bool quiet = false;
  std::string manifest;  // JSON lines appended here: input, output, status, seconds (and error)
};
struct RunTally {
  int done = 0, skipped = 0, failed = 0;
};
// Runs `work` on each job. With skip_existing, a job whose output exists and `valid` accepts
// is skipped. A failure is reported and the run goes on (fail_fast: rethrown).
RunTally run_jobs(const std::vector<Job>& jobs, const RunOptions& o, const std::function<void(const Job&)>& work,
                  const std::function<bool(const Job&)>& valid);

}  // namespace hipp::cli
