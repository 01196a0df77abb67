// STFT analysis and overlap-add: perfect reconstruction, tones in their bins, and band layouts
// whose weights partition every bin.
#include "audio/stft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> noise(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> out(n);
  for (float& v : out) v = normal(rng);
  return out;
}

TEST(Stft, SynthesisOfTheAnalysisIsTheSignal) {
  const Stft stft(StftConfig{});
  for (size_t n : {size_t{1}, size_t{159}, size_t{160}, size_t{1234}, size_t{16000}}) {
    const std::vector<float> x = noise(n, n);
    const Spectrum s = stft.analyze(x);
    EXPECT_EQ(s.size(), static_cast<size_t>(stft.frames(n)) * 161u);
    const std::vector<float> y = stft.synthesize(s, n);
    ASSERT_EQ(y.size(), n);
    for (size_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], x[i], 2e-6) << "n " << n << " at " << i;
  }
  EXPECT_EQ(stft.frames(1600), 11);
  EXPECT_EQ(stft.frames(1601), 12);
}

TEST(Stft, AToneLandsInItsBin) {
  const Stft stft(StftConfig{});
  std::vector<float> x(3200);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(std::sin(2 * kPi * 1000.0 * static_cast<double>(i) / 16000));
  const Spectrum s = stft.analyze(x);
  const size_t frame = 10;  // well inside the signal
  size_t best = 0;
  for (size_t k = 0; k < 161; ++k) {
    if (std::abs(s[frame * 161 + k]) > std::abs(s[frame * 161 + best])) best = k;
  }
  EXPECT_EQ(best, 20u);  // 1000 Hz / (16000 Hz / 320)
}

TEST(Stft, RefusesAHopThatIsNotHalfTheWindow) {
  StftConfig c;
  c.hop = 100;
  EXPECT_THROW(validate(c), std::invalid_argument);
  c = StftConfig{};
  c.window = 321;
  c.hop = 160;
  EXPECT_THROW(validate(c), std::invalid_argument);
}

TEST(BandLayout, WeightsPartitionEveryBin) {
  const BandLayout bands(161, 16000, 24);
  EXPECT_EQ(bands.bands(), 24);
  for (int k = 0; k < 161; ++k) {
    float sum = 0;
    for (int b = 0; b < 24; ++b) {
      EXPECT_GE(bands.weight(b, k), 0.0f);
      sum += bands.weight(b, k);
    }
    EXPECT_NEAR(sum, 1.0f, 1e-6) << "bin " << k;
  }
  EXPECT_EQ(bands.weight(0, 0), 1.0f);
  EXPECT_EQ(bands.weight(23, 160), 1.0f);
  EXPECT_THROW(BandLayout(161, 16000, 1), std::invalid_argument);
  EXPECT_THROW(BandLayout(20, 16000, 19), std::invalid_argument);  // low bands under a bin apart
}

TEST(BandLayout, UnitGainsChangeNothingAndEnergiesAddUp) {
  const Stft stft(StftConfig{});
  const BandLayout bands(stft.bins(), 16000, 24);
  const std::vector<float> x = noise(4000, 9);
  Spectrum s = stft.analyze(x);
  const Spectrum original = s;
  const size_t frames = s.size() / 161;
  const std::vector<float> e = bands.energies(s);
  ASSERT_EQ(e.size(), frames * 24);
  for (size_t t = 0; t < frames; ++t) {  // the weights partition the bins: energies add up
    double total = 0, band_total = 0;
    for (size_t k = 0; k < 161; ++k) total += std::norm(s[t * 161 + k]);
    for (size_t b = 0; b < 24; ++b) band_total += e[t * 24 + b];
    EXPECT_NEAR(band_total, total, 1e-4 * total + 1e-9);
  }
  bands.apply_gains(std::vector<float>(frames * 24, 1.0f), s);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_NEAR(std::abs(s[i] - original[i]), 0.0f, 1e-6);
  bands.apply_gains(std::vector<float>(frames * 24, 0.0f), s);
  for (const auto& v : s) ASSERT_EQ(std::abs(v), 0.0f);
  EXPECT_THROW(bands.apply_gains(std::vector<float>(3, 1.0f), s), std::invalid_argument);
}

// energies and apply_gains sum only each bin's non-zero weights: the same floats, in the same
// order, as the sums over every band of weight(b, k) written out.
TEST(BandLayout, EnergiesAndGainsEqualTheSumsOverEveryWeight) {
  const Stft stft(StftConfig{});
  const BandLayout bands(stft.bins(), 16000, 24);
  const Spectrum s = stft.analyze(noise(4000, 11));
  const size_t frames = s.size() / 161;
  const std::vector<float> e = bands.energies(s);
  const std::vector<float> gains = noise(frames * 24, 12);
  Spectrum shaped = s;
  bands.apply_gains(gains, shaped);
  for (size_t t = 0; t < frames; ++t) {
    std::vector<float> expected(24, 0.0f);
    for (int k = 0; k < 161; ++k) {
      const float power = std::norm(s[t * 161 + static_cast<size_t>(k)]);
      float g = 0.0f;
      for (int b = 0; b < 24; ++b) {
        const float w = bands.weight(b, k);
        if (w > 0.0f) expected[static_cast<size_t>(b)] += w * power;
        g += w * gains[t * 24 + static_cast<size_t>(b)];
      }
      ASSERT_EQ(shaped[t * 161 + static_cast<size_t>(k)], s[t * 161 + static_cast<size_t>(k)] * g)
          << "frame " << t << " bin " << k;
    }
    for (size_t b = 0; b < 24; ++b) ASSERT_EQ(e[t * 24 + b], expected[b]) << "frame " << t;
  }
}

}  // namespace
}  // namespace mpgru::audio
