// Running a helper program (espeak-ng) without a shell and collecting what it writes.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

namespace mpgru::data {

// An owned file descriptor, closed when it goes.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct ProcessResult {
  int status = 0;  // from waitpid
  std::string out, err;
};

// Runs argv[0] (found on PATH) without a shell, stdin from /dev/null, collecting stdout and
// stderr. Throws std::runtime_error if it cannot be started (naming the command; ENOENT adds
// "install the espeak-ng package").
ProcessResult run_process(const std::vector<std::string>& argv);

// The command line as a shell would read it, for messages.
std::string quote_command(const std::vector<std::string>& argv);
// "exit status 3", "killed by signal 9".
std::string describe_status(int status);
bool succeeded(int status);
// The first line of `text`, cut at 200 characters.
std::string first_line(const std::string& text);

}  // namespace mpgru::data
