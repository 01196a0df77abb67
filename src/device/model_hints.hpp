// What a built integer model tells the cost model beyond its shapes and genome: which linears
// requantize on the fast path (every multiplier below 0.25), and which element-wise values of a
// layer are constant for every input in range, so that the compiler folds them (their operators
// then cost nothing, nor does whatever only they use; a layer whose new state is constant does no
// element-wise work at all). Values are followed as intervals through the engine's own operators
// (monotone in each operand): the linears' outputs over their grids, the state over int8.
// Without a model the cost model estimates the first from the bits
// (kernel_geometry.hpp's likely_small_multipliers) and assumes every operator computed.
#pragma once

#include <string>
#include <vector>

#include "engine/model.hpp"

namespace mpgru::device {

// The element-wise operators a unit computes (not constant, and used), and their multipliers'
// paths in the runtime's inline apply (mpgru_rt.h), each folded to its own code: an add's operand
// rescaled by a power of two (an exact shift), a multiplier below 0.5 (the high word shifted), or
// one of 0.5 and more (a 64-bit rounding shift and saturation). An add applies three (its
// operands and its output), a product one.
struct UnitWork {
  int adds = 4;  // sum.r, sum.z, sum.n, h
  int muls = 3;  // mul.rn, mul.un, mul.zh
  int luts = 3;  // act.r, act.z, act.n
  // Without a model: the TFLite add's larger operand (0.5, a power of two), the rest below 0.5.
  int exact_applies = 4, short_applies = 11, long_applies = 0;
  bool dead() const { return adds + muls + luts == 0; }
};

struct ModelHints {
  // Per linear in step_linears(shape, genome, true) order: fast requantization or not.
  std::vector<bool> small_multipliers;
  std::vector<UnitWork> layers;
};

ModelHints hints_of(const engine::IntegerModel& model);

// "small=1101101;units=4.3.3.4.11.0/0.0.0.0.0.0": one digit per linear; per layer adds, muls,
// luts and the exact, short and long applies; and back (throws std::invalid_argument naming the
// text).
std::string to_string(const ModelHints& hints);
ModelHints parse_hints(const std::string& text);

}  // namespace mpgru::device
