// Scale-invariant signal-to-distortion ratio (Le Roux et al., 2019), in dB: how much of an
// estimate is the reference (at the best scale) against everything else.
#pragma once

#include <vector>

namespace mpgru::audio {

// 10 log10(|a s|^2 / |a s - e|^2), a = <e, s> / |s|^2, after removing each signal's mean.
// Equal lengths required (std::invalid_argument otherwise, or for a constant reference).
// Computed in double. The distortion energy is floored at 1e-20 of the target's, so an
// estimate equal to a scaled reference gives 200 dB, not infinity.
double si_sdr(const std::vector<float>& estimate, const std::vector<float>& reference);

// The improvement an enhancer brings: si_sdr(enhanced, clean) - si_sdr(noisy, clean).
double si_sdr_improvement(const std::vector<float>& enhanced, const std::vector<float>& noisy,
                          const std::vector<float>& clean);

}  // namespace mpgru::audio
