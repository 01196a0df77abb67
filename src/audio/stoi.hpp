// Short-time objective intelligibility (Taal, Hendriks, Heusdens, Jensen, "An algorithm for
// intelligibility prediction of time-frequency weighted noisy speech", IEEE TASLP 19(7), 2011),
// with the constants and conventions of the authors' reference implementation: 10 kHz, 256-sample
// frames (symmetric Hann, 50 % overlap, 512-point FFT), frames more than 40 dB below the loudest
// clean frame removed from both signals, 15 one-third octave bands from 150 Hz, 30-frame
// (384 ms) segments, each band of the processed segment scaled to the clean one's energy and
// clipped at a signal-to-distortion ratio of -15 dB, the correlation of band envelopes averaged.
#pragma once

#include <vector>

namespace mpgru::audio {

// STOI of `processed` against `clean` (same length, same `sample_rate`; resampled to 10 kHz
// when needed): about 1 for identical signals, about 0 for unrelated ones, rising with the SNR
// in between. Throws std::invalid_argument if the lengths differ or too little speech is left
// for one 30-frame segment (under ~0.4 s after silence removal).
double stoi(const std::vector<float>& clean, const std::vector<float>& processed, int sample_rate);

}  // namespace mpgru::audio
