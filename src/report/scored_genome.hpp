// One genome's final scores, as the search writes them (front.json, front.csv): validation and
// test scores of one integer model (after the final fine-tune), its size, footprint and BOPs,
// its predicted instructions per step and flash on each device, and how its test results pair
// with homogeneous 8-bit's on the same sequences. The scores are
// the run's metric (report/metric.hpp): accuracy for classifiers, a mean quality over clips
// (dB or STOI) for per-step models.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/genome.hpp"

namespace mpgru::report {

// A genome's predicted cost on one device (the device cost model, src/device), as the search
// wrote it.
struct DeviceCost {
  std::string target;        // "cortex-m4", "cortex-m55"
  int64_t instructions = 0;  // per time step
  int64_t flash_bytes = 0;   // model + runtime, as linked
};

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
  // Predicted device costs, one per target (every target, whichever objectives were searched);
  // empty in files of older runs.
  std::vector<DeviceCost> device;
};

}  // namespace mpgru::report
