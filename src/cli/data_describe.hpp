// `mpgru data describe FILE`: what a data file holds, as mpgru reads it.
#pragma once

#include <memory>
#include <string>

#include "cli/command.hpp"

namespace mpgru::cli {

struct DescribeArgs {
  std::string file;
  bool json = false;
};

// Adds the `describe` subcommand to `data`; its arguments go into `args`.
CLI::App* add_data_describe(CLI::App* data, DescribeArgs& args);

int run_data_describe(const DescribeArgs& args);

}  // namespace mpgru::cli
