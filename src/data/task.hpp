// The task registry: task names, where their data lives, and how to load them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

// How to read a task's files.
struct LoadOptions {
  bool skip_bad = false;  // skip (count, warn about) unreadable input files instead of failing
};

struct TaskInfo {
  using Loader = std::unique_ptr<Dataset> (*)(const std::filesystem::path& dir,
                                              const LoadOptions& options);
  std::string name;
  std::string description;
  std::string data_subdir;  // below the data folder
  std::string marker;       // a file inside the task's folder: --data may name the folder itself
  std::string how_to_get;   // shown when the data is missing
  Loader load;              // reads the task from its data folder
  std::string input_note;   // how a step's float features are made, for device integrators
};

// The task of a user's own data file (src/data/sequence_file.hpp): --data names the file.
inline constexpr const char* kFileTask = "file";

const std::vector<TaskInfo>& tasks();

// The task a command reads given its --task and --data: "file" when `data` names a regular file
// (and `task` is empty or "file"), else `task` as given. Throws std::invalid_argument when a
// file is given with another task, or task "file" without a file.
std::string resolve_task(const std::string& task, const std::string& data);
// Throws std::invalid_argument listing the known tasks if `name` is not one.
const TaskInfo& find_task(const std::string& name);

// The data folder: $MPGRU_DATA_DIR if set, else ./data if it exists, else the build's default.
std::filesystem::path default_data_dir();

// The folder task `task` reads given the data folder `data_dir`: `data_dir` itself if it holds the
// task's marker file, else `data_dir`/<its subfolder>.
std::filesystem::path task_data_dir(const TaskInfo& task, const std::filesystem::path& data_dir);

// Whether the task's data is there: task_data_dir() holds the marker file.
bool task_data_present(const TaskInfo& task, const std::filesystem::path& data_dir);

// Loads task `name` from `data_dir`/<its subfolder>, or from `data_dir` itself if that holds the
// task's marker file (e.g. --data pointing straight at a Speech Commands folder). Throws with
// the missing path and how to fetch the data if it is not there.
std::unique_ptr<Dataset> load_task(const std::string& name, const std::filesystem::path& data_dir,
                                   const LoadOptions& options = {});

}  // namespace mpgru::data
