// Entry point of the `mpgru` command: parses the subcommand, runs it, maps errors to exit codes.
#include <iostream>
#include <vector>

#include "cli/command.hpp"
#include "cli/config_file.hpp"

namespace {

using mpgru::cli::Command;

std::string command_path(const CLI::App* app) {
  std::string path = app->get_name();
  for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

int usage_error(const CLI::App* where, const std::string& message) {
  std::cerr << command_path(where) << ": error: " << message << " (see '" << command_path(where)
            << " --help')\n";
  return mpgru::cli::kExitUsage;
}

// The subcommand named by args[0], or nullptr (with an error printed) if it is unknown.
const Command* find_command(const CLI::App& app, const std::vector<Command>& commands,
                            const std::vector<std::string>& args) {
  std::string known;
  for (const Command& c : commands) {
    if (!args.empty() && c.app->check_name(args[0])) return &c;
    known += (known.empty() ? "" : ", ") + c.app->get_name();
  }
  if (args.empty()) {
    usage_error(&app, "a command is required (" + known + ")");
  } else {
    usage_error(&app, "unknown command '" + args[0] + "' (commands: " + known + ")");
  }
  return nullptr;
}

int run(const Command& c) {
  try {
    return c.run();
  } catch (const std::invalid_argument& e) {
    std::cerr << command_path(c.app) << ": error: " << e.what() << '\n';
    return mpgru::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << command_path(c.app) << ": error: " << e.what() << '\n';
    return mpgru::cli::kExitFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mpgru::cli;
  CLI::App app{"mpgru: mixed-precision integer GRUs for microcontrollers", "mpgru"};
  app.set_version_flag("--version", "mpgru " MPGRU_VERSION);
  app.require_subcommand(1);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  const std::vector<Command> commands = {
      add_train_command(app),  add_quantize_command(app), add_qat_command(app),
      add_eval_command(app),   add_sweep_command(app),    add_search_command(app),
      add_report_command(app), add_results_command(app),  add_data_command(app),
      add_tasks_command(app),  add_export_command(app),   add_import_command(app),
      add_cost_command(app)};

  std::vector<std::string> args(argv + 1, argv + argc);
  const bool top_level_flag = !args.empty() && args[0].rfind('-', 0) == 0;
  if (top_level_flag && args[0] != "--help" && args[0] != "-h" && args[0] != "--version") {
    return usage_error(&app, "unknown option '" + args[0] + "'");
  }
  const Command* command = top_level_flag ? nullptr : find_command(app, commands, args);
  if (!top_level_flag && command == nullptr) return kExitUsage;
  try {
    if (command != nullptr) {
      const CLI::App* sub = command->app;
      args = expand_config_arguments(args, [sub](const std::string& name) {
        return sub->get_option_no_throw("--" + name) != nullptr;
      });
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(command != nullptr ? command->app : &app, e.what());
  } catch (const std::invalid_argument& e) {
    return usage_error(command->app, e.what());
  }
  return command != nullptr ? run(*command) : kExitUsage;
}
