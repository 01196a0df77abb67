// `mpgru data to-npz`: x_train, y_train, ... of a built-in task in one .npz, plus FILE.json.
#include "cli/data_to_npz.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/ptq_setup.hpp"
#include "core/json_file.hpp"
#include "data/npz_writer.hpp"
#include "data/task.hpp"

namespace mpgru::cli {

CLI::App* add_data_to_npz(CLI::App* data, ToNpzArgs& args) {
  CLI::App* app = data->add_subcommand(
      "to-npz",
      "Write a built-in task's splits as a data file (x_train, y_train, x_validation, ...; "
      "docs/your-data.md) and its metadata FILE.json: an example of the format, and the same "
      "data through --data FILE");
  app->add_option("--task", args.task, "The built-in task (mpgru tasks lists them)")->required();
  app->add_option("--data", args.data_dir, "Its data folder (default: $MPGRU_DATA_DIR or ./data)");
  app->add_option("--out,-o", args.out, "The .npz file to write (written whole or not at all)")
      ->required();
  app->add_option("--limit", args.limit, "Keep each split's first N sequences (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return app;
}

int run_data_to_npz(const ToNpzArgs& args) {
  if (args.task == data::kFileTask) {
    throw std::invalid_argument("--task file is already a data file: copy it");
  }
  const std::unique_ptr<data::Dataset> dataset = load_task_data(args.task, args.data_dir, false);
  const data::TaskInfo& task = data::find_task(args.task);
  nlohmann::json meta = {{"description", "task " + task.name + ": " + task.description},
                         {"features", task.input_note}};
  if (dataset->outputs() == 0) {
    std::vector<std::string> names;
    for (int c = 0; c < dataset->num_classes(); ++c) names.push_back(std::to_string(c));
    meta["class_names"] = names;  // keeps the class count even if a label never occurs
  }
  const std::vector<data::NumericArray> arrays = data::dataset_arrays(*dataset, args.limit);
  data::write_npz(arrays, args.out);
  core::write_json_file(meta, args.out + ".json");
  std::cout << "wrote " << args.out << " (";
  for (size_t i = 0; i < arrays.size(); ++i) {
    std::cout << (i ? ", " : "") << arrays[i].name << " [";
    for (size_t d = 0; d < arrays[i].shape.size(); ++d) {
      std::cout << (d ? ", " : "") << arrays[i].shape[d];
    }
    std::cout << "]";
  }
  std::cout << ") and " << args.out << ".json\n";
  return kExitOk;
}

}  // namespace mpgru::cli
