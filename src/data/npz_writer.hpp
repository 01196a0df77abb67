// Writes NumPy .npz files (as np.savez: one uncompressed .npy record per array), so that a
// built-in task's arrays can be handed to users and to the tests that compare the data-file path
// with the built-in tasks. The arrays are written as little-endian, C order: float32 ("<f4") for
// floating arrays, int64 ("<i8") for integer ones, bool ("|b1") for boolean ones.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "data/numpy_file.hpp"

namespace mpgru::data {

// Arrays as the readers return them: float32 ("<f4") and int64 ("<i8"), C order.
NumericArray float_array(const std::string& name, std::vector<int64_t> shape,
                         std::vector<float> values);
NumericArray integer_array(const std::string& name, std::vector<int64_t> shape,
                           std::vector<int64_t> values);

// The .npy bytes of one array (format version 1.0, the header padded to a multiple of 64).
std::string npy_bytes(const NumericArray& array);

// Writes every array as FILE's record NAME.npy, atomically (FILE.tmp, then renamed): a failure
// leaves no partial file and an older FILE as it was. Throws std::runtime_error naming FILE.
void write_npz(const std::vector<NumericArray>& arrays, const std::filesystem::path& file);

// A dataset's splits as the arrays task `file` reads (x_train, y_train, x_validation, ...; a
// "vocabulary" scalar for token inputs): real features float32 [N, T, F], token ids int64 [N, T],
// labels int64 [N], per-step targets float32 [N, T, O]. `limit` > 0 keeps each split's first
// `limit` sequences.
std::vector<NumericArray> dataset_arrays(const Dataset& dataset, int64_t limit = 0);

}  // namespace mpgru::data
