// gnuplot as a child process: script and error output go through files in the script's folder.
#include "report/gnuplot.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mpgru::report {
namespace {

// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string gnuplot_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void run_gnuplot(const std::string& script, const std::filesystem::path& script_path) {
  {
    std::ofstream out(script_path);
    out << script;
    if (!out) throw std::runtime_error(script_path.string() + ": cannot write");
  }
  const std::filesystem::path dir =
      script_path.parent_path().empty() ? std::filesystem::path(".") : script_path.parent_path();
  const std::filesystem::path errors = script_path.string() + ".err";
  const std::string command = "cd " + shell_quote(dir.string()) + " && gnuplot " +
                              shell_quote(script_path.filename().string()) + " 2> " +
                              shell_quote(errors.filename().string());
  const int status = std::system(command.c_str());
  const std::string message = read_text(errors);
  std::filesystem::remove(errors);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const bool missing = WIFEXITED(status) && WEXITSTATUS(status) == 127;
    throw std::runtime_error(script_path.string() + ": " +
                             (missing ? "gnuplot not found (install the Debian package "
                                        "gnuplot-nox, or run scripts/setup.sh)"
                                      : "gnuplot failed: " + message));
  }
}

}  // namespace mpgru::report
