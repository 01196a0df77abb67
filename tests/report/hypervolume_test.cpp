// Hypervolume: closed-form cases by hand, and agreement with pagmo's on random fronts.
#include "report/hypervolume.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include <pagmo/utils/hypervolume.hpp>

namespace mpgru::report {
namespace {

struct Case {
  const char* name;
  std::vector<Objectives> points;
  Objectives ref;
  double expected;  // by hand
};

class HypervolumeCase : public ::testing::TestWithParam<Case> {};

TEST_P(HypervolumeCase, MatchesTheHandComputedVolume) {
  EXPECT_NEAR(hypervolume(GetParam().points, GetParam().ref), GetParam().expected, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(
    ByHand, HypervolumeCase,
    ::testing::Values(
        // One box 0.5 x 0.5.
        Case{"OnePoint", {{0.5, 0.5}}, {1, 1}, 0.25},
        // Staircase: (0.2, 0.6) adds 0.8 x 0.4, (0.5, 0.2) adds 0.5 x 0.4 more.
        Case{"Staircase", {{0.2, 0.6}, {0.5, 0.2}}, {1, 1}, 0.32 + 0.2},
        // A dominated point and a repeat add nothing.
        Case{
            "DominatedAndRepeated", {{0.2, 0.6}, {0.5, 0.2}, {0.6, 0.7}, {0.5, 0.2}}, {1, 1}, 0.52},
        // On or beyond the reference in one objective: left out.
        Case{"OutsideReference", {{1.0, 0.1}, {0.1, 1.2}, {0.5, 0.5}}, {1, 1}, 0.25},
        Case{"Empty", {}, {1, 1.05}, 0.0},
        // Three objectives: a unit-cube corner box, then two boxes overlapping in a 0.5^3 cube.
        Case{"Box3", {{0.5, 0.5, 0.5}}, {1, 1, 1}, 0.125},
        Case{"Two3", {{0, 0.5, 0.5}, {0.5, 0, 0.5}}, {1, 1, 1}, 0.25 + 0.25 - 0.125},
        Case{"Layers3", {{0.5, 0.5, 0}, {0, 0, 0.5}}, {1, 1, 1}, 0.25 + 0.5 * 0.75}),
    [](const auto& test) { return std::string(test.param.name); });

// pagmo's hypervolume (the search's progress figure) on random fronts, 2 and 3 objectives.
TEST(Hypervolume, EqualsPagmosOnRandomPoints) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t dims : {2u, 3u}) {
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<Objectives> points(1 + trial % 12);
      for (Objectives& p : points) {
        p.resize(dims);
        for (double& v : p) v = u(rng);
      }
      const Objectives ref(dims, 1.05);
      const double ours = hypervolume(points, ref);
      const double theirs = pagmo::hypervolume(points, true).compute(ref);
      EXPECT_NEAR(ours, theirs, 1e-12) << "dims " << dims << " trial " << trial;
    }
  }
}

TEST(Hypervolume, RefusesMixedOrUnsupportedDimensions) {
  EXPECT_THROW(hypervolume({{0.1, 0.2}}, {1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(hypervolume({{0.1}}, {1}), std::invalid_argument);
  EXPECT_THROW(hypervolume({{0.1, 0.1, 0.1, 0.1}}, {1, 1, 1, 1}), std::invalid_argument);
}

// Greedy selection takes the largest gain first, skips what is taken, stops at `count` or when no
// point adds anything (a dominated point and a point outside the reference never do).
TEST(GreedyHypervolume, TakesTheLargestGainsWhileAnyAdds) {
  const Objectives ref = {1, 1};
  const std::vector<Objectives> points = {{0.5, 0.5}, {0.2, 0.2}, {0.3, 0.3}, {0.1, 0.9}, {2, 0}};
  std::vector<Objectives> front;
  std::vector<bool> taken(points.size(), false);
  taken[3] = true;
  const std::vector<size_t> order = {0, 1, 2, 3, 4};
  EXPECT_EQ(greedy_hypervolume(front, points, order, taken, 1, ref), std::vector<size_t>{1});
  EXPECT_EQ(front.size(), 1u);
  // {0.5, 0.5}, {0.3, 0.3} are dominated by {0.2, 0.2}; {2, 0} lies outside the reference.
  EXPECT_TRUE(greedy_hypervolume(front, points, order, taken, 3, ref).empty());
  EXPECT_TRUE(taken[1]);
  EXPECT_FALSE(taken[0]);
  std::vector<Objectives> empty;
  std::vector<bool> none(points.size(), false);
  const std::vector<size_t> two = greedy_hypervolume(empty, points, order, none, 2, ref);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], 1u);
  EXPECT_EQ(two[1], 3u);  // {0.1, 0.9} adds 0.01 beyond {0.2, 0.2}
}

}  // namespace
}  // namespace mpgru::report
