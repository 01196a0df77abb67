// Intervals: Wilson and McNemar against hand-computed values, Newcombe's paired interval against
// published numbers, their properties (containment, symmetry, range, width) and rejected inputs.
#include "report/intervals.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mpgru::report {
namespace {

// ---- Wilson ----------------------------------------------------------------------------------

// Wilson, multiplied through by n: (k + z^2/2 -+ z sqrt(k (n-k)/n + z^2/4)) / (n + z^2).
struct WilsonCase {
  const char* name;
  int64_t successes, n;
  double low, high, tolerance;
};

class WilsonByHand : public ::testing::TestWithParam<WilsonCase> {};

TEST_P(WilsonByHand, MatchesTheClosedForm) {
  const WilsonCase& c = GetParam();
  const Interval i = wilson(c.successes, c.n);
  EXPECT_NEAR(i.low, c.low, c.tolerance);
  EXPECT_NEAR(i.high, c.high, c.tolerance);
}

constexpr double kZ2 = kZ95 * kZ95;  // 3.841458820694125

INSTANTIATE_TEST_SUITE_P(
    Intervals, WilsonByHand,
    ::testing::Values(
        // 90/100: n + z^2 = 103.841459; center = (90 + 1.920729) / 103.841459 = 0.885203;
        // half = 1.959964 * sqrt(900/100 + 0.960365) / 103.841459 = 0.059568
        // -> [0.825634, 0.944771], i.e. [0.8256, 0.9448] to 4 decimals.
        WilsonCase{"NinetyOfHundred", 90, 100, 0.8256, 0.9448, 0.5e-4},
        // 0/n: center = half = (z^2/2) / (n + z^2), so [0, z^2 / (n + z^2)] = [0, 0.036993].
        WilsonCase{"NoneOfHundred", 0, 100, 0.0, kZ2 / (100 + kZ2), 1e-15},
        // n/n: the mirror image, [n / (n + z^2), 1] = [0.963007, 1].
        WilsonCase{"AllOfHundred", 100, 100, 100 / (100 + kZ2), 1.0, 1e-15},
        // One trial: [0, z^2 / (1 + z^2)] = [0, 0.793451] and [1 / (1 + z^2), 1].
        WilsonCase{"NoneOfOne", 0, 1, 0.0, kZ2 / (1 + kZ2), 1e-15},
        WilsonCase{"OneOfOne", 1, 1, 1 / (1 + kZ2), 1.0, 1e-15}),
    [](const auto& param) { return std::string(param.param.name); });

TEST(Intervals, WilsonEndsAreExactlyZeroAndOne) {
  for (int64_t n : {1, 7, 100, 1000000}) {
    SCOPED_TRACE(n);
    const Interval none = wilson(0, n), all = wilson(n, n);
    EXPECT_EQ(none.low, 0.0);
    EXPECT_GT(none.high, 0.0);  // the other end is not degenerate
    EXPECT_EQ(all.high, 1.0);
    EXPECT_LT(all.low, 1.0);
  }
}

TEST(Intervals, WilsonContainsThePointEstimate) {
  for (int64_t n : {1, 2, 3, 7, 10, 100, 999, 4096, 123457}) {
    for (int64_t k = 0; k <= n; k += std::max<int64_t>(1, n / 50)) {
      SCOPED_TRACE(std::to_string(k) + "/" + std::to_string(n));
      const Interval i = wilson(k, n);
      const double p = static_cast<double>(k) / static_cast<double>(n);
      EXPECT_LE(0.0, i.low);
      EXPECT_LE(i.low, p);
      EXPECT_LE(p, i.high);
      EXPECT_LE(i.high, 1.0);
      EXPECT_LT(i.low, i.high);
    }
  }
}

TEST(Intervals, WilsonRejectsBadArguments) {
  const std::vector<std::pair<int64_t, int64_t>> bad = {
      {0, 0}, {1, 0}, {0, -5}, {-1, 10}, {11, 10}};
  for (const auto& [successes, n] : bad) {
    SCOPED_TRACE(std::to_string(successes) + "/" + std::to_string(n));
    EXPECT_THROW(wilson(successes, n), std::invalid_argument);
  }
  try {
    wilson(11, 10);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("successes = 11"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("n = 10"), std::string::npos) << e.what();
  }
}

// ---- McNemar ---------------------------------------------------------------------------------

struct McNemarCase {
  int64_t only_a, only_b;
  double p;
};

class McNemarByHand : public ::testing::TestWithParam<McNemarCase> {};

TEST_P(McNemarByHand, MatchesTheBinomialSum) {
  const McNemarCase& c = GetParam();
  EXPECT_NEAR(mcnemar_exact_p(c.only_a, c.only_b), c.p, 1e-13);
  EXPECT_NEAR(mcnemar_exact_p(c.only_b, c.only_a), c.p, 1e-13);
}

// p = min(1, 2 sum_{i <= min} C(m, i) / 2^m), m = only_a + only_b.
INSTANTIATE_TEST_SUITE_P(Intervals, McNemarByHand,
                         ::testing::Values(
                             // m = 7: 2 (C(7,0) + C(7,1)) / 128 = 2 * 8 / 128.
                             McNemarCase{1, 6, 0.125},
                             // No discordant pairs: 1 by definition.
                             McNemarCase{0, 0, 1.0},
                             // m = 6: 2 (1 + 6 + 15 + 20) / 64 = 84/64 > 1, capped.
                             McNemarCase{3, 3, 1.0},
                             // m = 5: 2 * 1 / 32.
                             McNemarCase{0, 5, 0.0625},
                             // m = 1: 2 * 1/2.
                             McNemarCase{0, 1, 1.0},
                             // m = 10: 2 (1 + 10 + 45) / 1024 = 112/1024.
                             McNemarCase{2, 8, 0.109375},
                             // m = 10: 2 (1 + 10) / 1024 = 22/1024.
                             McNemarCase{1, 9, 0.021484375},
                             // m = 1000: 2 / 2^1000 = 2^-999, near the bottom of double range.
                             McNemarCase{0, 1000, std::ldexp(1.0, -999)}));

TEST(Intervals, McNemarIsSymmetricInItsArguments) {
  for (int64_t a = 0; a <= 40; ++a) {
    for (int64_t b = 0; b <= 40; ++b) {
      EXPECT_EQ(mcnemar_exact_p(a, b), mcnemar_exact_p(b, a)) << a << " vs " << b;
    }
  }
}

// Large discordant counts; references computed outside this code at 40 digits: 4000 vs 4200
// exactly with Python integers (math.comb), the others with mpmath (mp.dps = 40) summing
// C(m, i) / 2^m downwards from i = min.
TEST(Intervals, McNemarLargeCountsMatchHighPrecision) {
  const std::vector<McNemarCase> cases = {
      {4000, 4200, 0.027972423571324382},
      {500000, 500500, 0.61786726001554282},
      {500000, 501000, 0.31803654084032255},
      {1000000, 998000, 0.15729913779645633},
      {1000000, 1000000, 1.0},
  };
  for (const McNemarCase& c : cases) {
    SCOPED_TRACE(std::to_string(c.only_a) + " vs " + std::to_string(c.only_b));
    const double p = mcnemar_exact_p(c.only_a, c.only_b);
    EXPECT_TRUE(std::isfinite(p));
    // lgamma near 2e6 is ~3e7, so its last bit is ~3e-9 of the log: a relative error of a few
    // 1e-9 is expected (2.3e-9 seen for 10^6 vs 998000); 1e-7 leaves room for other libms.
    EXPECT_NEAR(p, c.p, 1e-7 * c.p);
  }
}

TEST(Intervals, McNemarFallsAsTheImbalanceGrows) {
  double previous = mcnemar_exact_p(4000, 4000);
  EXPECT_EQ(previous, 1.0);
  for (int64_t b = 4050; b <= 4400; b += 50) {
    const double p = mcnemar_exact_p(4000, b);
    EXPECT_GT(p, 0.0) << b;
    EXPECT_LT(p, previous) << b;
    previous = p;
  }
  const double p = mcnemar_exact_p(4000, 4200);
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1.0);
}

