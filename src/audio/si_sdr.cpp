// SI-SDR in double precision.
#include "audio/si_sdr.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mpgru::audio {
namespace {

double mean(const std::vector<float>& x) {
  double sum = 0;
  for (float v : x) sum += v;
  return x.empty() ? 0.0 : sum / static_cast<double>(x.size());
}

}  // namespace

double si_sdr(const std::vector<float>& estimate, const std::vector<float>& reference) {
  if (estimate.size() != reference.size() || reference.empty()) {
    throw std::invalid_argument("si_sdr: estimate of " + std::to_string(estimate.size()) +
                                " samples, reference of " + std::to_string(reference.size()) +
                                ": expected equal, non-zero lengths");
  }
  const double me = mean(estimate);
  const double mr = mean(reference);
  double dot = 0, ref_energy = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double r = reference[i] - mr;
    dot += (estimate[i] - me) * r;
    ref_energy += r * r;
  }
  if (ref_energy <= 0) throw std::invalid_argument("si_sdr: the reference is silent (constant)");
  const double a = dot / ref_energy;
  double target = 0, distortion = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double t = a * (reference[i] - mr);
    const double d = (estimate[i] - me) - t;
    target += t * t;
    distortion += d * d;
  }
  return 10.0 *
         std::log10(std::max(target, 1e-300) / std::max(distortion, 1e-20 * target + 1e-300));
}

double si_sdr_improvement(const std::vector<float>& enhanced, const std::vector<float>& noisy,
                          const std::vector<float>& clean) {
  return si_sdr(enhanced, clean) - si_sdr(noisy, clean);
}

}  // namespace mpgru::audio
