// Task `sfmnist`: row-wise sequential Fashion-MNIST, 28 steps of 28 pixels scaled to [0, 1].
#pragma once

#include <filesystem>

#include "core/dataset.hpp"

namespace mpgru::data {

// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Loads the four gzipped Fashion-MNIST IDX files from `dir` (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) with the
// smnist splits: training images 0..54999 train, 55000..59999 validate, the 10,000 test images
// test. Throws naming the file on any problem, a corrupt gzip included.
InMemoryDataset load_sfmnist(const std::filesystem::path& dir);

}  // namespace mpgru::data