TEST(Intervals, McNemarRejectsNegativeCounts) {
  EXPECT_THROW(mcnemar_exact_p(-1, 5), std::invalid_argument);
  EXPECT_THROW(mcnemar_exact_p(5, -1), std::invalid_argument);
}

// ---- Newcombe's paired interval ----------------------------------------------------------------

struct PublishedCase {
  const char* name;
  PairedCounts counts;
  double low, high;  // published to 4 decimals
};

class NewcombePublished : public ::testing::TestWithParam<PublishedCase> {};

TEST_P(NewcombePublished, MatchesToThePublishedPrecision) {
  const PublishedCase& c = GetParam();
  const Interval i = paired_difference(c.counts);
  EXPECT_NEAR(i.low, c.low, 0.5e-4);
  EXPECT_NEAR(i.high, c.high, 0.5e-4);
}

// Counts are {both, only_a, only_b, neither} = Newcombe's (e, f, g, h), difference (f - g) / n.
INSTANTIATE_TEST_SUITE_P(
    Intervals, NewcombePublished,
    ::testing::Values(
        // Newcombe 1998 (Stat Med 17:2635), Table II, method 10; the same numbers are checked in
        // the R package propint (github.com/m-Py/propint,
        // tests/testthat/test_Two_Dependent_Props_CI.R).
        // (a) AD - BC < 0: phi is used as is.
        PublishedCase{"Newcombe_a", {36, 12, 2, 0}, 0.0569, 0.3404},
        // (b) AD - BC = 300 > n/2: the corrected phi; the plain phi would give [0.0618, 0.3239].
        PublishedCase{"Newcombe_b", {18, 12, 2, 18}, 0.0562, 0.3290},
        // (c) no discordant pairs, corrected phi; the plain phi would give +-0.0640.
        PublishedCase{"Newcombe_c", {53, 0, 0, 1}, -0.0729, 0.0729},
        // (d) a zero margin: phi = 0, upper limit exactly 1.
        PublishedCase{"Newcombe_d", {0, 30, 0, 0}, 0.8395, 1.0},
        // Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017), ch. 8:
        // complete response before/after consolidation therapy (Cavo et al. 2012), estimate
        // -0.0621, Newcombe square-and-add interval [-0.1186, -0.0046]; checked in the R package
        // contingencytables (github.com/ocbe-uio/contingencytables, tests/testthat/test-ch8.R).
        PublishedCase{"Cavo2012", {59, 6, 16, 80}, -0.1186, -0.0046}),
    [](const auto& param) { return std::string(param.param.name); });

