// The log-mel / MFCC front end against a direct double-precision DFT + filterbank, known tones,
// silence, padding/trimming, shapes, the DCT-II formula, rejected configs and thread safety.
#include "audio/log_mel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;
const double kSilence = std::log(1e-6);

std::vector<float> random_clip(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> clip(n);
  for (float& x : clip) x = uniform(rng);
  return clip;
}

std::vector<float> sine(const LogMelConfig& c, double hz, double amplitude) {
  std::vector<float> clip(c.clip_samples);
  for (int i = 0; i < c.clip_samples; ++i) {
    clip[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * hz * i / c.sample_rate + 0.3));
  }
  return clip;
}

double mel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}
double hz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

// Frequency of mel edge i of bands + 2 (edge m + 1 is the centre of band m).
double edge_hz(const LogMelConfig& c, int i) {
  return hz(mel(c.low_hz) + i * (mel(c.high_hz) - mel(c.low_hz)) / (c.bands + 1));
}

// Dense bands x bins triangular filterbank, peak 1, linear in Hz between mel-spaced edges.
std::vector<std::vector<double>> filterbank(const LogMelConfig& c) {
  const int bins = c.fft_size / 2 + 1;
  std::vector<std::vector<double>> bank(c.bands, std::vector<double>(bins, 0.0));
  for (int m = 0; m < c.bands; ++m) {
    const double lo = edge_hz(c, m), centre = edge_hz(c, m + 1), hi = edge_hz(c, m + 2);
    for (int k = 0; k < bins; ++k) {
      const double f = k * static_cast<double>(c.sample_rate) / c.fft_size;
      if (f > lo && f <= centre) bank[m][k] = (f - lo) / (centre - lo);
      if (f > centre && f < hi) bank[m][k] = (hi - f) / (hi - centre);
    }
  }
  return bank;
}

// Reference front end: periodic Hann, O(N^2) DFT in double, dense filterbank; band energies
// (before the log) of every frame, row-major.
std::vector<double> reference_energies(const LogMelConfig& c, const std::vector<float>& samples) {
  const auto bank = filterbank(c);
  const int frames = 1 + (c.clip_samples - c.window) / c.hop;
  std::vector<double> energies;
  for (int t = 0; t < frames; ++t) {
    std::vector<double> x(c.fft_size, 0.0);
    for (int n = 0; n < c.window; ++n) {
      const size_t at = static_cast<size_t>(t) * c.hop + n;
      const double sample = at < samples.size() ? samples[at] : 0.0;
      x[n] = sample * (0.5 - 0.5 * std::cos(2.0 * kPi * n / c.window));
    }
    std::vector<double> power(c.fft_size / 2 + 1);
    for (size_t k = 0; k < power.size(); ++k) {
      double re = 0.0, im = 0.0;
      for (int n = 0; n < c.fft_size; ++n) {
        const double phase = 2.0 * kPi * static_cast<double>(k) * n / c.fft_size;
        re += x[n] * std::cos(phase);
        im -= x[n] * std::sin(phase);
      }
      power[k] = re * re + im * im;
    }
    for (int m = 0; m < c.bands; ++m) {
      double e = 0.0;
      for (size_t k = 0; k < power.size(); ++k) e += bank[m][k] * power[k];
      energies.push_back(e);
    }
  }
  return energies;
}

LogMelConfig small_config(int sample_rate, int clip, int window, int hop, int fft, int bands,
                          double lo, double hi) {
  LogMelConfig c;
  c.sample_rate = sample_rate;
  c.clip_samples = clip;
  c.window = window;
  c.hop = hop;
  c.fft_size = fft;
  c.bands = bands;
  c.low_hz = lo;
  c.high_hz = hi;
  return c;
}

