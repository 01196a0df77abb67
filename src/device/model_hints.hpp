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

// The element-wise operators a unit computes (not constant, and used).
struct UnitWork {
  int adds = 4;  // sum.r, sum.z, sum.n, h
  int muls = 3;  // mul.rn, mul.un, mul.zh
  int luts = 3;  // act.r, act.z, act.n
  bool dead() const { return adds + muls + luts == 0; }
};

struct ModelHints {
  // Per linear in step_linears(shape, genome, true) order: fast requantization or not.
  std::vector<bool> small_multipliers;
  std::vector<UnitWork> layers;
};

ModelHints hints_of(const engine::IntegerModel& model);

// "small=1101101;units=4.3.3/0.0.0": one digit per linear, adds.muls.luts per layer; and back
// (throws std::invalid_argument naming the text).
std::string to_string(const ModelHints& hints);
ModelHints parse_hints(const std::string& text);

}  // namespace mpgru::device
