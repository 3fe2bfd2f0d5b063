#pragma once
// A single-line progress display for long jobs (training, evaluation).
#include <chrono>
#include <string>

namespace hipp {

class Progress {
 public:
  // `first` is where a resumed job starts, so the rate counts only this run's work.
  Progress(std::string label, long total, long first = 0);
  // Redraws at most a few times a second unless `force`; `extra` is appended (loss, bpd...).
  void update(long done, const std::string& extra = "", bool force = false);
  // Final redraw at `done` (default: total) and a newline.
  void finish(long done = -1, const std::string& extra = "");
  double elapsed_seconds() const;
  // Wipes a drawn line so a message can take its place (redrawn on the next update).
  void clear_line();

 private:
  std::string label_;
  long total_, first_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_;
};

std::string format_duration(double seconds);

}  // namespace hipp
