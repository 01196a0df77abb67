// The headline rule on hand-built fronts with known answers: picks on validation (never test),
// the 0.5 pp boundary in whole sequences, ties, no pick, a separate fewest-BOPs pick, the
// intervals beside the pick, and the hypervolumes on both splits.
#include "report/headline.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "report/hypervolume.hpp"

namespace mpgru::report {
namespace {

constexpr int64_t kVal = 1000;   // validation sequences
constexpr int64_t kTest = 2000;  // test sequences

// A one-layer genome whose first gene (x) is `tag` and whose weights are `weight_bits`; size and
// BOPs are given directly (the rule reads them, it does not compute them).
ScoredGenome genome(int tag, int weight_bits, int64_t val_correct, int64_t test_correct,
                    int64_t size_bits, int64_t bops) {
  ScoredGenome g;
  core::Genome genome = core::Genome::homogeneous({}, weight_bits);
  genome.set_bits(0, tag);
  g.genome = genome;
  g.val_accuracy = static_cast<double>(val_correct) / kVal;
  g.val_count = kVal;
  g.test_accuracy = static_cast<double>(test_correct) / kTest;
  g.test_count = kTest;
  g.size_bits = size_bits;
  g.bops = bops;
  return g;
}

// Homogeneous 8..2 with 8-bit at 990/1000 validation, 1960/2000 test, size 1000, BOPs 1000.
std::vector<ScoredGenome> baseline() {
  std::vector<ScoredGenome> b;
  for (int bits = 2; bits <= 8; ++bits) {
    const int64_t lost = (8 - bits) * 40;
    b.push_back(genome(bits, bits, 990 - lost, 1960 - 2 * lost, 125 * bits, 125 * bits));
  }
  return b;
}

TEST(Headline, EightBitIsTheLargestBaselineGenome) {
  const std::vector<ScoredGenome> base = baseline();
  const Headline h = headline({}, base, false);
  EXPECT_EQ(h.eight, &base.back());
  EXPECT_FALSE(h.size.has_value());
  EXPECT_FALSE(h.bops.has_value());
}

TEST(Headline, CeilingIsHomogeneousTwoBitsReduction) {
  const std::vector<ScoredGenome> base = baseline();  // 2-bit 250, 8-bit 1000 bits
  const Headline h = headline({}, base, false);
  ASSERT_TRUE(h.size_reduction_bound.has_value());
  EXPECT_DOUBLE_EQ(*h.size_reduction_bound, 0.75);
  // Without homogeneous 2-bit in the baseline there is no ceiling to state.
  const std::vector<ScoredGenome> wide(base.begin() + 1, base.end());
  EXPECT_FALSE(headline({}, wide, false).size_reduction_bound.has_value());
}

// The boundary in whole sequences: 8-bit has 990 of 1000; 0.5 pp is 5 sequences.
struct Boundary {
  const char* name;
  int64_t val_correct;
  bool picked;
};

class HeadlineBoundary : public ::testing::TestWithParam<Boundary> {};

TEST_P(HeadlineBoundary, ExactlyHalfAPointIsIn) {
  const std::vector<ScoredGenome> base = baseline();
  const std::vector<ScoredGenome> front = {genome(5, 2, GetParam().val_correct, 1960, 300, 300)};
  const Headline h = headline(front, base, false);
  EXPECT_EQ(h.size.has_value(), GetParam().picked);
  EXPECT_EQ(within_tolerance(front[0], base.back()), GetParam().picked);
}

INSTANTIATE_TEST_SUITE_P(Sequences, HeadlineBoundary,
                         ::testing::Values(Boundary{"Equal", 990, true},
                                           Boundary{"Above", 995, true},
                                           Boundary{"HalfPointBelow", 985, true},
                                           Boundary{"OneSequenceMore", 984, false}),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Headline, PicksOnValidationWhereTestWouldPickAnother) {
  const std::vector<ScoredGenome> base = baseline();
  // Smallest: out on validation (984/1000) but better than 8-bit on test (1990/2000).
  // Next: in on validation (986) but worse on test (1900). The rule must take the second.
  const std::vector<ScoredGenome> front = {genome(3, 2, 984, 1990, 300, 300),
                                           genome(4, 3, 986, 1900, 400, 400),
                                           genome(5, 4, 992, 1961, 600, 600)};
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());
  EXPECT_EQ(h.size->genome, &front[1]);
  EXPECT_DOUBLE_EQ(h.size->size_reduction, 1 - 400.0 / 1000.0);
  EXPECT_DOUBLE_EQ(h.size->test_difference, 1900.0 / kTest - 1960.0 / kTest);
}

TEST(Headline, NoGenomeWithinTolerance) {
  const std::vector<ScoredGenome> base = baseline();
  const std::vector<ScoredGenome> front = {genome(3, 2, 900, 1990, 300, 300),
                                           genome(4, 3, 984, 1999, 400, 400)};
  const Headline h = headline(front, base, false);
  EXPECT_FALSE(h.size.has_value());
  EXPECT_FALSE(h.bops.has_value());
}

TEST(Headline, SizeTiesGoToHigherValidationThenToTheGenomeText) {
  const std::vector<ScoredGenome> base = baseline();
  const std::vector<ScoredGenome> front = {genome(6, 3, 987, 1960, 400, 400),
                                           genome(5, 3, 989, 1950, 400, 400),
                                           genome(4, 3, 989, 1940, 400, 400)};
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());
  EXPECT_EQ(h.size->genome, &front[2]);  // 989 beats 987; "4..." sorts before "5..."
  // The input order does not matter.
  const std::vector<ScoredGenome> reversed(front.rbegin(), front.rend());
  EXPECT_EQ(headline(reversed, base, false).size->genome->genome, front[2].genome);
}

