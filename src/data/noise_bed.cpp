// Noise colours by filtering seeded white Gaussian noise.
#include "data/noise_bed.hpp"

#include <cmath>

#include "audio/wav_file.hpp"
#include "data/synth_random.hpp"

namespace mpgru::data {

double rms(const float* x, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return n == 0 ? 0.0 : std::sqrt(sum / static_cast<double>(n));
}

// White Gaussian noise; pink by Paul Kellett's three-pole filter (at 16 kHz its octave-band
// powers are flat within ~2 dB from 60 Hz to 8 kHz); brown by a leaky integrator (-6 dB/octave
// above ~13 Hz). Each is
// normalised to level_rms and put on the 16-bit grid, so the beds mixed into the clips are
// exactly the files in _background_noise_.
std::vector<float> noise_bed(NoiseColour colour, uint64_t seed, size_t n, double level_rms) {
  const int type = static_cast<int>(colour);
  Rng rng(seed);
  std::vector<double> x(n);
  double b0 = 0, b1 = 0, b2 = 0, brown = 0;
  for (size_t i = 0; i < n; ++i) {
    const double white = rng.normal();
    if (type == 0) {
      x[i] = white;
    } else if (type == 1) {
      b0 = 0.99765 * b0 + white * 0.0990460;
      b1 = 0.96300 * b1 + white * 0.2965164;
      b2 = 0.57000 * b2 + white * 1.0526913;
      x[i] = b0 + b1 + b2 + white * 0.1848;
    } else {
      brown = 0.995 * brown + white;
      x[i] = brown;
    }
  }
  double mean = 0, power = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n);
  for (double v : x) power += (v - mean) * (v - mean);
  const double gain = level_rms / std::sqrt(power / static_cast<double>(n));
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>((x[i] - mean) * gain);
  const std::vector<int16_t> pcm = audio::to_pcm16(out);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(pcm[i]) / 32768.0f;
  return out;
}

}  // namespace mpgru::data
