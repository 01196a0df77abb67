// Terminal progress bar with plain-log fallback.
#include "cli/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace mpgru::cli {

bool stdout_is_terminal() {
  return isatty(STDOUT_FILENO) == 1;
}

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  }
  return buf;
}

ProgressBar::ProgressBar(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}

ProgressBar::~ProgressBar() {
  clear();
}

void ProgressBar::update(const std::string& label, double fraction, const std::string& detail,
                         double eta_seconds) {
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && fraction < 1.0 && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>' + std::string(static_cast<size_t>(kWidth - filled - 1), ' ');
  out_ << "\r\033[K" << label << " [" << bar << "] " << detail << " ETA "
       << format_duration(eta_seconds) << std::flush;
  drawn_ = true;
}

void ProgressBar::log(const std::string& line) {
  clear();
  out_ << line << '\n' << std::flush;
}

void ProgressBar::clear() {
  if (terminal_ && drawn_) out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace mpgru::cli
