// `mpgru data to-npz`: a built-in task's splits written as the .npz file task `file` reads.
#pragma once

#include <string>

#include "cli/command.hpp"

namespace mpgru::cli {

struct ToNpzArgs {
  std::string task;
  std::string data_dir;
  std::string out;
  int64_t limit = 0;
};

CLI::App* add_data_to_npz(CLI::App* data, ToNpzArgs& args);

int run_data_to_npz(const ToNpzArgs& args);

}  // namespace mpgru::cli
