// Calibration: reservoir samples per quantization point and the three range rules.
#include "quant/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "quant/fixed_point.hpp"
#include "quant/weight_quantizer.hpp"

namespace mpgru::quant {
namespace {

// splitmix64: a small, fully specified generator so reservoirs are identical everywhere.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double grid_sse(const std::vector<float>& v, double scale, double qmin, double qmax) {
  double sse = 0;
  for (float x : v) {
    const double q = std::clamp(round_half_away(x / scale), qmin, qmax);
    const double e = x - q * scale;
    sse += e * e;
  }
  return sse;
}

double mse_range(const PointStats& s, int bits, bool nonnegative) {
  if (s.max_abs == 0) return 1.0;
  const double qmax = nonnegative ? unsigned_max(bits) : signed_max(bits);
  const double qmin = nonnegative ? 0 : -qmax;
  double best = s.max_abs;
  double best_sse = grid_sse(s.sample, best / qmax, qmin, qmax);
  for (int step = 49; step >= 1; --step) {
    const double r = s.max_abs * step / 50.0;
    const double sse = grid_sse(s.sample, r / qmax, qmin, qmax);
    if (sse < best_sse) {
      best_sse = sse;
      best = r;
    }
  }
  return best;
}

double percentile_range(const PointStats& s, double percentile) {
  if (s.sample.empty()) return 1.0;
  std::vector<float> a(s.sample.size());
  std::transform(s.sample.begin(), s.sample.end(), a.begin(), [](float v) { return std::fabs(v); });
  const auto k = static_cast<size_t>(
      std::min<double>(static_cast<double>(a.size() - 1),
                       std::ceil(percentile / 100.0 * static_cast<double>(a.size())) - 1));
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
  return a[k] > 0 ? a[k] : (s.max_abs > 0 ? s.max_abs : 1.0);
}

std::string point_name(const PointKey& key) {
  return (key.second > 0 ? "l" + std::to_string(key.second) + "." : std::string()) +
         core::op_name(key.first);
}

}  // namespace

const char* to_string(RangeMethod method) {
  switch (method) {
    case RangeMethod::maxabs:
      return "maxabs";
    case RangeMethod::percentile:
      return "percentile";
    case RangeMethod::mse:
      return "mse";
  }
  return "?";
}

RangeMethod parse_range_method(const std::string& name) {
  if (name == "maxabs") return RangeMethod::maxabs;
  if (name == "percentile") return RangeMethod::percentile;
  if (name == "mse") return RangeMethod::mse;
  throw std::invalid_argument("unknown calibration method '" + name +
                              "' (expected maxabs, percentile or mse)");
}

void validate(const CalibrationOptions& o) {
  if (!(o.percentile > 0 && o.percentile <= 100)) {
    throw std::invalid_argument("calibration percentile must be in (0, 100]");
  }
  if (o.sequences < 1) throw std::invalid_argument("calibration sequences must be >= 1");
  if (o.samples_per_point < 16) throw std::invalid_argument("calibration sample must be >= 16");
}

std::string canonical(const CalibrationOptions& o) {
  std::ostringstream s;
  s.precision(17);
  s << "method=" << to_string(o.method);
  if (o.method == RangeMethod::percentile) s << ";percentile=" << o.percentile;
  s << ";sequences=" << o.sequences << ";samples=" << o.samples_per_point << ";seed=" << o.seed;
  return s.str();
}

Calibration::Calibration(CalibrationOptions options)
    : options_(options), rng_state_(options.seed) {}

void Calibration::observe(core::Op op, int layer, const float* values, size_t n) {
  PointStats& s = points_[{op, layer}];
  for (size_t i = 0; i < n; ++i) {
    const float v = values[i];
    s.max_abs = std::max(s.max_abs, std::fabs(double{v}));
    s.min = std::min(s.min, double{v});
    ++s.seen;
    if (s.sample.size() < options_.samples_per_point) {
      s.sample.push_back(v);
    } else {
      const uint64_t j = next_random(rng_state_) % static_cast<uint64_t>(s.seen);
      if (j < options_.samples_per_point) s.sample[j] = v;
    }
  }
}

void Calibration::finalize() {
  for (auto& [key, s] : points_) {
    const bool nonneg = s.min >= 0;
    for (int bits = core::kMinBits; bits <= core::kMaxBits; ++bits) {
      switch (options_.method) {
        case RangeMethod::maxabs:
          s.range[bits] = s.max_abs > 0 ? s.max_abs : 1.0;
          break;
        case RangeMethod::percentile:
          s.range[bits] = percentile_range(s, options_.percentile);
          break;
        case RangeMethod::mse:
          s.range[bits] = mse_range(s, bits, nonneg);
          break;
      }
    }
  }
}

double Calibration::range(core::Op op, int layer, int bits) const {
  const auto it = points_.find({op, layer});
  if (it == points_.end()) {
    throw std::out_of_range("calibration has no values for point " + point_name({op, layer}));
  }
  if (bits < core::kMinBits || bits > core::kMaxBits) throw std::out_of_range("bits outside 2..8");
  return it->second.range[bits];
}

bool Calibration::nonnegative(core::Op op, int layer) const {
  const auto it = points_.find({op, layer});
  return it != points_.end() && it->second.min >= 0;
}

Calibration calibrate(const FloatGruModel& model, const data::Sequences& train,
                      const CalibrationOptions& options) {
  validate(options);
  validate(model);
  if (train.features != sequence_features(model)) {
    throw std::invalid_argument("calibration data has " + std::to_string(train.features) +
                                " features per step, the model expects " +
                                std::to_string(sequence_features(model)));
  }
  if (train.count() == 0) throw std::invalid_argument("no calibration sequences");
  Calibration calibration(options);
  const PointObserver observer = [&](core::Op op, int layer, const float* v, size_t n) {
    calibration.observe(op, layer, v, n);
  };
  const int64_t count = std::min(options.sequences, train.count());
  // A per-step model's head is observed at every step (before its sigmoid).
  const bool per_step = model.outputs > 0;
  std::vector<float> out(per_step ? static_cast<size_t>(train.steps * model.outputs)
                                  : static_cast<size_t>(model.classes));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = i * train.count() / count;
    const auto steps = static_cast<int32_t>(train.steps);
    if (per_step) {
      forward_steps(model, train.sequence(index), steps, out.data(), &observer);
    } else {
      forward(model, train.sequence(index), steps, out.data(), &observer);
    }
  }
  calibration.finalize();
  return calibration;
}

}  // namespace mpgru::quant
