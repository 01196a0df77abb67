// One genome's final scores, as the search writes them (front.json, front.csv): validation and
// test scores of one integer model (after the final fine-tune), its size, footprint and BOPs,
// and how its test results pair with homogeneous 8-bit's on the same sequences. The scores are
// the run's metric (report/metric.hpp): accuracy for classifiers, a mean quality over clips
// (dB or STOI) for per-step models.
#pragma once

#include <cstdint>

#include "core/genome.hpp"

namespace mpgru::report {

struct ScoredGenome {
  core::Genome genome = core::Genome::homogeneous({}, 8);
  double val_accuracy = 0;  // the metric's score (accuracy, or mean quality)
  int64_t val_count = 0;    // sequences scored; 0: not recorded (files of older runs)
  double test_accuracy = 0;
  int64_t test_count = 0;
  int64_t size_bits = 0, footprint_bytes = 0, bops = 0;
  // Test sequences this genome predicts right and homogeneous 8-bit wrong, and the reverse;
  // -1: not recorded.
  int64_t test_only_this = -1, test_only_eight = -1;
  // Quality metrics: half-widths of the 95 % intervals of the mean over clips (1.96 standard
  // errors) of the validation and test scores and of the paired per-clip test difference to
  // homogeneous 8-bit; -1: not recorded (accuracy runs).
  double val_ci95 = -1, test_ci95 = -1, test_difference_ci95 = -1;
};

}  // namespace mpgru::report
