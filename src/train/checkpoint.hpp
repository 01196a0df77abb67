// Float checkpoints: DIR/checkpoint (LibTorch archive of the parameters) + DIR/config.json
// (whose "model" object rebuilds the network before loading).
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/json_file.hpp"
#include "train/gru_classifier.hpp"

namespace mpgru::train {

nlohmann::json to_json(const GruClassifierOptions& options);
// Throws std::runtime_error naming the missing or bad field.
GruClassifierOptions model_options_from_json(const nlohmann::json& model);

// Writes DIR/checkpoint atomically (temporary file, then rename): a crash never leaves a
// half-written checkpoint behind.
void save_checkpoint(GruClassifier& model, const std::filesystem::path& dir);

// Rebuilds the model from DIR/config.json and loads DIR/checkpoint; errors name the file.
GruClassifier load_checkpoint(const std::filesystem::path& dir);

using core::read_json_file;
using core::write_json_file;

}  // namespace mpgru::train