TEST(Headline, FewestBopsPickDiffersFromTheSmallest) {
  const std::vector<ScoredGenome> base = baseline();
  const std::vector<ScoredGenome> front = {genome(3, 2, 988, 1950, 300, 900),
                                           genome(4, 3, 989, 1955, 400, 200)};
  const Headline h = headline(front, base, true);
  ASSERT_TRUE(h.size && h.bops);
  EXPECT_EQ(h.size->genome, &front[0]);
  EXPECT_EQ(h.bops->genome, &front[1]);
  EXPECT_DOUBLE_EQ(h.size->size_reduction, 0.7);
  EXPECT_DOUBLE_EQ(h.bops->bops_reduction, 0.8);
  EXPECT_DOUBLE_EQ(h.size->bops_reduction, 0.1);
}

TEST(Headline, IntervalsBesideThePick) {
  const std::vector<ScoredGenome> base = baseline();
  std::vector<ScoredGenome> front = {genome(3, 2, 988, 1950, 300, 300)};
  front[0].test_only_this = 12;   // right where 8-bit is wrong
  front[0].test_only_eight = 22;  // wrong where 8-bit is right: 1950 - 1960 = 12 - 22
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());
  const Pick& p = *h.size;
  const Interval val = wilson(988, kVal), test = wilson(1950, kTest);
  EXPECT_EQ(p.val_interval.low, val.low);
  EXPECT_EQ(p.val_interval.high, val.high);
  EXPECT_EQ(p.test_interval.low, test.low);
  EXPECT_EQ(p.test_interval.high, test.high);
  ASSERT_TRUE(p.paired);
  PairedCounts c;
  c.both = 1950 - 12;
  c.only_a = 12;
  c.only_b = 22;
  c.neither = kTest - c.both - 12 - 22;
  const Interval d = paired_difference(c);
  EXPECT_EQ(p.test_difference_interval.low, d.low);
  EXPECT_EQ(p.test_difference_interval.high, d.high);
  EXPECT_EQ(p.mcnemar_p, mcnemar_exact_p(12, 22));
  EXPECT_LT(d.low, p.test_difference);
  EXPECT_GT(d.high, p.test_difference);
}

TEST(Headline, WithoutCountsNoIntervalsAndTheToleranceOnAccuracies) {
  std::vector<ScoredGenome> base = baseline();
  std::vector<ScoredGenome> front = {genome(3, 2, 985, 1950, 300, 300)};
  for (ScoredGenome* g : {&base.back(), &front[0]}) g->val_count = g->test_count = 0;
  const Headline h = headline(front, base, false);
  ASSERT_TRUE(h.size.has_value());  // 0.985 vs 0.990: exactly 0.5 pp, kept despite rounding
  EXPECT_FALSE(h.size->paired);
  EXPECT_EQ(h.size->test_interval.low, 0.0);
  EXPECT_EQ(h.size->test_interval.high, 0.0);
}

