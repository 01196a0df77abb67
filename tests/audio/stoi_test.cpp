// STOI on signals with known answers: identical speech-like signals, unrelated noise, and a
// score that rises with the SNR.
#include "audio/stoi.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Speech-like: noise shaped by syllable-rate (4 Hz) envelopes in two bands, with pauses.
std::vector<float> speech_like(size_t n, int rate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<float> out(n);
  double low = 0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double envelope = std::max(0.0, std::sin(2 * kPi * 4 * t)) * (std::fmod(t, 1.0) < 0.8);
    const double white = normal(rng);
    low = 0.95 * low + 0.05 * white;
    out[i] = static_cast<float>(envelope * (3 * low + 0.3 * white * std::sin(2 * kPi * 2.3 * t)));
  }
  return out;
}

std::vector<float> with_noise(const std::vector<float>& clean, double snr_db, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  double power = 0;
  for (float v : clean) power += static_cast<double>(v) * v;
  power /= static_cast<double>(clean.size());
  const double sigma = std::sqrt(power / std::pow(10.0, snr_db / 10));
  std::vector<float> out(clean.size());
  for (size_t i = 0; i < clean.size(); ++i) {
    out[i] = static_cast<float>(clean[i] + sigma * normal(rng));
  }
  return out;
}

TEST(Stoi, IdenticalSignalsScoreOne) {
  const std::vector<float> x = speech_like(48000, 16000, 1);
  EXPECT_NEAR(stoi(x, x, 16000), 1.0, 1e-6);
  const std::vector<float> y = speech_like(30000, 10000, 2);  // native 10 kHz, no resampling
  EXPECT_NEAR(stoi(y, y, 10000), 1.0, 1e-6);
}

// Noise alone is not 0: the clipping at -15 dB SDR bounds each processed envelope by the clean
// one, which leaves a small positive correlation (about 0.3 here).
TEST(Stoi, UnrelatedSignalsScoreLow) {
  const std::vector<float> x = speech_like(48000, 16000, 1);
  const std::vector<float> other = speech_like(48000, 16000, 7);
  std::vector<float> shifted(x.size());  // another "utterance": other noise, shifted rhythm
  for (size_t i = 0; i < x.size(); ++i) shifted[i] = other[(i + 2000) % other.size()];
  std::vector<float> white(x.size());
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  for (float& v : white) v = normal(rng);
  const double noise_only = stoi(x, white, 16000);
  EXPECT_LT(noise_only, 0.4);
  EXPECT_LT(stoi(x, shifted, 16000), 0.5);
  EXPECT_LT(noise_only, stoi(x, with_noise(x, 0.0, 3), 16000) - 0.2);
}

TEST(Stoi, RisesWithTheSnr) {
  const std::vector<float> x = speech_like(48000, 16000, 4);
  double previous = -1;
  for (double snr : {-10.0, -5.0, 0.0, 5.0, 10.0, 20.0}) {
    const double d = stoi(x, with_noise(x, snr, 5), 16000);
    EXPECT_GT(d, previous) << "SNR " << snr;
    previous = d;
  }
  EXPECT_GT(previous, 0.9);
}

TEST(Stoi, RefusesMismatchedOrTooShortSignals) {
  const std::vector<float> x = speech_like(48000, 16000, 1);
  EXPECT_THROW(stoi(x, std::vector<float>(100), 16000), std::invalid_argument);
  const std::vector<float> short_clip(3000, 0.1f);  // 0.19 s: fewer than 30 frames
  EXPECT_THROW(stoi(short_clip, short_clip, 16000), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::audio
