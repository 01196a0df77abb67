// The integer model simulated in floating point, op by op: dequantize the integer inputs,
// apply the op in double, quantize with the same scale (round half away from zero, clamp).
// It differs from the engine only where the engine's fixed-point multipliers round differently
// from the exact real rescaling (docs/quantization.md); QAT mirrors this simulation.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dataset.hpp"
#include "engine/model.hpp"

namespace mpgru::engine {

class FloatSimulation {
 public:
  explicit FloatSimulation(const IntegerModel& model);

  // Writes `classes` integer logits (quantized at the out scale), like GruEngine::run.
  void run(const float* sequence, int32_t steps, int32_t* logits);
  int32_t predict(const float* sequence, int32_t steps);

 private:
  const IntegerModel& model_;
  std::vector<std::vector<int32_t>> hidden_;
};

// Predictions for every sequence (single thread).
std::vector<int32_t> simulate_predictions(const IntegerModel& model,
                                          const data::Sequences& sequences);

}  // namespace mpgru::engine
