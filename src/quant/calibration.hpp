// Activation ranges from running the float model on training sequences: max-abs, a percentile
// of |v|, or the clip minimising quantization MSE, per quantization point and bit width.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dataset.hpp"
#include "core/genome.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::quant {

enum class RangeMethod { maxabs, percentile, mse };
const char* to_string(RangeMethod method);
// "maxabs", "percentile" or "mse"; throws std::invalid_argument otherwise.
RangeMethod parse_range_method(const std::string& name);

struct CalibrationOptions {
  RangeMethod method = RangeMethod::mse;
  double percentile = 99.99;         // for RangeMethod::percentile, of |v|
  int64_t sequences = 1000;          // training sequences run through the float model
  size_t samples_per_point = 65536;  // reservoir sample kept per point
  uint64_t seed = 1;
};

// Throws std::invalid_argument naming the bad field.
void validate(const CalibrationOptions& options);

// Canonical text of everything in `options` that changes the ranges, e.g.
// "method=mse;sequences=1000;samples=65536;seed=1" (percentile only for that method): part of
// the evaluation store's key, so results of other calibration settings never mix.
std::string canonical(const CalibrationOptions& options);

using PointKey = std::pair<core::Op, int>;  // op and layer (-1 for out)

struct PointStats {
  double max_abs = 0;
  double min = 0;
  int64_t seen = 0;
  std::vector<float> sample;  // reservoir sample of the values
  double range[9] = {};       // clip range per bit width 2..8 (index = bits), by the method
};

class Calibration {
 public:
  Calibration() = default;
  explicit Calibration(CalibrationOptions options);

  void observe(core::Op op, int layer, const float* values, size_t n);
  // Computes every point's ranges for bits 2..8 with the configured method.
  void finalize();

  // Clip range R of a point at `bits`: values are quantized to [-R, R] (or [0, R] when the
  // point is non-negative). Throws std::out_of_range naming the point if it was never observed.
  double range(core::Op op, int layer, int bits) const;
  // True if no observed value was negative (the x gene then uses an unsigned grid).
  bool nonnegative(core::Op op, int layer) const;

  const CalibrationOptions& options() const { return options_; }
  const std::map<PointKey, PointStats>& points() const { return points_; }

 private:
  CalibrationOptions options_;
  std::map<PointKey, PointStats> points_;
  uint64_t rng_state_ = 0;
};

// Runs the first `options.sequences` sequences of `train` (evenly spaced over the split) through
// the float model and returns the finalized calibration.
Calibration calibrate(const FloatGruModel& model, const data::Sequences& train,
                      const CalibrationOptions& options);

}  // namespace mpgru::quant
