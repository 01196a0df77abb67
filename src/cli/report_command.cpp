// `mpgru report RUN_DIR`: regenerates a search run's plots and report.html from its folder.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "report/run_report.hpp"

namespace mpgru::cli {

Command add_report_command(CLI::App& parent) {
  auto run_dir = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "report", "Regenerate a search run's pareto.svg, genomes.svg and report.html");
  app->add_option("run_dir", *run_dir, "Search run folder (from mpgru search)")
      ->required()
      ->check(CLI::ExistingDirectory);
  return {app, [run_dir] {
            std::printf("report: %s\n", report::write_run_report(*run_dir).string().c_str());
            return kExitOk;
          }};
}

}  // namespace mpgru::cli
