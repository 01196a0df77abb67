// A subcommand of `mpgru`: its CLI11 parser and what runs once it parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace mpgru::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the exit code; throws std::exception on failure
};

// Exit codes of `mpgru`.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the work failed (bad data, unreadable file, ...)
constexpr int kExitUsage = 2;    // bad flags or values

// Documents `--config FILE` in a subcommand's help; main() expands the file into options
// before parsing (cli/config_file.hpp), so the parser never sees the flag itself.
inline void add_config_option(CLI::App* app) {
  app->add_option("--config",
                  "Read options from a TOML or JSON file (flags given too override it)");
}

Command add_train_command(CLI::App& parent);
Command add_sweep_command(CLI::App& parent);
Command add_quantize_command(CLI::App& parent);
Command add_eval_command(CLI::App& parent);
Command add_qat_command(CLI::App& parent);
Command add_search_command(CLI::App& parent);
Command add_report_command(CLI::App& parent);
Command add_results_command(CLI::App& parent);
Command add_data_command(CLI::App& parent);
Command add_tasks_command(CLI::App& parent);
Command add_export_command(CLI::App& parent);
Command add_import_command(CLI::App& parent);
Command add_cost_command(CLI::App& parent);

}  // namespace mpgru::cli
