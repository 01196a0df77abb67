// `mpgru tasks`: every registered task, what it is, and whether its data is where it is looked for.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.hpp"
#include "data/task.hpp"

namespace mpgru::cli {
namespace {

struct TasksArgs {
  std::string data_dir;  // empty: data::default_data_dir()
  bool json = false;
};

struct TaskStatus {
  const data::TaskInfo* task;
  std::filesystem::path dir;  // absolute
  bool present;
};

std::filesystem::path absolute_path(const std::filesystem::path& p) {
  std::error_code ec;
  const std::filesystem::path a = std::filesystem::absolute(p, ec);
  return ec ? p : a.lexically_normal();
}

// "PATH", or "PATH -> TARGET" when the folder is a symbolic link (setup.sh links system data).
std::string describe_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::path shown = dir;
  if (!shown.has_filename()) shown = shown.parent_path();  // "data/" names "data"
  if (!std::filesystem::is_symlink(shown, ec)) return dir.string();
  const std::filesystem::path target = std::filesystem::read_symlink(shown, ec);
  return ec ? dir.string() : shown.string() + " -> " + target.string();
}

nlohmann::json to_json(const std::filesystem::path& data_dir, const std::vector<TaskStatus>& all) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const TaskStatus& s : all) {
    tasks.push_back({{"name", s.task->name},
                     {"description", s.task->description},
                     {"data", s.dir.string()},
                     {"present", s.present},
                     {"input", s.task->input_note},
                     {"how_to_get", s.task->how_to_get}});
  }
  return {{"data_dir", data_dir.string()}, {"tasks", tasks}};
}

void print_table(const std::filesystem::path& data_dir, const std::vector<TaskStatus>& all) {
  size_t width = 0;
  for (const TaskStatus& s : all) width = std::max(width, s.task->name.size());
  const std::string indent(width + 2, ' ');
  std::cout << "data folder: " << data_dir.string() << "\n";
  for (const TaskStatus& s : all) {
    std::cout << s.task->name << std::string(width + 2 - s.task->name.size(), ' ')
              << s.task->description << "\n";
    if (s.task->name == data::kFileTask) {  // no folder: the file is named by --data
      std::cout << indent << s.task->how_to_get << "; mpgru data describe FILE shows it\n";
      continue;
    }
    std::cout << indent << "input: " << s.task->input_note << "\n"
              << indent
              << (s.present ? "present at " + describe_folder(s.dir)
                            : "missing (" + s.dir.string() + "): " + s.task->how_to_get)
              << "\n";
  }
}

int run_tasks(const TasksArgs& args) {
  const std::filesystem::path data_dir = absolute_path(
      args.data_dir.empty() ? data::default_data_dir() : std::filesystem::path(args.data_dir));
  std::vector<TaskStatus> all;
  for (const data::TaskInfo& task : data::tasks()) {
    all.push_back(
        {&task, data::task_data_dir(task, data_dir), data::task_data_present(task, data_dir)});
  }
  if (args.json) {
    std::cout << to_json(data_dir, all).dump(2) << "\n";
  } else {
    print_table(data_dir, all);
  }
  return kExitOk;
}

}  // namespace

Command add_tasks_command(CLI::App& parent) {
  auto args = std::make_shared<TasksArgs>();
  CLI::App* app = parent.add_subcommand(
      "tasks", "List the tasks, what each is, and whether its data is present");
  app->add_option("--data", args->data_dir,
                  "Data folder (default: $MPGRU_DATA_DIR, ./data, or the build's data folder)");
  app->add_flag("--json", args->json, "Print the list as JSON");
  return {app, [args] { return run_tasks(*args); }};
}

}  // namespace mpgru::cli
