// Running the `mpgru` binary from a test: its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace mpgru::testing {

struct CommandResult {
  int code;
  std::string output;  // stdout and stderr together
};

// A shell command line (popen runs it with sh -c), its exit code and output.
inline CommandResult capture(const std::string& shell_command) {
  FILE* pipe = popen(shell_command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// `mpgru ARGS` with no default data folder: a case that wrongly reached loading data fails fast.
inline CommandResult run_mpgru(const std::string& args) {
  return capture("MPGRU_DATA_DIR=/nonexistent/mpgru-data " + std::string(MPGRU_BINARY) + " " +
                 args + " 2>&1");
}

}  // namespace mpgru::testing
