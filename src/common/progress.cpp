#include "common/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hipp {

std::string format_duration(double s) {
  char buf[32];
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

Progress::Progress(std::string label, long total, long first)
    : label_(std::move(label)),
      total_(total),
      first_(first),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::hours(1)),
      tty_(isatty(fileno(stderr))) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(long done, const std::string& extra, bool force) {
  auto now = std::chrono::steady_clock::now();
  // Without a terminal (logs, CI) print a line every 10 s instead of redrawing.
  double min_gap = tty_ ? 0.2 : 10.0;
  if (!force && std::chrono::duration<double>(now - last_draw_).count() < min_gap) return;
  last_draw_ = now;
  double el = elapsed_seconds();
  double rate = el > 0 ? (done - first_) / el : 0.0;
  double eta = rate > 0 ? (total_ - done) / rate : 0.0;
  std::fprintf(stderr, "%s%s %ld/%ld %5.1f%% %.2f it/s ETA %s %s%s", tty_ ? "\r\033[K" : "",
               label_.c_str(), done, total_, total_ ? 100.0 * done / total_ : 100.0, rate,
               format_duration(eta).c_str(), extra.c_str(), tty_ ? "" : "\n");
  std::fflush(stderr);
}

void Progress::clear_line() {
  if (!tty_) return;
  std::fputs("\r\033[K", stderr);
  last_draw_ = start_ - std::chrono::hours(1);
}

void Progress::finish(long done, const std::string& extra) {
  update(done < 0 ? total_ : done, extra, true);
  if (tty_) std::fputc('\n', stderr);
}

}  // namespace hipp
