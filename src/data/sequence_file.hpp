// Task `file`: a user's own sequences from one file, a NumPy .npz (np.savez or
// np.savez_compressed) or a PyTorch file of tensors (torch.save of a dict; read without running
// code), as a Dataset like any built-in task. docs/your-data.md is the user's guide.
//
// Arrays, by name:
//   x_train, y_train                    required
//   x_validation, y_validation          optional; also x_val/y_val and x_valid/y_valid
//   x_test, y_test                      optional
//   vocabulary                          optional scalar integer, token inputs only
// x: floating [N, T, F] real features (integer [N, T, F] is read as real values too), or integer
//    [N, T] token ids in 0..vocabulary-1 (vocabulary: the array above, else the largest id + 1).
// y: integer [N] class labels 0..C-1 (C: the largest label + 1, or the metadata's class names),
//    or floating [N, T, O] per-step targets in [0, 1] (sequence to sequence, a sigmoid head).
// Every split shares T and F (and O); every value is finite. One length per file: an array
// named like `lengths` is refused with how to pad.
//
// A missing split is carved from train, by a hash of each sequence so that it does not depend on
// the order of the file: FNV-1a 64 of kSplitSeed then the sequence's x values (float32,
// little-endian), modulo 10: 0 goes to test (if test is missing), 1 to validation (if validation
// is missing), each about 10 % of train. Equal sequences share a split.
//
// Optional metadata in FILE.json beside the file (mine.npz -> mine.npz.json):
//   {"description": "...", "features": "how a step's features are made", "class_names": [...]}
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dataset.hpp"
#include "data/numpy_file.hpp"

namespace mpgru::data {

// The seed of the carving hash ("mpgru-split-v1" as bytes, hashed before the sequence).
inline constexpr const char* kSplitSeed = "mpgru-split-v1";

// What is known about a data file besides its sequences.
struct SequenceFileInfo {
  std::string path;    // as given
  std::string format;  // "npz", "npy" or "torch"
  std::string hash;    // FNV-1a 64 of the decoded splits (shapes, x, y), 16 hex digits
  std::string description;
  std::string features;  // how a step's features are made (the export's banner shows it)
  std::vector<std::string> class_names;
  bool carved_validation = false;  // the split was carved from train (see above)
  bool carved_test = false;
  std::vector<std::string> ignored;  // arrays of the file mpgru does not read
};

class FileDataset final : public Dataset {
 public:
  FileDataset(Sequences splits[3], int num_classes, int64_t vocabulary, SequenceFileInfo info);

  const std::string& name() const override { return name_; }
  int num_classes() const override { return num_classes_; }
  int64_t steps() const override { return splits_[0].steps; }
  int64_t features() const override { return splits_[0].features; }
  int64_t outputs() const override { return splits_[0].outputs; }
  int64_t vocabulary() const override { return vocabulary_; }
  const Sequences& split(Split split) const override { return splits_[static_cast<int>(split)]; }
  nlohmann::json source() const override;

  const SequenceFileInfo& info() const { return info_; }

 private:
  std::string name_ = "file";
  int num_classes_;
  int64_t vocabulary_;
  Sequences splits_[3];
  SequenceFileInfo info_;
};

// The dataset held by `arrays` (see above). `info` gives the path, format and metadata; its hash
// and carving flags are filled in. Throws std::runtime_error naming info.path, the array and the
// problem.
FileDataset sequences_from_arrays(const std::vector<NumericArray>& arrays, SequenceFileInfo info);

// Reads FILE: .npz or .npy by NumPy's reader, .pt/.pth by the PyTorch reader (by extension), and
// FILE.json's metadata if present. Throws std::runtime_error naming the file and the problem.
FileDataset load_sequence_file(const std::filesystem::path& path);

// Lines that say where each split came from, e.g. "validation: carved from train (...)", for
// every command's output.
std::vector<std::string> split_notes(const FileDataset& dataset);

// The format a data file's name says ("npz", "npy" or "torch" for .npz, .npy, .pt and .pth);
// nullptr for any other name.
const char* data_file_format(const std::filesystem::path& path);

// Which split a sequence goes to when carved: the hash above, modulo 10.
int carving_bucket(const float* values, int64_t count);

}  // namespace mpgru::data
