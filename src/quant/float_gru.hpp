// A float GRU classifier in plain C++ (no LibTorch): the weights PTQ converts, and a forward pass
// that shows every quantization point's values to an observer (for calibration).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "core/genome.hpp"

namespace mpgru::quant {

struct FloatLinear {
  int32_t rows = 0;
  int32_t cols = 0;
  std::vector<float> weights;  // rows * cols, row-major
  std::vector<float> bias;     // rows
};

struct FloatGruLayer {
  int32_t input_size = 0;
  int32_t hidden = 0;
  FloatLinear lin_i[3];  // gates r, z, n (PyTorch weight_ih rows 0..H, H..2H, 2H..3H)
  FloatLinear lin_h[3];
};

// A token embedding: row t (dim floats) is the GRU input for token t.
struct FloatEmbedding {
  int32_t vocabulary = 0;  // 0: no embedding, sequences hold real features
  int32_t dim = 0;
  std::vector<float> weights;  // vocabulary * dim, row-major
};

struct FloatGruModel {
  FloatEmbedding embedding;
  int32_t features = 0;  // GRU input size (the embedding's dim when there is one)
  int32_t classes = 0;
  // > 0: sequence to sequence, the classifier is a per-step head of `outputs` rows followed by
  // a sigmoid (classes is 0); 0: a classifier of `classes` logits on the last step.
  int32_t outputs = 0;
  std::vector<FloatGruLayer> layers;
  FloatLinear classifier;
};

// Throws std::invalid_argument naming the inconsistent array.
void validate(const FloatGruModel& model);

// Receives the values at a quantization point (op of a layer; layer -1 for out) at one step.
using PointObserver = std::function<void(core::Op op, int layer, const float* values, size_t n)>;

// Values per step of the sequences the model reads: 1 token id with an embedding, else features.
inline int32_t sequence_features(const FloatGruModel& model) {
  return model.embedding.vocabulary > 0 ? 1 : model.features;
}

// The genome layout the model needs: its layer count, and the emb gene if it has an embedding.
inline core::GenomeLayout genome_layout(const FloatGruModel& model) {
  return {static_cast<int>(model.layers.size()), model.embedding.vocabulary > 0, model.outputs > 0};
}

// "real features" (vocabulary 0) or "token ids of a V-token vocabulary", for messages.
std::string describe_inputs(int64_t vocabulary);

// "" if `model` can read `dataset`'s sequences, else why not ("reads token ids of a 4096-token
// vocabulary, task spam-bytes has ..."): real features vs token ids, another vocabulary (ids of
// another vocabulary may be in range and still mean other tokens), features per step.
std::string input_mismatch(const FloatGruModel& model, const data::Dataset& dataset);
// The same for any model that reads `vocabulary` token ids (0: real features) and
// `sequence_features` values per step (an integer model, say).
std::string input_mismatch(int64_t vocabulary, int32_t sequence_features,
                           const data::Dataset& dataset);

// Token id of a sequence value, clamped into [0, vocabulary): whatever the input, a lookup never
// leaves the table (callers validate the data first to report bad ids).
int32_t token_index(float value, int32_t vocabulary);

// Runs one sequence [steps][sequence_features(model)] and writes `classes` logits (a
// classifier; see forward_steps for a per-step head). Every
// intermediate of DESIGN.md section 3 (x, lin_i.*, lin_h.*, sum.*, act.*, mul.*, h, out) is passed
// to `observer` if given. Computed in float, PyTorch's GRU equations.
void forward(const FloatGruModel& model, const float* sequence, int32_t steps, float* logits,
             const PointObserver* observer = nullptr);

}  // namespace mpgru::quant

namespace mpgru::quant {

// A sequence-to-sequence model (outputs > 0) on one sequence: writes steps x outputs values,
// sigmoid(head(h_t)) for every step t. The observer sees every point as forward's does, with
// `out` (the head before its sigmoid) at every step. Throws std::invalid_argument for a
// classifier.
void forward_steps(const FloatGruModel& model, const float* sequence, int32_t steps, float* out,
                   const PointObserver* observer = nullptr);

// Accuracy of the float model (argmax of its logits) on `sequences`, with `threads` threads.
double float_accuracy(const FloatGruModel& model, const data::Sequences& sequences, int threads);

}  // namespace mpgru::quant
