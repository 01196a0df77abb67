// Fitting the cost model's coefficients to measurements: nonnegative least squares on relative
// errors (each sample's residual divided by its measured value, so a small model counts as much
// as a large one). Every feature counts work, so every cost is >= 0: unconstrained least squares
// on a calibration set whose features move together (segment calls with rows, padding with the
// shapes) gives large costs of opposite signs that fit the set and fail on other shapes. Columns
// are scaled to unit norm with a small ridge (1e-6); a feature that is zero in every sample gets
// cost 0.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/genome.hpp"
#include "device/cost_model.hpp"
#include "device/model_shape.hpp"

namespace mpgru::device {

// One measured model on the target being fitted: QEMU's instructions per step and the linked
// flash.
struct CostSample {
  ModelShape shape;
  core::Genome genome = core::Genome::homogeneous({}, 8);
  double instructions = 0;
  double flash_bytes = 0;
  std::optional<ModelHints> hints;  // of the measured model, if known
};

// Throws std::invalid_argument if there are fewer samples than 2 or a measurement is not
// positive (naming the sample's genome).
TargetCosts fit_costs(const std::vector<CostSample>& samples, Target target);

// min |A c - b|^2 + ridge |c'|^2 subject to c >= 0, c' the costs of the unit-norm columns (A
// rows x cols, row-major; Lawson and Hanson's active set); columns that are all zero get 0.
// Exposed for tests.
std::vector<double> nonnegative_least_squares(const std::vector<std::vector<double>>& a,
                                              const std::vector<double>& b, double ridge);

}  // namespace mpgru::device