TEST(LogMel, BandEnergiesMatchDirectDft) {
  const std::vector<LogMelConfig> configs = {
      small_config(8000, 200, 50, 30, 64, 6, 0.0, 4000.0),
      small_config(8000, 256, 64, 64, 64, 5, 200.0, 3000.0),
      small_config(16000, 400, 100, 75, 128, 12, 300.0, 8000.0),
  };
  unsigned seed = 1;
  for (const auto& c : configs) {
    SCOPED_TRACE(c.canonical());
    const LogMel front(c);
    // Shorter than the clip so padding is part of what is checked.
    const auto samples = random_clip(static_cast<size_t>(c.clip_samples) - 7, seed++);
    const auto got = front.compute(samples);
    const auto want = reference_energies(c, samples);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(i);
      // Every band sees real energy, so the comparison is not between two floors.
      ASSERT_GT(want[i], 1e-2);
      EXPECT_NEAR(got[i], std::log(want[i] + 1e-6), 1e-4);
    }
  }
}

TEST(LogMel, ToneLandsInTheBandCentredNearest) {
  const LogMelConfig c;
  const LogMel front(c);
  for (double tone : {440.0, 1000.0, 3000.0, 5000.0}) {
    SCOPED_TRACE(tone);
    int nearest = 0;
    for (int m = 1; m < c.bands; ++m) {
      if (std::abs(edge_hz(c, m + 1) - tone) < std::abs(edge_hz(c, nearest + 1) - tone)) {
        nearest = m;
      }
    }
    const auto out = front.compute(sine(c, tone, 0.5));
    for (int t = 0; t < front.frames(); ++t) {
      const float* row = out.data() + static_cast<size_t>(t) * c.bands;
      const auto peak = std::max_element(row, row + c.bands);
      ASSERT_EQ(peak - row, nearest) << "frame " << t;
      std::vector<float> sorted(row, row + c.bands);
      std::nth_element(sorted.begin(), sorted.begin() + c.bands / 2, sorted.end());
      EXPECT_GT(*peak - sorted[c.bands / 2], 10.0f) << "frame " << t;  // > 40 dB over median
    }
  }
}

TEST(LogMel, SilenceIsTheLogFloor) {
  LogMelConfig c;
  for (int mfcc : {0, 13}) {
    c.mfcc = mfcc;
    SCOPED_TRACE(c.canonical());
    const LogMel front(c);
    for (size_t n : {size_t{0}, size_t{100}, static_cast<size_t>(c.clip_samples)}) {
      const auto out = front.compute(std::vector<float>(n, 0.0f));
      ASSERT_EQ(out.size(), static_cast<size_t>(front.frames() * front.features()));
      for (size_t i = 0; i < out.size(); ++i) {
        const int j = static_cast<int>(i % front.features());
        // Log-mel: log(1e-6) everywhere; MFCC of a constant vector: c0 = sqrt(bands) log(1e-6).
        const double want = mfcc == 0 ? kSilence : (j == 0 ? std::sqrt(c.bands) * kSilence : 0.0);
        ASSERT_NEAR(out[i], want, 1e-5) << "n " << n << " at " << i;
      }
    }
  }
}

TEST(LogMel, ShortClipsArePaddedLongOnesTrimmed) {
  const LogMelConfig c;
  const LogMel front(c);
  const auto half = random_clip(static_cast<size_t>(c.clip_samples) / 2, 7);
  auto padded = half;
  padded.resize(c.clip_samples, 0.0f);
  EXPECT_EQ(front.compute(half), front.compute(padded));

  const auto longer = random_clip(static_cast<size_t>(c.clip_samples) * 3 / 2, 8);
  const std::vector<float> trimmed(longer.begin(), longer.begin() + c.clip_samples);
  EXPECT_EQ(front.compute(longer), front.compute(trimmed));
  // The pointer overload reads only the first n samples.
  std::vector<float> out(static_cast<size_t>(front.frames()) * front.features());
  front.compute(longer.data(), half.size(), out.data());
  const std::vector<float> prefix(longer.begin(), longer.begin() + half.size());
  EXPECT_EQ(out, front.compute(prefix));
}

