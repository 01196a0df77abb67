// Per-clip quality of per-step models.
#include "search/step_quality.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/parallel_for.hpp"
#include "data/se_task.hpp"
#include "engine/batch_engine.hpp"

namespace mpgru::search {
namespace {

const data::SeDataset& enhancement_task(const data::Dataset& dataset, int64_t outputs) {
  const auto* se = dynamic_cast<const data::SeDataset*>(&dataset);
  if (se == nullptr || outputs != se->outputs()) {
    throw std::invalid_argument("a per-step model of " + std::to_string(outputs) +
                                " outputs needs a matching enhancement task; task " +
                                dataset.name() + " is not one");
  }
  return *se;
}

std::vector<float> scores_of(const data::SeQuality& q, report::Metric::Kind metric) {
  const std::vector<double>& v =
      metric == report::Metric::Kind::sisdr ? q.si_sdri_clips : q.stoi_improvement_clips;
  return std::vector<float>(v.begin(), v.end());
}

// Every clip's gains (steps x outputs each, in clip order) from the batched engine, in batches of
// kBatch clips spread over `threads` threads: bit-exact with streaming each clip through
// GruEngine::run_gains, as a device does.
std::vector<int32_t> batch_gains(const engine::IntegerModel& model, const data::Sequences& s,
                                 int threads) {
  constexpr int32_t kBatch = 64;
  const int64_t n = s.count();
  const auto per_clip = static_cast<size_t>(s.steps * model.classes);
  std::vector<int32_t> gains(static_cast<size_t>(n) * per_clip);
  const auto batches = static_cast<size_t>((n + kBatch - 1) / kBatch);
  core::parallel_for(batches, threads, [&](size_t k) {
    const int64_t first = static_cast<int64_t>(k) * kBatch;
    const auto count = static_cast<int32_t>(std::min<int64_t>(kBatch, n - first));
    engine::BatchEngine engine(model, engine::default_path(), count);
    engine.run_gains(s.sequence(first), s.steps * s.features, count, static_cast<int32_t>(s.steps),
                     gains.data() + static_cast<size_t>(first) * per_clip);
  });
  return gains;
}

void require_quality(report::Metric::Kind metric) {
  if (metric == report::Metric::Kind::accuracy) {
    throw std::invalid_argument(
        "a per-step model is scored by its output quality: objective sisdr or stoi (enhancement), "
        "r2 (per-step targets), not accuracy");
  }
}

void require_outputs(const data::Dataset& dataset, int64_t outputs) {
  if (dataset.outputs() != outputs) {
    throw std::invalid_argument("a per-step model of " + std::to_string(outputs) +
                                " outputs needs a task of as many targets per step; task " +
                                dataset.name() + " has " + std::to_string(dataset.outputs()));
  }
}

}  // namespace

report::Metric::Kind default_quality(const data::Dataset& dataset) {
  return dynamic_cast<const data::SeDataset*>(&dataset) != nullptr ? report::Metric::Kind::sisdr
                                                                   : report::Metric::Kind::r2;
}

std::vector<float> r2_scores(const data::Sequences& s,
                             const std::function<void(int64_t, float*)>& predict) {
  const int64_t n = s.count();
  const auto per = static_cast<size_t>(s.steps * s.outputs);
  const auto outputs = static_cast<size_t>(s.outputs);
  std::vector<double> mean(outputs, 0.0);
  for (size_t k = 0; k < s.targets.size(); ++k) mean[k % outputs] += s.targets[k];
  for (double& m : mean) m /= static_cast<double>(n * s.steps);
  double sst = 0;
  for (size_t k = 0; k < s.targets.size(); ++k) {
    const double d = s.targets[k] - mean[k % outputs];
    sst += d * d;
  }
  if (!(sst > 0)) {
    throw std::invalid_argument(
        "target R^2: the targets of the split do not vary (every output constant)");
  }
  std::vector<float> scores(static_cast<size_t>(n));
  std::vector<float> out(per);
  for (int64_t i = 0; i < n; ++i) {
    predict(i, out.data());
    const float* t = s.target(i);
    double sse = 0;
    for (size_t k = 0; k < per; ++k) sse += (out[k] - t[k]) * static_cast<double>(out[k] - t[k]);
    scores[static_cast<size_t>(i)] = static_cast<float>(1.0 - sse * static_cast<double>(n) / sst);
  }
  return scores;
}

std::vector<float> clip_scores(const engine::IntegerModel& model, const data::Dataset& dataset,
                               data::Split split, report::Metric::Kind metric, int threads) {
  require_quality(metric);
  if (!model.per_step) throw std::invalid_argument("clip_scores: the model is not per-step");
  require_outputs(dataset, model.classes);
  const data::Sequences& s = dataset.split(split);
  const std::vector<int32_t> all = batch_gains(model, s, threads);
  const double unit = 1.0 / model.head.output.qmax();
  const auto per_clip = static_cast<size_t>(s.steps * model.classes);
  const auto predict = [&](int64_t i, float* gains) {
    const int32_t* g = all.data() + static_cast<size_t>(i) * per_clip;
    for (size_t k = 0; k < per_clip; ++k) gains[k] = static_cast<float>(g[k] * unit);
  };
  if (metric == report::Metric::Kind::r2) return r2_scores(s, predict);
  const data::SeDataset& se = enhancement_task(dataset, model.classes);
  const bool stoi = metric == report::Metric::Kind::stoi;
  return scores_of(se.quality(split, predict, threads, stoi), metric);
}

void streamed_gains(const engine::IntegerModel& model, const float* sequence, int32_t steps,
                    float* gains, engine::Kernels kernels) {
  engine::GruEngine engine(model, kernels);
  std::vector<int32_t> out(static_cast<size_t>(steps * model.classes));
  engine.run_gains(sequence, steps, out.data());
  const double unit = 1.0 / model.head.output.qmax();
  for (size_t k = 0; k < out.size(); ++k) gains[k] = static_cast<float>(out[k] * unit);
}

double float_validation_score(const quant::FloatGruModel& model, const data::Dataset& dataset,
                              report::Metric::Kind metric, int threads) {
  require_quality(metric);
  require_outputs(dataset, model.outputs);
  const data::Sequences& s = dataset.split(data::Split::validation);
  const auto predict = [&](int64_t i, float* gains) {
    quant::forward_steps(model, s.sequence(i), static_cast<int32_t>(s.steps), gains);
  };
  if (metric == report::Metric::Kind::r2) return mean_interval(r2_scores(s, predict)).mean;
  const data::SeDataset& se = enhancement_task(dataset, model.outputs);
  const bool stoi = metric == report::Metric::Kind::stoi;
  return mean_interval(
             scores_of(se.quality(data::Split::validation, predict, threads, stoi), metric))
      .mean;
}

MeanInterval mean_interval(const std::vector<float>& scores) {
  MeanInterval m;
  if (scores.empty()) return m;
  const auto n = static_cast<double>(scores.size());
  for (float v : scores) m.mean += v;
  m.mean /= n;
  if (scores.size() < 2) return m;
  double var = 0;
  for (float v : scores) var += (v - m.mean) * (v - m.mean);
  m.ci95 = 1.96 * std::sqrt(var / (n - 1)) / std::sqrt(n);
  return m;
}

}  // namespace mpgru::search
