// The fit: costs that generated the measurements are recovered (their predictions exactly), an
// unused feature costs 0, and too few or non-positive measurements are refused.
#include "device/cost_fit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "fixtures/random_model.hpp"

namespace mpgru::device {
namespace {

TEST(NonnegativeLeastSquares, SolvesAnExactSystemAndZeroesEmptyColumns) {
  const std::vector<std::vector<double>> a = {{1, 0, 2}, {0, 0, 1}, {1, 0, 0}, {2, 0, 1}};
  const std::vector<double> b = {1 * 3 + 2 * 5, 5, 3, 2 * 3 + 5};
  const std::vector<double> c = nonnegative_least_squares(a, b, 1e-12);
  EXPECT_NEAR(c[0], 3, 1e-6);
  EXPECT_EQ(c[1], 0);
  EXPECT_NEAR(c[2], 5, 1e-6);
  EXPECT_THROW(nonnegative_least_squares({{1, 2}, {1}}, {1, 2}, 0), std::invalid_argument);
}

TEST(NonnegativeLeastSquares, ANegativeSolutionIsClippedToTheBestNonnegativeOne) {
  // b = 2 x0 - x1 exactly; with x1 >= 0 the best is x1 = 0 and x0 the 1-D least squares.
  const std::vector<std::vector<double>> a = {{1, 1}, {2, 1}, {3, 1}};
  const std::vector<double> b = {1, 3, 5};
  const std::vector<double> c = nonnegative_least_squares(a, b, 1e-12);
  EXPECT_EQ(c[1], 0);
  EXPECT_NEAR(c[0], (1 * 1 + 2 * 3 + 3 * 5) / 14.0, 1e-9);
}

ModelShape shape(int32_t hidden, int32_t features) {
  ModelShape s;
  s.features = features;
  s.hidden = hidden;
  s.outputs = 5;
  return s;
}

TEST(CostFit, RecoversThePredictionsOfTheCostsThatMadeTheSamples) {
  TargetCosts truth;
  truth.instructions = {{"step", 300},   {"unit", 90}, {"row", 14},          {"small_row", 9},
                        {"linear", 40},  {"steps", 7}, {"ternary_steps", 6}, {"fields_4", 5},
                        {"fields_8", 4}, {"calls", 30}};
  truth.flash = {{"program", 3000}, {"layer", 500}, {"width_2", 200}, {"width_8", 260}};
  CostModel model;
  model.set(Target::cortex_m4, "-O2", truth);
  std::vector<CostSample> samples;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const ModelShape s = shape(seed % 2 ? 64 : 128, seed % 3 ? 28 : 40);
    const core::Genome g = testing::random_genome({}, seed);
    const Prediction p = model.predict(s, g, Target::cortex_m4);
    samples.push_back({s, g, p.instructions, static_cast<double>(p.flash_bytes), {}});
  }
  const TargetCosts fitted = fit_costs(samples, Target::cortex_m4);
  EXPECT_LT(fitted.fit.at("max_relative_error_instructions").get<double>(), 1e-4);
  EXPECT_LT(fitted.fit.at("max_relative_error_flash").get<double>(), 1e-3);
  EXPECT_EQ(fitted.instructions.at("embedding"), 0);  // no token model among the samples
  CostModel again;
  again.set(Target::cortex_m4, "-O2", fitted);
  const core::Genome unseen = testing::random_genome({}, 99);
  const double want = model.predict(shape(64, 28), unseen, Target::cortex_m4).instructions;
  EXPECT_NEAR(again.predict(shape(64, 28), unseen, Target::cortex_m4).instructions, want,
              1e-3 * want);
}

TEST(CostFit, TooFewOrNonPositiveMeasurementsAreRefused) {
  const core::Genome g = core::Genome::homogeneous({}, 8);
  EXPECT_THROW(fit_costs({{shape(8, 4), g, 100, 100, {}}}, Target::cortex_m4),
               std::invalid_argument);
  try {
    fit_costs({{shape(8, 4), g, 100, 100, {}}, {shape(8, 4), g, 0, 100, {}}}, Target::cortex_m4);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(g.to_compact()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mpgru::device