TEST(Headline, HypervolumesOnBothSplits) {
  const std::vector<ScoredGenome> base = baseline();
  const std::vector<ScoredGenome> front = {genome(3, 2, 950, 1800, 300, 300),
                                           genome(4, 3, 989, 1955, 500, 250)};
  const Headline h = headline(front, base, true);
  const auto k = [](int64_t v) { return static_cast<double>(v) / 1000.0; };
  std::vector<Objectives> val, test;
  for (const ScoredGenome& g : front) {
    val.push_back({1 - g.val_accuracy, k(g.size_bits), k(g.bops)});
    test.push_back({1 - g.test_accuracy, k(g.size_bits), k(g.bops)});
  }
  EXPECT_DOUBLE_EQ(h.validation.front, hypervolume(val, {1, 1.05, 1.05}));
  EXPECT_DOUBLE_EQ(h.test.front, hypervolume(test, {1, 1.05, 1.05}));
  EXPECT_NE(h.validation.front, h.test.front);
  EXPECT_GT(h.validation.baseline, 0.0);
  const Headline flat = headline(front, base, false);
  val.clear();
  for (const ScoredGenome& g : front) val.push_back({1 - g.val_accuracy, k(g.size_bits)});
  EXPECT_DOUBLE_EQ(flat.validation.front, hypervolume(val, {1, 1.05}));
}

TEST(Headline, RefusesAnEmptyBaselineOrAnEightBitWithoutBops) {
  EXPECT_THROW(headline({}, {}, false), std::invalid_argument);
  std::vector<ScoredGenome> base = baseline();
  base.back().bops = 0;
  EXPECT_THROW(headline({}, base, false), std::invalid_argument);
}

// An unbuildable genome scores 0 with no sequences and no BOPs: kept out of every pick.
TEST(Headline, UnbuildableGenomeIsNeverPicked) {
  const std::vector<ScoredGenome> base = baseline();
  ScoredGenome broken = genome(3, 2, 0, 0, 100, 0);
  broken.val_count = broken.test_count = 0;
  const std::vector<ScoredGenome> front = {broken, genome(4, 3, 989, 1955, 400, 400)};
  const Headline h = headline(front, base, true);
  ASSERT_TRUE(h.size && h.bops);
  EXPECT_EQ(h.size->genome, &front[1]);
  EXPECT_EQ(h.bops->genome, &front[1]);
}

// ---------------------------------------------------------------------------------------------
// A quality metric (per-step models): scores are mean SI-SDR improvements in dB over clips.

constexpr int64_t kClips = 300;  // validation and test clips
const Metric kSisdr{Metric::Kind::sisdr, 8.0};

// A speech enhancer scoring `val_db` and `test_db`, with its half-widths of the 95 % intervals
// over clips; size and BOPs both `size_bits`.
ScoredGenome enhancer(int tag, int weight_bits, double val_db, double test_db, int64_t size_bits) {
  ScoredGenome g = genome(tag, weight_bits, 0, 0, size_bits, size_bits);
  g.val_accuracy = val_db;
  g.test_accuracy = test_db;
  g.val_count = g.test_count = kClips;
  g.val_ci95 = 0.45;
  g.test_ci95 = 0.5;
  g.test_difference_ci95 = 0.2;
  return g;
}

// Homogeneous 8..2 with 8-bit at 7.9 dB validation, 8.1 dB test, size 1000; each bit less loses
// 1.5 dB (2-bit: -1.1 dB, worse than the noisy input).
std::vector<ScoredGenome> enhancer_baseline() {
  std::vector<ScoredGenome> b;
  for (int bits = 2; bits <= 8; ++bits) {
    const double lost = 1.5 * (8 - bits);
    b.push_back(enhancer(bits, bits, 7.9 - lost, 8.1 - lost, 125 * bits));
  }
  return b;
}

// The boundary on the scores, not in whole sequences: the clip counts are recorded (and equal)
// but a quality score is no share of them.
struct QualityBoundary {
  const char* name;
  Metric metric;
  double eight_val, candidate_val;
  bool picked;
};

void PrintTo(const QualityBoundary& c, std::ostream* out) {
  *out << c.name;
}

class HeadlineQualityBoundary : public ::testing::TestWithParam<QualityBoundary> {};

