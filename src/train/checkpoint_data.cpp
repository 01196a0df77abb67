// A checkpoint's data: the task and file it records, and the check that a data file is that one.
#include "train/checkpoint_data.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/json_file.hpp"
#include "train/float_export.hpp"

namespace mpgru::train {
namespace {

nlohmann::json recorded_source(const std::filesystem::path& dir) {
  const nlohmann::json config = core::read_json_file(dir / "config.json");
  if (!config.contains("data") || !config["data"].is_object()) return nullptr;
  return config["data"].value("source", nlohmann::json());
}

std::string text_of(const nlohmann::json& source, const char* key) {
  return source.is_object() && source.contains(key) && source[key].is_string()
             ? source[key].get<std::string>()
             : std::string();
}

}  // namespace

void check_checkpoint_data(const std::filesystem::path& dir, const data::Dataset& dataset) {
  const nlohmann::json recorded = recorded_source(dir);
  const nlohmann::json given = dataset.source();
  const std::string want = text_of(recorded, "hash");
  const std::string got = text_of(given, "hash");
  if (want.empty() || got.empty() || want == got) return;
  throw std::invalid_argument(
      "checkpoint " + dir.string() + " was trained on " + text_of(recorded, "file") +
      " (content hash " + want + "); " + text_of(given, "file") +
      " holds other sequences (content hash " + got +
      "): pass the checkpoint's own data file, or train or import a model on this one");
}

std::unique_ptr<data::Dataset> load_checkpoint_data(const std::filesystem::path& dir,
                                                    const std::string& task,
                                                    const std::string& data,
                                                    const data::LoadOptions& options) {
  std::string name = data::resolve_task(task, data);
  if (name.empty()) name = checkpoint_task(dir);
  std::filesystem::path from = data;
  if (name == data::kFileTask && data.empty()) {
    from = text_of(recorded_source(dir), "file");
    if (from.empty()) {
      throw std::invalid_argument("checkpoint " + dir.string() +
                                  " records no data file: pass --data FILE");
    }
  }
  if (from.empty()) from = data::default_data_dir();
  std::unique_ptr<data::Dataset> dataset = data::load_task(name, from, options);
  check_checkpoint_data(dir, *dataset);
  return dataset;
}

}  // namespace mpgru::train
