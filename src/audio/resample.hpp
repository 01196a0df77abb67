// Sample-rate conversion of mono clips with libsamplerate (band-limited sinc interpolation).
#pragma once

#include <vector>

namespace mpgru::audio {

// libsamplerate's sinc converters: best is ~97 dB SNR / 97 % bandwidth, medium ~97 dB / 90 %,
// fastest ~97 dB / 80 %; each step down is roughly 3x faster.
enum class ResampleQuality { best, medium, fastest };

// Converts mono `samples` from `from_rate` to `to_rate` Hz; the output has exactly
// round(samples.size() * to_rate / from_rate) samples (zero-padded where the converter's flush
// falls a sample short). Deterministic: no dither, no state kept
// between calls, the same input gives the same output bits. Throws std::invalid_argument on a
// non-positive rate or a ratio libsamplerate rejects (outside 1/256..256), std::runtime_error
// if the converter fails.
std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate,
                            ResampleQuality quality = ResampleQuality::medium);

}  // namespace mpgru::audio
