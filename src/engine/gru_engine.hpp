// Runs an integer GRU classifier on sequences: float features in (quantized at the x gene),
// integer logits and a class out. One engine per thread; the model is shared read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "engine/kernel_path.hpp"
#include "engine/model.hpp"
#include "engine/optimized_kernels.hpp"
#include "engine/reference_kernels.hpp"

namespace mpgru::engine {

// Which kernels run: the plain reference ones, or the optimized ones (bit-exact with them).
enum class Kernels { reference, optimized };

class GruEngine {
 public:
  // `model` must pass check_model (see validate) and outlive the engine.
  explicit GruEngine(const IntegerModel& model, Kernels kernels = Kernels::optimized);

  // Returns an error (non-empty) instead of an engine if the model is invalid.
  static std::string validate(const IntegerModel& model) { return check_model(model); }

  // Runs `steps` steps of `features` floats; writes `classes` integer logits (at the out scale).
  void run(const float* sequence, int32_t steps, int32_t* logits);
  // argmax of the logits; ties go to the lowest class index.
  int32_t predict(const float* sequence, int32_t steps);

  // Streaming, one time step at a time as a device runs (run() is reset, steps, logits):
  // zeroes every layer's state.
  void reset();
  // One step of model.sequence_features() floats (a token id with an embedding).
  void step(const float* x);
  // Layer k's hidden state after the last step (hidden entries on the h grid).
  const std::vector<int16_t>& hidden(size_t layer) const { return hidden_.at(layer); }
  // The classifier on the last layer's state: `classes` logits.
  void logits(int32_t* out);
  // A per-step model (model.per_step): the head on the last layer's state, `classes` gains on
  // the gain gene's grid (q / (2^b - 1) is the gain in [0, 1]): the classifier then the head's
  // sigmoid table. Call after each step. Throws std::logic_error for a classifier model.
  void gains(int32_t* out);
  // Runs a per-step model over `steps` steps: writes steps x classes gains (as gains()).
  void run_gains(const float* sequence, int32_t steps, int32_t* out);

 private:
  const IntegerModel& model_;
  std::vector<std::vector<int16_t>> hidden_;  // per layer
  std::vector<int16_t> input_;
  std::vector<int16_t> logits16_;
  std::vector<int32_t> logits_acc_;
  Kernels kernels_;
  opt::PreparedModel prepared_;
  std::vector<opt::StepScratch> scratch_;
};

struct EngineEvaluation {
  int64_t count = 0;
  int64_t correct = 0;
  double accuracy = 0;
  double balanced_accuracy = 0;  // mean per-class recall over the classes present
  std::vector<int32_t> predictions;
  // Only if EvaluateOptions::keep_logits: count x classes, row-major, each the engine's logit at
  // the classifier's output scale; predictions[i] is the argmax of row i.
  std::vector<int32_t> logits;
};

struct EvaluateOptions {
  int threads = 1;  // each its own engine; results do not depend on it
  // optimized: the batched engine (BatchEngine) on `path`; reference: GruEngine's reference
  // kernels one sequence at a time (the specification; slow).
  Kernels kernels = Kernels::optimized;
  bool keep_logits = false;        // fill EngineEvaluation::logits (count x classes int32)
  std::optional<KernelPath> path;  // default: default_path() (the widest, or MPGRU_KERNEL_PATH)
  // Sequences per batched run; 0: GruEngine one sequence at a time (the streaming engine, as
  // evaluate ran before the batched engine; for comparisons).
  int32_t batch = 64;
};

// Predicts every sequence of `sequences`.
// Throws std::invalid_argument if the model is invalid or its features disagree with the data.
EngineEvaluation evaluate(const IntegerModel& model, const data::Sequences& sequences,
                          const EvaluateOptions& options);
inline EngineEvaluation evaluate(const IntegerModel& model, const data::Sequences& sequences,
                                 int threads = 1, Kernels kernels = Kernels::optimized) {
  EvaluateOptions options;
  options.threads = threads;
  options.kernels = kernels;
  return evaluate(model, sequences, options);
}

int32_t argmax(const int32_t* values, int32_t n);

// Mean over the classes present in `labels` of the fraction of that class predicted right
// (labels outside 0..classes-1 are ignored); 0 if there are none.
double balanced_accuracy(const std::vector<int32_t>& predictions,
                         const std::vector<int32_t>& labels, int32_t classes);

// "" if the model has no embedding or every value of `sequences` is a token id the model knows;
// else a message naming the first bad value and its sequence.
std::string check_tokens(const IntegerModel& model, const data::Sequences& sequences);

}  // namespace mpgru::engine
