// The features the cost model is linear in, per target, named after the runtime's work
// (src/export/runtime/mpgru_rt.c, the generated model C of src/export/c_model.cpp; each linear's
// kernel work in that target's units: device/kernel_geometry.hpp):
//
// instructions per step (model_step, and the gains of a per-step model):
//   step            1: the call, the state's checks
//   input           features read per step (range check and copy; tokens: 0)
//   embedding       the embedding row's values (token models; unpack and requantize each)
//   linear          linears run (call, width dispatch)
//   row             rows of linears taking the general requantization (bias, rounding, clamp)
//   small_row       rows of linears taking the fast one (every multiplier < 0.25)
//   unit            hidden units x layers whose state is not constant (the element-wise loop,
//                   state copies)
//   add_op, mul_op, lut_op  hidden units x the adds, products and table lookups a unit computes
//                   (model_hints.hpp: constant values fold away)
//   exact_apply, short_apply, long_apply  hidden units x their multipliers' paths (an exact
//                   shift, the high word shifted, a 64-bit rounding with saturation)
//   gain            outputs of a per-step head (its table lookups)
//   steps           inner-loop steps of whole 4-row blocks (a weight word or vector per row)
//   ternary_steps   the same for ternary words (2-bit weights, 4-pair blocks, on the Cortex-M4)
//   fields_<b>      the products those steps feed (16 / b activation pairs per pair word...),
//                   each unpacked (shift, mask) and multiplied, per weight width b
//   plain_fields    the same without unpacking (Helium's 8-bit bytes)
//   calls           segment calls of whole blocks (one per exact segment)
//   rest_steps, rest_fields, rest_calls  the same for the rows outside whole blocks
//   input_pass      inputs read once more besides the products (ternary sums, Helium narrowing)
// A step's and a call's cost are shared by the widths; a field's is per width (the compilers
// schedule each width's unrolled loop its own way).

#pragma once

#include <map>
#include <string>

#include "core/genome.hpp"
#include "device/model_hints.hpp"
#include "device/model_shape.hpp"
#include "device/target.hpp"

namespace mpgru::device {

using Features = std::map<std::string, double>;

// `hints` (may be null: estimated from the bits, every operator computed) of the model built at
// `genome`; throws std::invalid_argument if they do not fit the shape.
Features instruction_features(const ModelShape& shape, const core::Genome& genome, Target target,
                              const ModelHints* hints = nullptr);
Features flash_features(const ModelShape& shape, const core::Genome& genome, Target target);

// Exact bytes of the model's arrays in the exported C for `target` (flash's data_bytes).
int64_t data_bytes(const ModelShape& shape, const core::Genome& genome, Target target);

// The flash features whose coefficient is 1 by construction (not fitted).
inline bool exact_feature(const std::string& name) {
  return name == "data_bytes";
}

}  // namespace mpgru::device
