// Feature statistics in double, applied in float.
#include "data/feature_normalisation.hpp"

#include <algorithm>
#include <cmath>

namespace mpgru::data {

FeatureNormalisation feature_statistics(const Sequences& train) {
  const auto f = static_cast<size_t>(train.features);
  std::vector<double> sum(f, 0.0), sum_sq(f, 0.0);
  const size_t frames = train.values.size() / std::max<size_t>(f, 1);
  for (size_t i = 0; i < frames; ++i) {
    for (size_t k = 0; k < f; ++k) {
      const double v = train.values[i * f + k];
      sum[k] += v;
      sum_sq[k] += v * v;
    }
  }
  FeatureNormalisation n;
  for (size_t k = 0; k < f; ++k) {
    const double mean = frames ? sum[k] / static_cast<double>(frames) : 0.0;
    const double var = frames ? sum_sq[k] / static_cast<double>(frames) - mean * mean : 1.0;
    n.mean.push_back(static_cast<float>(mean));
    n.stddev.push_back(static_cast<float>(std::max(std::sqrt(std::max(var, 0.0)), 1e-5)));
  }
  return n;
}

void normalise(Sequences& sequences, const FeatureNormalisation& n) {
  const auto f = static_cast<size_t>(sequences.features);
  for (size_t i = 0; i < sequences.values.size(); ++i) {
    sequences.values[i] = (sequences.values[i] - n.mean[i % f]) / n.stddev[i % f];
  }
}

}  // namespace mpgru::data
