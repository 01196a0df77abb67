// Log spectrograms: a tone peaks in its bin at the level the window predicts, silence is the
// floor, and the layout (frames, bins, hop, top frequency) is the STFT's.
#include "audio/spectrogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace mpgru::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> sine(double hz, int sample_rate, size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(std::sin(2 * kPi * hz * static_cast<double>(i) / sample_rate));
  }
  return x;
}

TEST(Spectrogram, ASineAt1kHzPeaksInBin20OfEveryInteriorFrame) {
  const Stft stft(StftConfig{});  // 16 kHz, window 320: 50 Hz per bin
  const size_t n = 3200;
  const Spectrogram s = log_spectrogram(stft, sine(1000.0, 16000, n));
  ASSERT_EQ(s.frames, 21);
  // A full-scale sine centred on a bin: |X| = sum of the sqrt-Hann window / 2 = cot(pi / 640) / 2.
  const double expected_db = 20.0 * std::log10(0.5 / std::tan(kPi / 640.0));  // 40.16 dB
  int interior = 0;
  for (int t = 0; t < s.frames; ++t) {
    // Frame t reads signal samples [(t - 1) * hop, (t - 1) * hop + window): interior if all exist.
    if (t < 1 || (t - 1) * 160 + 320 > static_cast<int>(n)) continue;
    ++interior;
    const auto row = s.db.begin() + static_cast<std::ptrdiff_t>(t) * s.bins;
    const auto peak = std::max_element(row, row + s.bins);
    EXPECT_EQ(peak - row, 20) << "frame " << t;  // 1000 Hz / 50 Hz
    EXPECT_NEAR(*peak, expected_db, 0.1) << "frame " << t;
  }
  EXPECT_EQ(interior, 19);
}

TEST(Spectrogram, SilenceIsTheFloor) {
  const Stft stft(StftConfig{});
  const Spectrogram s = log_spectrogram(stft, std::vector<float>(1000, 0.0f));
  ASSERT_EQ(s.db.size(), static_cast<size_t>(s.frames) * static_cast<size_t>(s.bins));
  EXPECT_EQ(kSpectrogramFloorDb, -100.0);
  for (float v : s.db) ASSERT_FLOAT_EQ(v, -100.0f);
}

struct Layout {
  int sample_rate, window;
  size_t samples;
};

TEST(Spectrogram, LayoutIsTheStfts) {
  for (const Layout& l : {Layout{16000, 320, 40000}, Layout{16000, 320, 1}, Layout{8000, 64, 999},
                          Layout{48000, 960, 4800}}) {
    StftConfig c;
    c.sample_rate = l.sample_rate;
    c.window = l.window;
    c.hop = l.window / 2;
    const Stft stft(c);
    const Spectrogram s = log_spectrogram(stft, sine(440.0, l.sample_rate, l.samples));
    EXPECT_EQ(s.frames, stft.frames(l.samples)) << l.samples;
    EXPECT_EQ(s.bins, stft.bins());
    EXPECT_EQ(s.bins, l.window / 2 + 1);
    EXPECT_EQ(s.db.size(), static_cast<size_t>(s.frames) * static_cast<size_t>(s.bins));
    EXPECT_DOUBLE_EQ(s.hop_seconds, static_cast<double>(c.hop) / l.sample_rate);
    EXPECT_DOUBLE_EQ(s.max_hz, l.sample_rate / 2.0);
  }
  // A 2.5 s clip at 16 kHz and a 10 ms hop: the figure size the report plots.
  const Spectrogram clip = log_spectrogram(Stft(StftConfig{}), std::vector<float>(40000, 0.0f));
  EXPECT_EQ(clip.frames, 251);
  EXPECT_EQ(clip.bins, 161);
  EXPECT_DOUBLE_EQ(clip.hop_seconds, 0.01);
}

}  // namespace
}  // namespace mpgru::audio
