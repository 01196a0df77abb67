// Writing a state dict PyTorch's torch.load reads (a dict of float32 tensors, the archive
// LibTorch's torch::pickle_save writes). Torch-free header.
#pragma once

#include <filesystem>
#include <vector>

#include "torchfile/torch_archive.hpp"

namespace mpgru::train {

// Writes `tensors` (float, row-major) to `path` atomically. Throws std::runtime_error naming the
// path.
void save_torch_state_dict(const std::vector<torchfile::NamedTensor>& tensors,
                           const std::filesystem::path& path);

}  // namespace mpgru::train
