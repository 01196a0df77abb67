// One genome's final scores, as the search writes them (front.json, front.csv): validation and
// test accuracy of one integer model (after the final fine-tune), its size, footprint and BOPs,
// and how its test predictions pair with homogeneous 8-bit's on the same sequences.
#pragma once

#include <cstdint>

#include "core/genome.hpp"

namespace mpgru::report {

struct ScoredGenome {
  core::Genome genome = core::Genome::homogeneous({}, 8);
  double val_accuracy = 0;
  int64_t val_count = 0;  // sequences scored; 0: not recorded (files of older runs)
  double test_accuracy = 0;
  int64_t test_count = 0;
  int64_t size_bits = 0, footprint_bytes = 0, bops = 0;
  // Test sequences this genome predicts right and homogeneous 8-bit wrong, and the reverse;
  // -1: not recorded.
  int64_t test_only_this = -1, test_only_eight = -1;
};

}  // namespace mpgru::report
