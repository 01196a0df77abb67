// Plotting through the gnuplot program (Debian package gnuplot-nox, installed by setup.sh).
#pragma once

#include <filesystem>
#include <string>

namespace mpgru::report {

// Writes `script` to `script_path` and runs gnuplot on it with `script_path`'s folder as the
// working directory (so the script names its data and output files relatively). The script draws
// an SVG named `svg`.filename() in that folder; once it is complete (it ends with </svg>) it
// replaces `svg` whole (core::write_file_atomically), so a failure never leaves a truncated
// figure. Throws std::runtime_error naming the script and quoting gnuplot's error output if
// gnuplot is missing or fails, or naming `svg` if the figure is incomplete or cannot be written.
void run_gnuplot(const std::string& script, const std::filesystem::path& script_path,
                 const std::filesystem::path& svg);

// The folder gnuplot works in (scripts, data, the figure before it is moved): created by the
// constructor, removed with everything in it by the destructor, also when plotting failed.
class PlotFolder {
 public:
  explicit PlotFolder(std::filesystem::path path);
  ~PlotFolder();
  PlotFolder(const PlotFolder&) = delete;
  PlotFolder& operator=(const PlotFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Escapes a string for a double-quoted gnuplot string literal.
std::string gnuplot_quote(const std::string& text);

}  // namespace mpgru::report
