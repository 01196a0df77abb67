// The headline rule, one plain function of the scored front and baseline: every choice on the
// validation split, the test split only reported. The iso-accuracy genome is the smallest front
// genome whose validation accuracy is at most 0.5 pp below homogeneous 8-bit's (a quality metric:
// its score at most the metric's tolerance below, e.g. 0.3 dB); beside it, its
// test accuracy, the test difference to 8-bit and 95 % intervals. The same rule picks the genome
// with the fewest BOPs. Hypervolumes on validation (what the search optimised) and on test.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "report/intervals.hpp"
#include "report/metric.hpp"
#include "report/scored_genome.hpp"

namespace mpgru::report {

// Iso-accuracy tolerance: 0.5 pp of accuracy (kIsoAccuracyPp in percentage points, for labels).
inline constexpr double kIsoAccuracyTolerance = 0.005;
inline constexpr double kIsoAccuracyPp = 100 * kIsoAccuracyTolerance;

// Whether `candidate`'s validation accuracy is at most kIsoAccuracyTolerance below `eight`'s.
// With both sequence counts recorded (and equal) it is decided in whole sequences, so exactly
// 0.5 pp counts; otherwise on the accuracies, with 1e-12 of slack for rounding. A quality metric:
// the validation score at most metric.tolerance() below 8-bit's (1e-12 of slack).
bool within_tolerance(const ScoredGenome& candidate, const ScoredGenome& eight,
                      const Metric& metric = {});

// A genome picked by the rule, with its figures.
struct Pick {
  const ScoredGenome* genome = nullptr;
  double size_reduction = 0;  // 1 - size / size_8
  double bops_reduction = 0;  // 1 - bops / bops_8
  // Accuracy: Wilson 95 %, {0, 0} if the count is not recorded. Quality: mean +- 1.96 standard
  // errors over clips.
  Interval val_interval, test_interval;
  double test_difference = 0;         // test score - 8-bit's test score
  bool paired = false;                // the paired figures below are known
  Interval test_difference_interval;  // Newcombe's paired 95 % (quality: per-clip differences)
  double mcnemar_p = 1;               // accuracy: exact McNemar test of equal test accuracy
};

struct Hypervolumes {
  double front = 0, baseline = 0;
};

struct Headline {
  const ScoredGenome* eight = nullptr;  // homogeneous 8-bit: the baseline's largest genome
  std::optional<Pick> size;             // smallest within tolerance (on validation)
  std::optional<Pick> bops;             // fewest BOPs within tolerance (on validation)
  bool bops_axis = false;               // hypervolumes include BOPs / BOPs_8
  Metric metric;                        // what the scores measure
  // 1 - homogeneous 2-bit's size / size_8, when the baseline has it: the most any genome can
  // save (the size counts the weights at their widths and the int32 biases, so every genome is at
  // least 2-bit's size), the ceiling of the size reduction.
  std::optional<double> size_reduction_bound;
  // On (metric.error(score), size / size_8 [, BOPs / BOPs_8]), reference (1, 1.05 [, 1.05]).
  Hypervolumes validation, test;
};

// Applies the rule. Ties in size (or BOPs) go to the higher validation accuracy, then to the
// genome's compact text. The Headline points into `front` and `baseline`, which must outlive
// it. Throws std::invalid_argument if the baseline is empty or 8-bit's size or BOPs is not
// positive.
Headline headline(const std::vector<ScoredGenome>& front, const std::vector<ScoredGenome>& baseline,
                  bool bops_axis, const Metric& metric = {});

}  // namespace mpgru::report
