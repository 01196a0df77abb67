// Runs a loaded model as a user would: a few sequences through the streaming engine with both
// kernels, the batched engine on every kernel path this CPU has (features or token ids made from
// the fuzz input, including out-of-range ones), and the C generator. Used by the .mpq harnesses.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/batch_engine.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model.hpp"
#include "export/c_model.hpp"

namespace mpgru::fuzz {

inline void run_model(const engine::IntegerModel& model, const uint8_t* data, size_t size) {
  // Keep each execution cheap: a hostile file may declare huge (but valid) shapes.
  const int64_t work = int64_t{model.hidden()} * (model.features + model.hidden()) *
                       static_cast<int64_t>(model.layers.size());
  if (work > 2'000'000) return;
  const int32_t steps = 3;
  data::Sequences s;
  s.steps = steps;
  s.features = model.sequence_features();
  for (int64_t i = 0; i < 2 * steps * s.features; ++i) {
    const uint8_t b = size > 0 ? data[static_cast<size_t>(i) % size] : 0;
    s.values.push_back(model.embedding.vocabulary > 0 ? static_cast<float>(b) - 8.0f
                                                      : (static_cast<float>(b) - 128.0f) / 16.0f);
  }
  s.labels.assign(2, 0);
  for (engine::Kernels k : {engine::Kernels::reference, engine::Kernels::optimized}) {
    engine::GruEngine e(model, k);
    std::vector<int32_t> logits(static_cast<size_t>(model.classes));
    for (int64_t i = 0; i < 2; ++i) e.run(s.sequence(i), steps, logits.data());
    if (model.per_step) {  // the head's table after every step
      std::vector<int32_t> gains(static_cast<size_t>(steps * model.classes));
      e.run_gains(s.sequence(0), steps, gains.data());
    }
  }
  for (engine::KernelPath path : engine::supported_paths()) {  // the batched engine, every path
    engine::BatchEngine e(model, path, 2);
    std::vector<int32_t> logits(2 * static_cast<size_t>(model.classes));
    e.run(s.values.data(), steps * s.features, 2, steps, logits.data());
  }
  if (codegen::export_problem(model).empty()) {
    (void)codegen::generate_c_model(model, {"fuzzed", "fuzz.mpq", "", "", "fuzz"});
  }
}

}  // namespace mpgru::fuzz