TEST(LogMel, FramesAndFeatures) {
  struct Case {
    int clip, window, hop, mfcc, frames, features;
  };
  const Case cases[] = {
      {16000, 480, 320, 0, 49, 40},  // defaults: 1 + 15520 / 320
      {16000, 480, 320, 13, 49, 13},
      {16000, 400, 160, 10, 98, 10},  // 25 ms / 10 ms
      {480, 480, 320, 0, 1, 40},      // one frame exactly
  };
  for (const auto& k : cases) {
    LogMelConfig c;
    c.clip_samples = k.clip;
    c.window = k.window;
    c.hop = k.hop;
    c.mfcc = k.mfcc;
    SCOPED_TRACE(c.canonical());
    const LogMel front(c);
    EXPECT_EQ(front.frames(), k.frames);
    EXPECT_EQ(front.features(), k.features);
    EXPECT_EQ(front.compute(random_clip(100, 3)).size(),
              static_cast<size_t>(k.frames) * k.features);
  }
}

TEST(LogMel, MfccIsOrthonormalDctOfLogMel) {
  LogMelConfig c;
  const LogMel log_mel(c);
  const auto samples = random_clip(static_cast<size_t>(c.clip_samples), 11);
  const auto x = log_mel.compute(samples);
  const int bands = c.bands;
  for (int mfcc : {1, 13, bands}) {
    c.mfcc = mfcc;
    SCOPED_TRACE(c.canonical());
    const LogMel front(c);
    const auto y = front.compute(samples);
    ASSERT_EQ(y.size(), static_cast<size_t>(front.frames()) * mfcc);
    for (int t = 0; t < front.frames(); ++t) {
      const float* in = x.data() + static_cast<size_t>(t) * bands;
      double energy_in = 0.0, energy_out = 0.0;
      for (int m = 0; m < bands; ++m) energy_in += double{in[m]} * in[m];
      for (int j = 0; j < mfcc; ++j) {
        double sum = 0.0;
        for (int m = 0; m < bands; ++m) sum += in[m] * std::cos(kPi * j * (m + 0.5) / bands);
        const double want = sum * std::sqrt((j == 0 ? 1.0 : 2.0) / bands);
        const float got = y[static_cast<size_t>(t) * mfcc + j];
        ASSERT_NEAR(got, want, 1e-4 * (1.0 + std::abs(want))) << "frame " << t << " c" << j;
        energy_out += double{got} * got;
      }
      // Orthonormal: with every coefficient kept, the transform preserves the norm (Parseval).
      if (mfcc == bands) {
        EXPECT_NEAR(energy_out, energy_in, 1e-5 * energy_in);
      }
    }
  }
}

