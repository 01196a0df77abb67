// MSE-optimal per-channel weight scales.
#include "quant/weight_quantizer.hpp"

#include <algorithm>
#include <cmath>

#include "quant/fixed_point.hpp"

namespace mpgru::quant {

double quantization_sse(const float* v, size_t n, double scale, int bits) {
  const double qmax = signed_max(bits);
  double sse = 0;
  for (size_t i = 0; i < n; ++i) {
    const double q = std::clamp(round_half_away(v[i] / scale), -qmax, qmax);
    const double e = v[i] - q * scale;
    sse += e * e;
  }
  return sse;
}

double mse_channel_scale(const float* w, size_t n, int bits) {
  double max_abs = 0;
  for (size_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(double{w[i]}));
  if (max_abs == 0) return 1.0;
  const double qmax = signed_max(bits);
  double best_scale = max_abs / qmax;
  double best_sse = quantization_sse(w, n, best_scale, bits);
  for (int step = 99; step >= 1; --step) {
    const double scale = max_abs * step / 100.0 / qmax;
    const double sse = quantization_sse(w, n, scale, bits);
    if (sse < best_sse) {
      best_sse = sse;
      best_scale = scale;
    }
  }
  return best_scale;
}

std::vector<int8_t> quantize_with_scales(const std::vector<float>& w, int32_t rows, int32_t cols,
                                         int bits, const std::vector<double>& scales) {
  std::vector<int8_t> q(w.size());
  const double qmax = signed_max(bits);
  const auto n = static_cast<size_t>(cols);
  for (size_t c = 0; c < static_cast<size_t>(rows); ++c) {
    for (size_t j = 0; j < n; ++j) {
      q[c * n + j] =
          static_cast<int8_t>(std::clamp(std::round(w[c * n + j] / scales[c]), -qmax, qmax));
    }
  }
  return q;
}

QuantizedWeights quantize_weights(const std::vector<float>& w, int32_t rows, int32_t cols,
                                  int bits) {
  QuantizedWeights out;
  for (int32_t c = 0; c < rows; ++c) {
    out.scales.push_back(
        mse_channel_scale(w.data() + static_cast<size_t>(c) * static_cast<size_t>(cols),
                          static_cast<size_t>(cols), bits));
  }
  out.q = quantize_with_scales(w, rows, cols, bits, out.scales);
  return out;
}

}  // namespace mpgru::quant
