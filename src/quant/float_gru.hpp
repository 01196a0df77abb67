// A float GRU classifier in plain C++ (no LibTorch): the weights PTQ converts, and a forward pass
// that shows every quantization point's values to an observer (for calibration).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/genome.hpp"
#include "data/dataset.hpp"

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

struct FloatGruModel {
  int32_t features = 0;
  int32_t classes = 0;
  std::vector<FloatGruLayer> layers;
  FloatLinear classifier;
};

// Throws std::invalid_argument naming the inconsistent array.
void validate(const FloatGruModel& model);

// Receives the values at a quantization point (op of a layer; layer -1 for out) at one step.
using PointObserver = std::function<void(core::Op op, int layer, const float* values, size_t n)>;

// Runs one sequence [steps][features] and writes `classes` logits. Every intermediate of
// DESIGN.md section 3 (x, lin_i.*, lin_h.*, sum.*, act.*, mul.*, h, out) is passed to `observer`
// if given. Computed in float, PyTorch's GRU equations.
void forward(const FloatGruModel& model, const float* sequence, int32_t steps, float* logits,
             const PointObserver* observer = nullptr);

}  // namespace mpgru::quant

namespace mpgru::quant {

// Accuracy of the float model (argmax of its logits) on `sequences`, with `threads` threads.
double float_accuracy(const FloatGruModel& model, const data::Sequences& sequences, int threads);

}  // namespace mpgru::quant
