// Post-training quantization: float GRU weights + calibration ranges + genome -> integer model.
#pragma once

#include <stdexcept>

#include "core/genome.hpp"
#include "engine/model.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"
#include "quant/scale_set.hpp"

namespace mpgru::engine {

// The genome's integer model cannot exist with these scales: a bias or a linear's worst-case
// accumulator does not fit int32, or a multiplier is outside what the fixed-point form holds. A
// property of the genome (a search scores it as the worst accuracy); every other conversion error
// (a layout mismatch, inconsistent scales, a bug) is a plain std::invalid_argument.
class UnbuildableModel : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A lookup table of f over the input grid, each entry quantize(output, f(input.scale * q)).
Lut make_lut(const QuantPoint& input, const QuantPoint& output, double (*f)(double));

// Builds the integer model from explicit scales (PTQ's or QAT's learned ones). Throws
// UnbuildableModel with the failing operator named if a bias, an accumulator or a multiplier does
// not fit, std::invalid_argument if the genome's layout does not match the model or the result
// fails check_model.
IntegerModel convert(const quant::FloatGruModel& model, const quant::ScaleSet& scales,
                     const core::Genome& genome, int32_t steps);

// PTQ: convert(model, quant::ptq_scales(model, calibration, genome), genome, steps).
IntegerModel convert(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                     const core::Genome& genome, int32_t steps);

}  // namespace mpgru::engine
