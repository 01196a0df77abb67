// Number formatting shared by the run report (run_report) and the results table (results_table).
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>

namespace mpgru::report {

// printf of one double, e.g. fmt("%.1f %%", 12.34) -> "12.3 %".
inline std::string fmt(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// An accuracy in percent with two decimals ("98.74 %"); "–" for a negative (not recorded) value.
inline std::string pct(double accuracy) {
  return accuracy < 0 ? "–" : fmt("%.2f %%", 100 * accuracy);
}

// Error in percent, floored so a log axis can show a perfect score.
inline double error_pct(double accuracy) {
  return std::max(100.0 * (1.0 - accuracy), 0.01);
}

}  // namespace mpgru::report
