// Plotting through the gnuplot program (Debian package gnuplot-nox, installed by setup.sh).
#pragma once

#include <filesystem>
#include <string>

namespace mpgru::report {

// Writes `script` to `script_path` and runs gnuplot on it with `script_path`'s folder as the
// working directory (so the script names its data and output files relatively). Throws
// std::runtime_error naming the script and quoting gnuplot's error output if gnuplot is missing
// or fails.
void run_gnuplot(const std::string& script, const std::filesystem::path& script_path);

// Escapes a string for a double-quoted gnuplot string literal.
std::string gnuplot_quote(const std::string& text);

}  // namespace mpgru::report
