// Post-training quantization: float GRU weights + calibration ranges + genome -> integer model.
#pragma once

#include "core/genome.hpp"
#include "engine/model.hpp"
#include "quant/calibration.hpp"
#include "quant/float_gru.hpp"
#include "quant/scale_set.hpp"

namespace mpgru::engine {

// A lookup table of f over the input grid, each entry quantize(output, f(input.scale * q)).
Lut make_lut(const QuantPoint& input, const QuantPoint& output, double (*f)(double));

// Builds the integer model from explicit scales (PTQ's or QAT's learned ones). Throws
// std::invalid_argument with the failing point named if the genome's layout does not match the
// model, a bias or multiplier does not fit, or the result fails check_model (e.g. an accumulator
// could overflow int32).
IntegerModel convert(const quant::FloatGruModel& model, const quant::ScaleSet& scales,
                     const core::Genome& genome, int32_t steps);

// PTQ: convert(model, quant::ptq_scales(model, calibration, genome), genome, steps).
IntegerModel convert(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                     const core::Genome& genome, int32_t steps);

}  // namespace mpgru::engine
