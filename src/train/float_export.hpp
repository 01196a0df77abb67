// From a LibTorch checkpoint to the plain float model PTQ and the engine side use. Torch-free
// header: callers need not include LibTorch.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "quant/float_gru.hpp"

namespace mpgru::train {

// Loads DIR/checkpoint (via DIR/config.json) and copies its weights (PyTorch gate order r, z, n).
quant::FloatGruModel load_float_model(const std::filesystem::path& checkpoint_dir);

// The inverse: writes `model` as DIR/checkpoint (LibTorch archive of a GruClassifier with these
// weights, atomically) and returns the "model" object config.json needs to rebuild it, so that
// load_float_model gives back the same floats. DIR must exist. Throws naming the file.
nlohmann::json save_float_checkpoint(const quant::FloatGruModel& model,
                                     const std::filesystem::path& dir);

// The task a checkpoint was trained on (config.json "task"); throws naming the file.
std::string checkpoint_task(const std::filesystem::path& checkpoint_dir);

}  // namespace mpgru::train
