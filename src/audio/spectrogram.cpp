// Log-power spectrogram: the STFT's power per bin in decibels above a fixed floor.
#include "audio/spectrogram.hpp"

#include <cmath>
#include <complex>

namespace mpgru::audio {

Spectrogram log_spectrogram(const Stft& stft, const std::vector<float>& samples) {
  const StftConfig& config = stft.config();
  Spectrogram out;
  out.frames = stft.frames(samples.size());
  out.bins = stft.bins();
  out.hop_seconds = static_cast<double>(config.hop) / config.sample_rate;
  out.max_hz = config.sample_rate / 2.0;
  const Spectrum spectrum = stft.analyze(samples);
  out.db.reserve(spectrum.size());
  for (const std::complex<float>& x : spectrum) {
    const double power = static_cast<double>(std::norm(x));
    out.db.push_back(static_cast<float>(10.0 * std::log10(power + kSpectrogramFloorPower)));
  }
  return out;
}

}  // namespace mpgru::audio
