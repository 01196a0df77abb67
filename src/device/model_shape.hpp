// What the device's cost of a model depends on besides its genome: the shapes (inputs, hidden
// units, layers, outputs, head) and the input's signedness; and the linears one time step runs,
// each with what its kernel's work depends on (rows, columns, weight bits, input bits and sign).
#pragma once

#include <cstdint>
#include <vector>

#include "core/genome.hpp"
#include "engine/model.hpp"

namespace mpgru::device {

struct ModelShape {
  int32_t features = 0;    // GRU inputs per step (the embedding's dim with tokens)
  int32_t vocabulary = 0;  // > 0: token ids through an embedding table
  int32_t hidden = 0;
  int32_t layers = 1;
  int32_t outputs = 0;  // classes, or the per-step head's outputs
  bool per_step = false;
  bool input_signed = true;  // the x gene's grid: signed unless the data is >= 0
};

// Throws std::invalid_argument naming the bad field, or a genome of another layout.
void validate(const ModelShape& shape, const core::Genome& genome);

// The genome layout the shape needs.
core::GenomeLayout genome_layout(const ModelShape& shape);

// The shapes of an integer model (its genome is model.genome).
ModelShape shape_of(const engine::IntegerModel& model);

// One matrix-vector product as the runtime runs it: what its kernel's work depends on.
struct LinearShape {
  int32_t rows = 0;
  int32_t cols = 0;
  int weight_bits = 8;
  int input_bits = 8;
  bool input_signed = true;
  int output_bits = 8;  // its output's grid (signed): the requantization's target
  // Largest |input| of the input's grid: 2^(b-1) - 1 signed, 2^b - 1 unsigned.
  int32_t max_input() const;
};

// The linears of one step (model_step, and the head with a per-step model), in order: per layer
// lin_i.r, lin_h.r, lin_i.z, lin_h.z, lin_i.n, lin_h.n; then the per-step head. A classifier's
// head runs once per sequence, not per step: `with_head` adds it anyway (for the flash).
std::vector<LinearShape> step_linears(const ModelShape& shape, const core::Genome& genome,
                                      bool with_head = false);

}  // namespace mpgru::device
