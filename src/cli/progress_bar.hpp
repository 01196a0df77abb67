// Progress of long work: a bar redrawn in place on a terminal, plain log lines otherwise.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

namespace mpgru::cli {

bool stdout_is_terminal();

// "42s", "3:07", "1:02:03".
std::string format_duration(double seconds);

class ProgressBar {
 public:
  // With `terminal` false, update() draws nothing and log() prints plain lines.
  ProgressBar(std::ostream& out, bool terminal);
  ~ProgressBar();

  // Redraws "label [=====>    ] detail ETA 1:23", at most ~10 times a second.
  void update(const std::string& label, double fraction, const std::string& detail,
              double eta_seconds);
  // Prints a line above the bar (clears the bar first on a terminal).
  void log(const std::string& line);
  // Clears the bar.
  void clear();

 private:
  std::ostream& out_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace mpgru::cli
