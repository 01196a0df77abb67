// Resampling with libsamplerate: frequency, amplitude, phase and length kept; deterministic.
#include "audio/resample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <tuple>

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> sine(double hz, double amplitude, int rate, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(amplitude * std::sin(2 * kPi * hz * static_cast<double>(i) / rate));
  }
  return out;
}

// Amplitude and phase of the `hz` component of x[first, last) by correlation with sin and cos.
struct Tone {
  double amplitude, phase;
};
Tone tone_at(const std::vector<float>& x, double hz, int rate, size_t first, size_t last) {
  double s = 0, c = 0;
  for (size_t i = first; i < last; ++i) {
    const double w = 2 * kPi * hz * static_cast<double>(i) / rate;
    s += x[i] * std::sin(w);
    c += x[i] * std::cos(w);
  }
  const double n = static_cast<double>(last - first);
  return {2 * std::hypot(s, c) / n, std::atan2(c, s)};
}

double rms(const std::vector<float>& x, size_t first, size_t last) {
  double sum = 0;
  for (size_t i = first; i < last; ++i) sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum / static_cast<double>(last - first));
}

using RateCase = std::tuple<int, int, ResampleQuality>;
class ResampleRates : public ::testing::TestWithParam<RateCase> {};

// A 1 kHz sine keeps its frequency, amplitude and phase; away from the edges nothing else is
// left (the residual after removing the tone is tiny); the length scales by the ratio.
TEST_P(ResampleRates, SineKeepsFrequencyAndAmplitude) {
  const auto [from, to, quality] = GetParam();
  const std::vector<float> in = sine(1000.0, 0.5, from, static_cast<size_t>(from));  // 1 s
  const std::vector<float> out = resample(in, from, to, quality);
  ASSERT_EQ(out.size(), static_cast<size_t>(to));
  const size_t edge = static_cast<size_t>(to) / 20;  // skip the filter's start-up and flush
  const Tone t = tone_at(out, 1000.0, to, edge, out.size() - edge);
  EXPECT_NEAR(t.amplitude, 0.5, 0.005);
  EXPECT_NEAR(t.phase, 0.0, 0.01);
  std::vector<float> residual(out.size());
  const std::vector<float> ideal = sine(1000.0, 0.5, to, out.size());
  for (size_t i = 0; i < out.size(); ++i) residual[i] = out[i] - ideal[i];
  EXPECT_LT(rms(residual, edge, out.size() - edge), 0.005);
}

INSTANTIATE_TEST_SUITE_P(Rates, ResampleRates,
                         ::testing::Values(RateCase{22050, 16000, ResampleQuality::medium},
                                           RateCase{22050, 16000, ResampleQuality::best},
                                           RateCase{22050, 16000, ResampleQuality::fastest},
                                           RateCase{16000, 22050, ResampleQuality::medium},
                                           RateCase{48000, 16000, ResampleQuality::medium},
                                           RateCase{8000, 16000, ResampleQuality::medium}));

TEST(Resample, LengthScalesByTheRatio) {
  const struct {
    size_t in;
    int from, to;
    size_t out;
  } cases[] = {
      {22050, 22050, 16000, 16000},  // exact
      {22051, 22050, 16000, 16001},  // 16000.73 rounds up
      {100, 22050, 16000, 73},       // 72.56
      {1000, 16000, 8000, 500},     {1000, 8000, 16000, 2000}, {1, 22050, 16000, 1},  // 0.73
      {0, 22050, 16000, 0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(resample(std::vector<float>(c.in, 0.25f), c.from, c.to).size(), c.out)
        << c.in << " samples " << c.from << " -> " << c.to;
  }
}

TEST(Resample, SameRateIsIdentity) {
  const std::vector<float> in = sine(440.0, 0.3, 16000, 1234);
  EXPECT_EQ(resample(in, 16000, 16000), in);
}

TEST(Resample, DeterministicBits) {
  const std::vector<float> in = sine(3000.0, 0.7, 22050, 20000);
  const std::vector<float> a = resample(in, 22050, 16000);
  const std::vector<float> b = resample(in, 22050, 16000);
  EXPECT_EQ(a, b);
}

TEST(Resample, RejectsBadRates) {
  const std::vector<float> in(10, 0.0f);
  EXPECT_THROW(resample(in, 0, 16000), std::invalid_argument);
  EXPECT_THROW(resample(in, 16000, -1), std::invalid_argument);
  EXPECT_THROW(resample(in, 16000, 16000 * 300), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::audio
