// The Dataset interface: fixed-length sequences of feature vectors with class labels, in three
// splits. It lives in core (namespace data, as the loaders that fill it) so that the engine and
// the quantization code read sequences without linking the data layer and its audio libraries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mpgru::data {

enum class Split { train, validation, test };

const char* to_string(Split split);
// Parses "train", "validation" (or "val") and "test"; throws std::invalid_argument otherwise.
Split parse_split(const std::string& name);

// Sequences stored row-major as values[i][t][f], with one label per sequence (classification)
// or, for sequence-to-sequence tasks (outputs > 0), targets[i][t][o] per step and no labels.
struct Sequences {
  int64_t steps = 0;
  int64_t features = 0;
  std::vector<float> values;
  std::vector<int32_t> labels;
  int64_t outputs = 0;         // per-step targets (0: a label per sequence)
  std::vector<float> targets;  // count x steps x outputs when outputs > 0

  int64_t count() const {
    if (outputs == 0) return static_cast<int64_t>(labels.size());
    return steps > 0 && features > 0 ? static_cast<int64_t>(values.size()) / (steps * features) : 0;
  }
  const float* sequence(int64_t i) const { return values.data() + i * steps * features; }
  const float* target(int64_t i) const { return targets.data() + i * steps * outputs; }
  // Sequences [first, first + n); throws std::out_of_range if that is not inside.
  Sequences slice(int64_t first, int64_t n) const;
  // Throws std::logic_error if values and labels (or targets) disagree with steps/features/count.
  void check_shape(int num_classes) const;
  // "" if every step holds one token id, an integer in [0, vocabulary); else the first problem
  // ("value 5.5 of sequence 3 is not a token id in 0..256").
  std::string token_error(int64_t vocabulary) const;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual const std::string& name() const = 0;
  virtual int num_classes() const = 0;
  virtual int64_t steps() const = 0;
  virtual int64_t features() const = 0;
  virtual const Sequences& split(Split split) const = 0;
  // 0 if the features are real values; else every sequence has one feature per step holding a
  // token id in [0, vocabulary) (an integer stored as float) for an embedding to look up.
  virtual int64_t vocabulary() const { return 0; }
  // 0 for classification (a label per sequence, num_classes classes); > 0 for a
  // sequence-to-sequence task with that many targets per step (Sequences::targets).
  virtual int64_t outputs() const { return 0; }
  // Where the sequences came from when that identifies them (a data file: its path, format and
  // content hash, task `file`); null for the built-in tasks.
  virtual nlohmann::json source() const;
};

// {"steps", "features", "classes", "train", "validation", "test"} (and "vocabulary", "outputs"
// and "source" when the task has them): the shape and split sizes recorded in a checkpoint's
// config.json.
nlohmann::json shape_json(const Dataset& dataset);

// A Dataset held in memory; the three splits must share steps and features.
class InMemoryDataset final : public Dataset {
 public:
  InMemoryDataset(std::string name, int num_classes, Sequences train, Sequences validation,
                  Sequences test, int64_t vocabulary = 0);

  const std::string& name() const override { return name_; }
  int num_classes() const override { return num_classes_; }
  int64_t steps() const override { return splits_[0].steps; }
  int64_t features() const override { return splits_[0].features; }
  const Sequences& split(Split split) const override;
  int64_t vocabulary() const override { return vocabulary_; }

 private:
  std::string name_;
  int num_classes_;
  int64_t vocabulary_;
  Sequences splits_[3];
};

}  // namespace mpgru::data
