// Per-feature standardisation of audio features with statistics of the training split (kws, se).
#pragma once

#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

// Per-feature normalisation: (x - mean[f]) / stddev[f], statistics over every frame of the
// training split. Deployment needs them with the model: the front end's input to the GRU.
struct FeatureNormalisation {
  std::vector<float> mean, stddev;
};

// Mean and standard deviation (population; floored at 1e-5) of every feature over all frames.
FeatureNormalisation feature_statistics(const Sequences& train);
// Applies (x - mean) / stddev in place.
void normalise(Sequences& sequences, const FeatureNormalisation& normalisation);

}  // namespace mpgru::data
