// Per-output-channel symmetric weight quantization with MSE-optimal clipping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mpgru::quant {

// round(v) with ties away from zero, for |v| < 2^62; inlined because calibration calls it
// hundreds of millions of times (std::round is a libm call without SSE4.1).
inline double round_half_away(double v) {
  return static_cast<double>(static_cast<int64_t>(v + (v < 0 ? -0.5 : 0.5)));
}

// Sum of squared errors of quantizing v (n values) to the signed narrow b-bit grid of step
// `scale` (q = clamp(round(v / scale), +-(2^(b-1)-1))).
double quantization_sse(const float* v, size_t n, double scale, int bits);

// The scale of one channel: clip = alpha * max|w| with alpha on the grid 0.01, 0.02, ..., 1.00
// minimising quantization_sse (ties: the larger alpha); scale = clip / (2^(b-1) - 1).
// An all-zero channel gets scale 1. max-abs clipping is poor at 2-4 bits (at 2 bits the best
// clip is near 0.4-0.7 x max|w|), which is why the search is needed.
double mse_channel_scale(const float* w, size_t n, int bits);

struct QuantizedWeights {
  std::vector<int8_t> q;       // rows * cols, signed narrow range
  std::vector<double> scales;  // rows
};

QuantizedWeights quantize_weights(const std::vector<float>& w, int32_t rows, int32_t cols,
                                  int bits);

// q = clamp(round(w / scales[row])) (ties away from zero) with the given per-row scales.
std::vector<int8_t> quantize_with_scales(const std::vector<float>& w, int32_t rows, int32_t cols,
                                         int bits, const std::vector<double>& scales);

}  // namespace mpgru::quant
