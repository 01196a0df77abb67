// QAT fine-tuning loop.
#include "train/qat.hpp"

#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "engine/convert.hpp"
#include "train/qat_gru.hpp"
#include "train/threads.hpp"

namespace mpgru::train {
namespace {

using Clock = std::chrono::steady_clock;

torch::Tensor batch_of(const data::Sequences& s, const std::vector<int64_t>& rows) {
  torch::Tensor x = torch::empty({static_cast<int64_t>(rows.size()), s.steps, s.features});
  const int64_t per = s.steps * s.features;
  float* out = x.data_ptr<float>();
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy(s.sequence(rows[i]), s.sequence(rows[i]) + per, out + static_cast<int64_t>(i) * per);
  }
  return x;
}

// A per-step model's targets of `rows`: [rows, steps, outputs].
torch::Tensor targets_of(const data::Sequences& s, const std::vector<int64_t>& rows) {
  torch::Tensor y = torch::empty({static_cast<int64_t>(rows.size()), s.steps, s.outputs});
  const int64_t per = s.steps * s.outputs;
  float* out = y.data_ptr<float>();
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy(s.target(rows[i]), s.target(rows[i]) + per, out + static_cast<int64_t>(i) * per);
  }
  return y;
}

torch::Tensor labels_of(const data::Sequences& s, const std::vector<int64_t>& rows) {
  std::vector<int64_t> y;
  for (int64_t r : rows) y.push_back(s.labels[static_cast<size_t>(r)]);
  return torch::tensor(y, torch::kInt64);
}

// The loss the float model was trained with: cross-entropy of the logits (classifiers), or the
// mean squared error of the per-step gains against their targets (sequence to sequence).
torch::Tensor qat_loss(QatGru& qat, const data::Sequences& train,
                       const std::vector<int64_t>& rows) {
  const torch::Tensor x = batch_of(train, rows);
  if (train.outputs > 0) return torch::mse_loss(qat->forward_steps(x), targets_of(train, rows));
  return torch::cross_entropy_loss(qat->forward(x), labels_of(train, rows));
}

}  // namespace

void validate(const QatConfig& c) {
  if (c.steps < 0) throw std::invalid_argument("qat steps must be >= 0");
  if (c.steps == 0 && !(c.epochs > 0)) throw std::invalid_argument("qat epochs must be > 0");
  if (c.batch < 1) throw std::invalid_argument("qat batch must be >= 1");
  if (!(c.lr >= 0) || !(c.scale_lr >= 0))
    throw std::invalid_argument("qat learning rates must be >= 0");
  if (c.threads < 1) throw std::invalid_argument("qat threads must be >= 1");
}

QatResult fine_tune(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                    const core::Genome& genome, const data::Sequences& train,
                    const QatConfig& config,
                    const std::function<void(const QatProgress&)>& progress) {
  validate(config);
  if ((model.outputs > 0) != (train.outputs > 0) ||
      (model.outputs > 0 && model.outputs != train.outputs)) {
    throw std::invalid_argument("qat: the model has " + std::to_string(model.outputs) +
                                " per-step outputs, the training sequences " +
                                std::to_string(train.outputs));
  }
  if (train.count() == 0) throw std::invalid_argument("qat: no training sequences");
  set_compute_threads(threads_for_cores(config.threads));
  torch::manual_seed(config.seed);
  const auto start = Clock::now();
  QatGru qat(model, quant::ptq_scales(model, calibration, genome), genome);
  torch::optim::Adam optimizer(std::vector<torch::optim::OptimizerParamGroup>{
      torch::optim::OptimizerParamGroup(qat->weight_parameters(),
                                        std::make_unique<torch::optim::AdamOptions>(config.lr)),
      torch::optim::OptimizerParamGroup(
          qat->scale_parameters(), std::make_unique<torch::optim::AdamOptions>(config.scale_lr))});
  const int64_t n = train.count();
  const int64_t steps =
      config.steps > 0
          ? config.steps
          : std::max<int64_t>(
                1, static_cast<int64_t>(std::ceil(config.epochs * static_cast<double>(n) /
                                                  static_cast<double>(config.batch))));
  std::mt19937_64 rng(config.seed);
  std::vector<int64_t> order(static_cast<size_t>(n));
  size_t cursor = order.size();
  std::vector<double> losses;
  int64_t skipped = 0;
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<int64_t> rows;
    while (static_cast<int64_t>(rows.size()) < std::min(config.batch, n)) {
      if (cursor == order.size()) {
        for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
        for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
        cursor = 0;
      }
      rows.push_back(order[cursor++]);
    }
    const double decay =
        0.5 * (1 + std::cos(M_PI * static_cast<double>(step) / static_cast<double>(steps)));
    auto& groups = optimizer.param_groups();
    static_cast<torch::optim::AdamOptions&>(groups[0].options()).lr(config.lr * decay);
    static_cast<torch::optim::AdamOptions&>(groups[1].options()).lr(config.scale_lr * decay);
    optimizer.zero_grad();
    const torch::Tensor loss = qat_loss(qat, train, rows);
    loss.backward();
    // Back through hundreds of steps the gradients of a low-bit genome can overflow; such a
    // step is skipped (counted), as mixed-precision training skips an overflowed step, so the
    // weights never become NaN.
    const double norm = torch::nn::utils::clip_grad_norm_(
        qat->parameters(), config.clip_norm > 0 ? config.clip_norm : HUGE_VAL);
    if (std::isfinite(norm) && std::isfinite(loss.item<double>())) {
      optimizer.step();
    } else {
      ++skipped;
    }
    losses.push_back(loss.item<double>());
    if (progress) {
      double mean = 0;
      for (double l : losses) mean += l;
      progress({step + 1, steps, mean / static_cast<double>(losses.size()),
                std::chrono::duration<double>(Clock::now() - start).count()});
    }
  }
  QatResult result;
  result.steps = steps;
  result.skipped_steps = skipped;
  const size_t tenth = std::max<size_t>(1, losses.size() / 10);
  for (size_t i = 0; i < tenth; ++i) {
    result.first_loss += losses[i] / static_cast<double>(tenth);
    result.last_loss += losses[losses.size() - 1 - i] / static_cast<double>(tenth);
  }
  result.model =
      engine::convert(qat->float_model(), qat->scales(), genome, static_cast<int32_t>(train.steps));
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::vector<int32_t> fake_quant_predictions(const quant::FloatGruModel& model,
                                            const quant::ScaleSet& scales,
                                            const core::Genome& genome,
                                            const data::Sequences& sequences) {
  torch::NoGradGuard no_grad;
  QatGru qat(model, scales, genome);
  std::vector<int32_t> out;
  for (int64_t first = 0; first < sequences.count(); first += 500) {
    std::vector<int64_t> rows;
    for (int64_t i = first; i < std::min(sequences.count(), first + 500); ++i) rows.push_back(i);
    const torch::Tensor p = qat->forward(batch_of(sequences, rows)).argmax(1);
    for (int64_t i = 0; i < p.size(0); ++i)
      out.push_back(static_cast<int32_t>(p[i].item<int64_t>()));
  }
  return out;
}

}  // namespace mpgru::train
