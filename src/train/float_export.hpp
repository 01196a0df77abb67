// From a LibTorch checkpoint to the plain float model PTQ and the engine side use. Torch-free
// header: callers need not include LibTorch.
#pragma once

#include <filesystem>
#include <string>

#include "quant/float_gru.hpp"

namespace mpgru::train {

// Loads DIR/checkpoint (via DIR/config.json) and copies its weights (PyTorch gate order r, z, n).
quant::FloatGruModel load_float_model(const std::filesystem::path& checkpoint_dir);

// The task a checkpoint was trained on (config.json "task"); throws naming the file.
std::string checkpoint_task(const std::filesystem::path& checkpoint_dir);

}  // namespace mpgru::train
