// Post-training quantization: float GRU weights + calibration ranges + genome -> integer model.
#pragma once

#include "core/genome.hpp"
#include "engine/model.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::engine {

// The clip range of a sigma / tanh input beyond which the b-bit output no longer changes by
// more than half a step: ln(2 (2^b - 1)) for sigma, ln(4 (2^(b-1) - 1)) / 2 for tanh.
double sigmoid_input_cap(int output_bits);
double tanh_input_cap(int output_bits);

// A lookup table of f over the input grid, each entry quantize(output, f(input.scale * q)).
Lut make_lut(const QuantPoint& input, const QuantPoint& output, double (*f)(double));

// Builds the integer model. Throws std::invalid_argument with the failing point named if the
// genome's layout does not match the model, a bias or multiplier does not fit, or the result
// fails check_model (e.g. an accumulator could overflow int32).
IntegerModel convert(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                     const core::Genome& genome, int32_t steps);

}  // namespace mpgru::engine
