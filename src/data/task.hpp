// The task registry: task names, where their data lives, and how to load them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace mpgru::data {

struct TaskInfo {
  using Loader = std::unique_ptr<Dataset> (*)(const std::filesystem::path& dir);
  std::string name;
  std::string description;
  std::string data_subdir;  // below the data folder
  std::string how_to_get;   // shown when the data is missing
  Loader load;              // reads the task from its data subfolder
};

const std::vector<TaskInfo>& tasks();
// Throws std::invalid_argument listing the known tasks if `name` is not one.
const TaskInfo& find_task(const std::string& name);

// The data folder: $MPGRU_DATA_DIR if set, else ./data if it exists, else the build's default.
std::filesystem::path default_data_dir();

// Loads task `name` from `data_dir`/<its subfolder>. Throws with the missing path and how to
// fetch the data if it is not there.
std::unique_ptr<Dataset> load_task(const std::string& name, const std::filesystem::path& data_dir);

}  // namespace mpgru::data
