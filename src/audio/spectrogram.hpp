// Log-power spectrograms for figures: the audio::Stft frames of a signal in decibels.
//
// db = 10 log10(|X|^2 + 1e-10) of the unnormalised FFT X of each frame (Stft::analyze), so the
// floor is -100 dB: silence gives exactly the floor, and a full-scale sine centred on a bin of a
// 320-sample window peaks near +40 dB (|X| = sum of the sqrt-Hann window / 2, about 102).
// Frame t is centred on sample t * hop of the signal (Stft pads hop zeros in front and uses
// window = 2 hop), bin k on k * sample_rate / window Hz.
#pragma once

#include <vector>

#include "audio/stft.hpp"

namespace mpgru::audio {

// Added to |X|^2 before the logarithm: 1e-10 is -100 dB.
constexpr double kSpectrogramFloorPower = 1e-10;
constexpr double kSpectrogramFloorDb = -100.0;

struct Spectrogram {
  int frames = 0, bins = 0;  // Stft::frames(samples.size()), Stft::bins()
  double hop_seconds = 0;    // hop / sample_rate: time between frame centres
  double max_hz = 0;         // sample_rate / 2: the frequency of the last bin
  std::vector<float> db;     // frames x bins, row-major by frame, 10 log10(|X|^2 + 1e-10)
};

// Thread-safe (Stft::analyze is).
Spectrogram log_spectrogram(const Stft& stft, const std::vector<float>& samples);

}  // namespace mpgru::audio
