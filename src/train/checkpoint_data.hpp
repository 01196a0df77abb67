// The data a command on a float checkpoint reads: its --task and --data, or what the checkpoint
// was trained on, with a data file checked against the checkpoint's record. Torch-free header.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/dataset.hpp"
#include "data/task.hpp"

namespace mpgru::train {

// Loads the data of a command on checkpoint DIR. The task: data::resolve_task(task, data), or the
// checkpoint's own task (config.json "task") when neither names one. A data file (task file):
// `data`, or the file the checkpoint records when `data` is empty. Throws naming the checkpoint
// when a data file's content hash differs from the one the checkpoint records (another file, or
// the same file changed): scoring a model on data it was not trained for is refused.
std::unique_ptr<data::Dataset> load_checkpoint_data(const std::filesystem::path& checkpoint_dir,
                                                    const std::string& task,
                                                    const std::string& data,
                                                    const data::LoadOptions& options = {});

// Throws std::invalid_argument if `dataset` comes from a data file whose content hash differs
// from the one checkpoint DIR's config.json records; "" data source on either side passes.
void check_checkpoint_data(const std::filesystem::path& checkpoint_dir,
                           const data::Dataset& dataset);

}  // namespace mpgru::train