// Tables for the properties: ordinary, lopsided, degenerate and large.
std::vector<PairedCounts> property_tables() {
  return {{36, 12, 2, 0},     {18, 12, 2, 18}, {53, 0, 0, 1},
          {0, 30, 0, 0},      {59, 6, 16, 80}, {1, 1, 7, 12},
          {0, 0, 0, 1},       {1, 0, 0, 0},    {0, 1, 0, 0},
          {0, 0, 1, 0},       {0, 0, 0, 5000}, {5000, 0, 0, 0},
          {0, 5000, 0, 0},    {0, 0, 5000, 0}, {9000, 300, 420, 280},
          {100, 50, 50, 100}, {3, 40, 1, 2},   {97000, 1200, 1100, 700}};
}

TEST(Intervals, NewcombeContainsThePointDifference) {
  for (const PairedCounts& c : property_tables()) {
    SCOPED_TRACE(::testing::Message()
                 << c.both << "/" << c.only_a << "/" << c.only_b << "/" << c.neither);
    const double d = static_cast<double>(c.only_a - c.only_b) / static_cast<double>(c.n());
    const Interval i = paired_difference(c);
    EXPECT_LE(i.low, d);
    EXPECT_LE(d, i.high);
  }
}

TEST(Intervals, NewcombeIsAntisymmetricWhenAAndBSwap) {
  for (const PairedCounts& c : property_tables()) {
    SCOPED_TRACE(::testing::Message()
                 << c.both << "/" << c.only_a << "/" << c.only_b << "/" << c.neither);
    const Interval ab = paired_difference(c);
    const Interval ba = paired_difference({c.both, c.only_b, c.only_a, c.neither});
    EXPECT_DOUBLE_EQ(ba.low, -ab.high);
    EXPECT_DOUBLE_EQ(ba.high, -ab.low);
  }
}

TEST(Intervals, NewcombeStaysWithinMinusOneAndOne) {
  for (const PairedCounts& c : property_tables()) {
    SCOPED_TRACE(::testing::Message()
                 << c.both << "/" << c.only_a << "/" << c.only_b << "/" << c.neither);
    const Interval i = paired_difference(c);
    EXPECT_LE(-1.0, i.low);
    EXPECT_LT(i.low, i.high);
    EXPECT_LE(i.high, 1.0);
  }
}

TEST(Intervals, NewcombeNarrowsAsNGrowsWithTheSameProportions) {
  double previous_width = 2;
  for (int64_t scale : {1, 10, 100, 1000, 10000}) {
    const Interval i = paired_difference({18 * scale, 12 * scale, 2 * scale, 18 * scale});
    const double width = i.high - i.low;
    EXPECT_LT(width, previous_width) << scale;
    previous_width = width;
  }
}

TEST(Intervals, NewcombeRejectsNegativeCountsAndAnEmptyTable) {
  const std::vector<PairedCounts> bad = {{-1, 5, 5, 5}, {5, -1, 5, 5}, {5, 5, -1, 5},
                                         {5, 5, 5, -1}, {0, 0, 0, 0},  {2, -1, 0, -1}};
  for (const PairedCounts& c : bad) {
    SCOPED_TRACE(::testing::Message()
                 << c.both << "/" << c.only_a << "/" << c.only_b << "/" << c.neither);
    EXPECT_THROW(paired_difference(c), std::invalid_argument);
  }
}

}  // namespace
}  // namespace mpgru::report