TEST_P(HeadlineQualityBoundary, ExactlyTheToleranceIsIn) {
  const QualityBoundary& c = GetParam();
  std::vector<ScoredGenome> base = enhancer_baseline();
  base.back().val_accuracy = c.eight_val;
  const std::vector<ScoredGenome> front = {enhancer(5, 2, c.candidate_val, 8.0, 300)};
  EXPECT_EQ(within_tolerance(front[0], base.back(), c.metric), c.picked);
  const Headline h = headline(front, base, false, c.metric);
  EXPECT_EQ(h.size.has_value(), c.picked);
  EXPECT_EQ(h.bops.has_value(), c.picked);
}

INSTANTIATE_TEST_SUITE_P(
    Scores, HeadlineQualityBoundary,
    ::testing::Values(
        QualityBoundary{"Equal", kSisdr, 7.9, 7.9, true},
        QualityBoundary{"Above", kSisdr, 7.9, 8.3, true},
        QualityBoundary{"ExactlyTolerance", kSisdr, 7.9, 7.6, true},
        QualityBoundary{"HalfToleranceBelow", kSisdr, 7.9, 7.75, true},
        QualityBoundary{"BeyondTolerance", kSisdr, 7.9, 7.59, false},
        QualityBoundary{"NegativeScores", kSisdr, -1.0, -1.3, true},
        QualityBoundary{"NegativeBeyond", kSisdr, -1.0, -1.31, false},
        QualityBoundary{"StoiExactlyTolerance", Metric{Metric::Kind::stoi, 0.05}, 0.04, 0.03, true},
        QualityBoundary{"StoiBeyond", Metric{Metric::Kind::stoi, 0.05}, 0.04, 0.0299, false}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(HeadlineQuality, PicksTheSmallestWithinTheToleranceOnValidation) {
  const std::vector<ScoredGenome> base = enhancer_baseline();
  // Smallest: 0.35 dB below 8-bit on validation, though best on test; then 0.25 dB below (the
  // pick: iso-accuracy's 0.5 pp of 300 clips would refuse it); then a larger one above 8-bit.
  const std::vector<ScoredGenome> front = {enhancer(3, 2, 7.55, 8.5, 300),
                                           enhancer(4, 3, 7.65, 7.0, 400),
                                           enhancer(5, 4, 7.95, 8.0, 600)};
  const Headline h = headline(front, base, false, kSisdr);
  EXPECT_EQ(h.eight, &base.back());
  EXPECT_EQ(h.metric.kind, Metric::Kind::sisdr);
  ASSERT_TRUE(h.size && h.bops);
  EXPECT_EQ(h.size->genome, &front[1]);
  EXPECT_EQ(h.bops->genome, &front[1]);
  EXPECT_DOUBLE_EQ(h.size->size_reduction, 0.6);
  EXPECT_DOUBLE_EQ(h.size->test_difference, 7.0 - 8.1);
  // The accuracy tolerance on the same rows would refuse it: it is the metric that decides.
  EXPECT_FALSE(within_tolerance(front[1], base.back()));
}

TEST(HeadlineQuality, IntervalsAreTheMeansWithTheirRecordedHalfWidths) {
  const std::vector<ScoredGenome> base = enhancer_baseline();
  std::vector<ScoredGenome> front = {enhancer(4, 3, 7.7, 7.25, 400)};
  front[0].val_ci95 = 0.4;
  front[0].test_ci95 = 0.55;
  front[0].test_difference_ci95 = 0.125;
  // Sequence pairing counts, which the accuracy rule would use, play no part.
  front[0].test_only_this = 12;
  front[0].test_only_eight = 22;
  const Headline h = headline(front, base, false, kSisdr);
  ASSERT_TRUE(h.size.has_value());
  const Pick& p = *h.size;
  EXPECT_DOUBLE_EQ(p.val_interval.low, 7.7 - 0.4);
  EXPECT_DOUBLE_EQ(p.val_interval.high, 7.7 + 0.4);
  EXPECT_DOUBLE_EQ(p.test_interval.low, 7.25 - 0.55);
  EXPECT_DOUBLE_EQ(p.test_interval.high, 7.25 + 0.55);
  const double difference = 7.25 - 8.1;
  EXPECT_DOUBLE_EQ(p.test_difference, difference);
  ASSERT_TRUE(p.paired);
  EXPECT_DOUBLE_EQ(p.test_difference_interval.low, difference - 0.125);
  EXPECT_DOUBLE_EQ(p.test_difference_interval.high, difference + 0.125);
}

// Paired only when the per-clip difference's half-width was recorded (>= 0; 0 when every clip
// differs by the same amount).
struct Pairing {
  const char* name;
  double test_difference_ci95;
  bool paired;
};

void PrintTo(const Pairing& c, std::ostream* out) {
  *out << c.name;
}

class HeadlineQualityPairing : public ::testing::TestWithParam<Pairing> {};

TEST_P(HeadlineQualityPairing, PairedOnlyWithARecordedDifferenceInterval) {
  const std::vector<ScoredGenome> base = enhancer_baseline();
  std::vector<ScoredGenome> front = {enhancer(4, 3, 7.8, 7.5, 400)};
  front[0].test_difference_ci95 = GetParam().test_difference_ci95;
  front[0].test_only_this = 3;  // as if paired by sequences: ignored for a quality metric
  front[0].test_only_eight = 1;
  const Headline h = headline(front, base, false, kSisdr);
  ASSERT_TRUE(h.size.has_value());
  EXPECT_EQ(h.size->paired, GetParam().paired);
  const Interval d = h.size->test_difference_interval;
  if (GetParam().paired) {
    EXPECT_DOUBLE_EQ(d.low, 7.5 - 8.1 - GetParam().test_difference_ci95);
    EXPECT_DOUBLE_EQ(d.high, 7.5 - 8.1 + GetParam().test_difference_ci95);
  } else {
    EXPECT_EQ(d.low, 0.0);
    EXPECT_EQ(d.high, 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HeadlineQualityPairing,
                         ::testing::Values(Pairing{"NotRecorded", -1, false},
                                           Pairing{"Zero", 0, true},
                                           Pairing{"Recorded", 0.3, true}),
                         [](const auto& test) { return std::string(test.param.name); });

// error = 1 - score / 8 dB on the first axis, reference point (1, 1.05), worked by hand:
//   A: 6.0 dB, size 500 -> (0.25, 0.5);  B: 7.0 dB, size 800 -> (0.125, 0.8);
//   C: -2.0 dB (worse than noisy), size 300 -> (1.25, 0.3), beyond the reference: adds nothing.
//   A alone: (1 - 0.25) x (1.05 - 0.5) = 0.4125; with B: + (0.25 - 0.125) x (1.05 - 0.8) = 0.44375.
// On test: A 4.0 dB -> 0.5, B 7.2 dB -> 0.1: 0.5 x 0.55 + (0.5 - 0.1) x 0.25 = 0.375.
TEST(HeadlineQuality, HypervolumeOnTheShareOfTheReferenceLost) {
  const std::vector<ScoredGenome> base = enhancer_baseline();
  const ScoredGenome a = enhancer(3, 2, 6.0, 4.0, 500);
  const ScoredGenome b = enhancer(4, 3, 7.0, 7.2, 800);
  const ScoredGenome c = enhancer(5, 2, -2.0, -2.0, 300);
  EXPECT_NEAR(headline({a}, base, false, kSisdr).validation.front, 0.4125, 1e-12);
  const Headline h = headline({a, b, c}, base, false, kSisdr);
  EXPECT_NEAR(h.validation.front, 0.44375, 1e-12);
  EXPECT_NEAR(h.test.front, 0.375, 1e-12);
  EXPECT_NEAR(headline({a, b}, base, false, kSisdr).validation.front, 0.44375, 1e-12);
  // Another reference scales the error axis: at 16 dB, A is (0.625, 0.5), B (0.5625, 0.8).
  const Headline other = headline({a, b}, base, false, Metric{Metric::Kind::sisdr, 16.0});
  EXPECT_NEAR(other.validation.front, 0.375 * 0.55 + 0.0625 * 0.25, 1e-12);
}

TEST(HeadlineQuality, BaselineHypervolumeWithTheBopsAxis) {
  const std::vector<ScoredGenome> base = enhancer_baseline();
  const Headline h = headline({}, base, true, kSisdr);
  std::vector<Objectives> points;
  for (const ScoredGenome& g : base) {
    const double k = static_cast<double>(g.size_bits) / 1000.0;
    points.push_back({1 - g.val_accuracy / 8.0, k, k});
  }
  EXPECT_DOUBLE_EQ(h.validation.baseline, hypervolume(points, {1, 1.05, 1.05}));
  EXPECT_GT(h.validation.baseline, 0.0);
  EXPECT_EQ(h.validation.front, 0.0);
}

}  // namespace
}  // namespace mpgru::report
