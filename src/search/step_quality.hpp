// The quality of a per-step (speech enhancement) model, as the search scores it: each clip of a
// split enhanced with the model's gains and scored by the metric (SI-SDR improvement in dB, or
// STOI improvement), the integer model's gains from the batched engine (bit-exact with streaming
// the clip step by step, as a device runs it). The float model's mean validation score is the
// search error's reference (report/metric.hpp).
#pragma once

#include <functional>
#include <vector>

#include "core/dataset.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model.hpp"
#include "quant/float_gru.hpp"
#include "report/metric.hpp"

namespace mpgru::search {

// The quality metric a per-step model of `dataset` is scored by unless told: sisdr for an
// enhancement task (data::SeDataset), r2 (the fit of the per-step targets) for any other.
report::Metric::Kind default_quality(const data::Dataset& dataset);

// Each sequence's share of the split's target R^2 (report/metric.hpp): 1 - SSE_i / (SST / N),
// `predict(i, out)` writing sequence i's steps x outputs. Throws std::invalid_argument naming the
// split when its targets do not vary (SST 0).
std::vector<float> r2_scores(const data::Sequences& s,
                             const std::function<void(int64_t, float*)>& predict);

// Each clip's (sequence's) score, in order, on `threads` threads. Throws std::invalid_argument if
// the metric is accuracy, sisdr or stoi on a dataset that is not an enhancement task
// (data::SeDataset), or the model's head does not give the task's outputs per step.
std::vector<float> clip_scores(const engine::IntegerModel& model, const data::Dataset& dataset,
                               data::Split split, report::Metric::Kind metric, int threads);

// One sequence streamed step by step through the engine (as a device runs it): its gains as
// fractions in [0, 1], steps x outputs, into `gains`.
void streamed_gains(const engine::IntegerModel& model, const float* sequence, int32_t steps,
                    float* gains, engine::Kernels kernels = engine::Kernels::optimized);

// The float model's mean score on the validation split (the same enhancement and metric).
double float_validation_score(const quant::FloatGruModel& model, const data::Dataset& dataset,
                              report::Metric::Kind metric, int threads);

// Mean of per-clip scores and the half-width of its 95 % interval (1.96 standard errors; 0 for
// fewer than two clips).
struct MeanInterval {
  double mean = 0, ci95 = 0;
};
MeanInterval mean_interval(const std::vector<float>& scores);

}  // namespace mpgru::search
