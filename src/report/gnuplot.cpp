// gnuplot as a child process: script, error output and the figure go through files in the script's
// folder; the figure reaches its place through core::write_file_atomically.
#include "report/gnuplot.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/text_file.hpp"

namespace mpgru::report {
namespace {

// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// gnuplot does not always report a failed write: a figure is complete when it ends with </svg>.
bool complete_svg(const std::string& text) {
  const size_t end = text.find_last_not_of(" \t\r\n");
  return end != std::string::npos && end >= 5 && text.compare(end - 5, 6, "</svg>") == 0;
}

}  // namespace

PlotFolder::PlotFolder(std::filesystem::path path) : path_(std::move(path)) {
  std::filesystem::create_directories(path_);
}

PlotFolder::~PlotFolder() {
  std::error_code ignored;  // a destructor must not throw; a leftover folder is only untidy
  std::filesystem::remove_all(path_, ignored);
}

std::string gnuplot_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void run_gnuplot(const std::string& script, const std::filesystem::path& script_path,
                 const std::filesystem::path& svg) {
  core::write_text_file(script, script_path);
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
  const std::filesystem::path drawn = dir / svg.filename();
  const std::string figure = read_text(drawn);
  std::filesystem::remove(drawn);
  if (!complete_svg(figure)) {
    throw std::runtime_error(svg.string() + ": cannot write (gnuplot wrote an incomplete figure, " +
                             std::to_string(figure.size()) + " bytes: is the disk full?)");
  }
  core::write_file_atomically(figure, svg);
}

}  // namespace mpgru::report
