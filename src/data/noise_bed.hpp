// Coloured noise for the synthetic data sets: white, pink and brown, seeded, normalised to an
// RMS level and put on the 16-bit grid (what is mixed is exactly what a WAV of it holds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mpgru::data {

enum class NoiseColour { white = 0, pink = 1, brown = 2 };

// Root mean square of n samples (0 for none).
double rms(const float* x, size_t n);

// n samples of noise of `colour` at `level_rms`, a pure function of the seed.
std::vector<float> noise_bed(NoiseColour colour, uint64_t seed, size_t n, double level_rms);

}  // namespace mpgru::data