TEST(LogMel, ValidateNamesTheBadField) {
  struct Case {
    std::string field;
    std::function<void(LogMelConfig&)> spoil;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<Case> cases = {
      {"sample_rate", [](LogMelConfig& c) { c.sample_rate = 0; }},
      {"sample_rate", [](LogMelConfig& c) { c.sample_rate = -16000; }},
      {"clip_samples", [](LogMelConfig& c) { c.clip_samples = 0; }},
      {"window", [](LogMelConfig& c) { c.window = 0; }},
      {"window", [](LogMelConfig& c) { c.window = c.clip_samples + 1; }},
      {"hop", [](LogMelConfig& c) { c.hop = 0; }},
      {"hop", [](LogMelConfig& c) { c.hop = -1; }},
      {"fft_size", [](LogMelConfig& c) { c.fft_size = 500; }},  // not a power of two
      {"fft_size", [](LogMelConfig& c) { c.fft_size = 256; }},  // < window
      {"fft_size", [](LogMelConfig& c) { c.fft_size = 0; }},
      {"bands", [](LogMelConfig& c) { c.bands = 0; }},
      {"low_hz", [](LogMelConfig& c) { c.low_hz = -1.0; }},
      {"low_hz", [](LogMelConfig& c) { c.low_hz = c.high_hz; }},
      {"low_hz", [nan](LogMelConfig& c) { c.low_hz = nan; }},
      {"high_hz", [](LogMelConfig& c) { c.high_hz = 8000.5; }},
      {"high_hz", [nan](LogMelConfig& c) { c.high_hz = nan; }},
      {"mfcc", [](LogMelConfig& c) { c.mfcc = -1; }},
      {"mfcc", [](LogMelConfig& c) { c.mfcc = c.bands + 1; }},
  };
  for (const auto& k : cases) {
    LogMelConfig c;
    k.spoil(c);
    SCOPED_TRACE(c.canonical());
    const std::string prefix = "LogMelConfig." + k.field + " = ";
    try {
      validate(c);
      ADD_FAILURE() << "accepted; expected a complaint about " << k.field;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
    EXPECT_THROW(LogMel{c}, std::invalid_argument);
  }
}

TEST(LogMel, ValidateAcceptsTheBoundaries) {
  const std::vector<std::function<void(LogMelConfig&)>> edges = {
      [](LogMelConfig& c) { c.window = c.clip_samples = 512; },
      [](LogMelConfig& c) { c.fft_size = c.window = 512; },
      [](LogMelConfig& c) { c.high_hz = c.sample_rate / 2.0; },
      [](LogMelConfig& c) { c.low_hz = 0.0; },
      [](LogMelConfig& c) { c.mfcc = c.bands; },
      [](LogMelConfig& c) { c.bands = 1; },
  };
  for (const auto& edge : edges) {
    LogMelConfig c;
    edge(c);
    SCOPED_TRACE(c.canonical());
    EXPECT_NO_THROW(validate(c));
  }
}

TEST(LogMel, CanonicalListsEveryField) {
  const LogMelConfig base;
  EXPECT_EQ(base.canonical(),
            "logmel;sr=16000;clip=16000;win=480;hop=320;fft=512;bands=40;lo=20;hi=7600;mfcc=0");
  const std::vector<std::function<void(LogMelConfig&)>> changes = {
      [](LogMelConfig& c) { c.sample_rate = 8000; }, [](LogMelConfig& c) { c.clip_samples = 8000; },
      [](LogMelConfig& c) { c.window = 400; },       [](LogMelConfig& c) { c.hop = 160; },
      [](LogMelConfig& c) { c.fft_size = 1024; },    [](LogMelConfig& c) { c.bands = 64; },
      [](LogMelConfig& c) { c.low_hz = 20.1; },      [](LogMelConfig& c) { c.high_hz = 7600.25; },
      [](LogMelConfig& c) { c.mfcc = 13; },
  };
  std::set<std::string> seen = {base.canonical()};
  for (const auto& change : changes) {
    LogMelConfig c;
    change(c);
    EXPECT_TRUE(seen.insert(c.canonical()).second) << c.canonical();
  }
  LogMelConfig fractional;
  fractional.low_hz = 0.1;
  EXPECT_NE(fractional.canonical().find(";lo=0.1;"), std::string::npos) << fractional.canonical();
}

TEST(LogMel, ConcurrentComputeIsIdenticalToSerial) {
  LogMelConfig c;
  c.mfcc = 13;
  const LogMel shared(c);
  std::vector<std::vector<float>> clips;
  for (unsigned s = 0; s < 6; ++s) clips.push_back(random_clip(c.clip_samples - 500 * s, 100 + s));
  std::vector<std::vector<float>> serial;
  for (const auto& clip : clips) serial.push_back(shared.compute(clip));

  constexpr int kThreads = 2, kRounds = 40;
  std::vector<std::vector<std::vector<float>>> results(kThreads);
  std::vector<std::vector<std::vector<float>>> own(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      const LogMel mine(c);  // planner calls from two threads at once must be safe as well
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      for (int r = 0; r < kRounds; ++r) {
        for (size_t i = 0; i < clips.size(); ++i) {
          // The two threads walk the clips in opposite orders.
          const size_t at = w == 0 ? i : clips.size() - 1 - i;
          results[w].push_back(shared.compute(clips[at]));
          if (r == 0) own[w].push_back(mine.compute(clips[at]));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int w = 0; w < kThreads; ++w) {
    for (size_t n = 0; n < results[w].size(); ++n) {
      const size_t i = n % clips.size();
      const size_t at = w == 0 ? i : clips.size() - 1 - i;
      ASSERT_EQ(results[w][n], serial[at]) << "thread " << w << " result " << n;
      if (n < clips.size()) {
        ASSERT_EQ(own[w][n], serial[at]) << "thread " << w << " own " << n;
      }
    }
  }
}

}  // namespace
}  // namespace mpgru::audio
