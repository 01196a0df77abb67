// SI-SDR against closed forms: scale invariance, an orthogonal distortion of known energy.
#include "audio/si_sdr.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mpgru::audio {
namespace {

TEST(SiSdr, AnOrthogonalDistortionOfKnownEnergy) {
  const std::vector<float> s = {1, -1, 1, -1};
  const std::vector<float> e = {1.5f, -0.5f, 0.5f, -1.5f};  // s + 0.5 * (1, 1, -1, -1)
  EXPECT_NEAR(si_sdr(e, s), 10 * std::log10(4.0), 1e-9);    // target energy 4, distortion 1
}

TEST(SiSdr, IsScaleAndOffsetInvariantAndCapped) {
  const std::vector<float> s = {0.1f, -0.4f, 0.3f, 0.7f, -0.2f};
  std::vector<float> e;
  for (float v : s) e.push_back(3 * v + 0.25f);
  EXPECT_GT(si_sdr(e, s), 120.0);  // only float rounding of 3 v + 0.25 is left
  EXPECT_NEAR(si_sdr(s, s), 200.0, 1e-6);
}

TEST(SiSdr, MatchesTheSnrOfIndependentNoise) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<float> s(160000), e(160000);
  for (size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)) +
                              0.5 * std::sin(0.0371 * static_cast<double>(i)));
    e[i] = s[i] + static_cast<float>(0.1 * normal(rng));
  }
  // Signal power 0.625, noise power 0.01: 17.96 dB.
  EXPECT_NEAR(si_sdr(e, s), 10 * std::log10(0.625 / 0.01), 0.1);
  EXPECT_NEAR(si_sdr_improvement(s, e, s), 200.0 - si_sdr(e, s), 1e-9);
}

TEST(SiSdr, RefusesMismatchedLengthsAndASilentReference) {
  EXPECT_THROW(si_sdr({1, 2}, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(si_sdr({1, 2}, {0.5f, 0.5f}), std::invalid_argument);
  EXPECT_THROW(si_sdr({}, {}), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::audio
