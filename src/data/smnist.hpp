// Task `smnist`: row-wise sequential MNIST, 28 steps of 28 pixels scaled to [0, 1].
#pragma once

#include <filesystem>

#include "core/dataset.hpp"

namespace mpgru::data {

// Training images 0..54999 train, 55000..59999 validate; the 10,000 test images test.
constexpr int64_t kSmnistTrain = 55000;
constexpr int64_t kSmnistValidation = 5000;

// Turns images (count x rows x cols bytes) into sequences of rows, pixel / 255.
Sequences images_to_row_sequences(const std::vector<uint8_t>& pixels,
                                  const std::vector<uint8_t>& labels, int64_t rows, int64_t cols);

// Loads the four MNIST IDX files from `dir` (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte). Throws naming the file on any problem.
InMemoryDataset load_smnist(const std::filesystem::path& dir);

}  // namespace mpgru::data
