// QAT fine-tuning loop.
#include "train/qat.hpp"

#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "engine/convert.hpp"
#include "quant/fixed_point.hpp"
#include "train/fake_quant.hpp"
#include "train/gru_classifier.hpp"
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

// Distillation's teacher: the float model in LibTorch (empty when distillation is off).
struct Distillation {
  GruClassifier teacher{nullptr};
  double weight = 0;
  double temperature = 1;
};

Distillation distillation(const quant::FloatGruModel& model, const QatConfig& config) {
  Distillation d;
  if (config.distill_weight > 0) d.teacher = gru_classifier_of(model);
  d.weight = config.distill_weight;
  d.temperature = config.distill_temperature;
  return d;
}

// The teacher's logits (or per-step gains) of batch x, a constant of the student's step.
torch::Tensor teacher_outputs(Distillation& d, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return d.teacher->forward(x);
}

// (1 - alpha) hard + alpha soft; at alpha 1 the hard term is left out, so that not even an
// infinite task loss has a say.
torch::Tensor mix(const torch::Tensor& hard, const torch::Tensor& soft, double alpha) {
  if (alpha == 1) return soft;
  return (1 - alpha) * hard + alpha * soft;
}

// The loss the float model was trained with: cross-entropy of the logits (classifiers), or the
// mean squared error of the per-step gains against their targets (sequence to sequence); with
// distillation, mixed with the distance to the teacher's outputs (QatConfig::distill_weight).
torch::Tensor qat_loss(QatGru& qat, Distillation& d, const data::Sequences& train,
                       const std::vector<int64_t>& rows) {
  const torch::Tensor x = batch_of(train, rows);
  if (train.outputs > 0) {
    const torch::Tensor gains = qat->forward_steps(x);
    const torch::Tensor hard = torch::mse_loss(gains, targets_of(train, rows));
    if (d.teacher.is_empty()) return hard;
    return mix(hard, torch::mse_loss(gains, teacher_outputs(d, x)), d.weight);
  }
  const torch::Tensor logits = qat->forward(x);
  const torch::Tensor hard = torch::cross_entropy_loss(logits, labels_of(train, rows));
  if (d.teacher.is_empty()) return hard;
  // KL(teacher || student) of the softened distributions, summed over classes, mean over the
  // batch; T^2 keeps its gradients on the scale of the hard loss's (Hinton et al. 2015).
  const double t = d.temperature;
  const torch::Tensor log_student = torch::log_softmax(logits / t, 1);
  const torch::Tensor log_teacher = torch::log_softmax(teacher_outputs(d, x) / t, 1);
  const torch::Tensor kl = (log_teacher.exp() * (log_teacher - log_student)).sum(1).mean();
  return mix(hard, t * t * kl, d.weight);
}

// Oscillation dampening's lambda at step t of `steps`: a cosine ramp from 0, lambda at the last
// step (the paper anneals it likewise), while the learning rate decays.
double dampen_weight(double lambda, int64_t t, int64_t steps) {
  return lambda * 0.5 *
         (1 - std::cos(M_PI * static_cast<double>(t + 1) / static_cast<double>(steps)));
}

// The dampening term of every weight matrix at <= kDampenMaxBits (0 when there is none).
torch::Tensor dampening(const QatGru& qat) {
  torch::Tensor sum = torch::zeros({});
  for (const QatWeight& w : qat->quantized_weights()) {
    if (w.bits > kDampenMaxBits) continue;
    const double qmax = quant::signed_max(w.bits);
    sum = sum + dampening_loss(w.w, w.step, -qmax, qmax);
  }
  return sum;
}

}  // namespace

void validate(const QatConfig& c) {
  if (c.steps < 0) throw std::invalid_argument("qat steps must be >= 0");
  if (c.steps == 0 && !(c.epochs > 0)) throw std::invalid_argument("qat epochs must be > 0");
  if (c.batch < 1) throw std::invalid_argument("qat batch must be >= 1");
  if (!(c.lr >= 0) || !(c.scale_lr >= 0))
    throw std::invalid_argument("qat learning rates must be >= 0");
  if (c.threads < 1) throw std::invalid_argument("qat threads must be >= 1");
  if (!(c.distill_weight >= 0 && c.distill_weight <= 1)) {
    throw std::invalid_argument("qat distill_weight must be in [0, 1], got " +
                                std::to_string(c.distill_weight));
  }
  if (!(c.distill_temperature > 0) || !std::isfinite(c.distill_temperature)) {
    throw std::invalid_argument("qat distill_temperature must be finite and > 0, got " +
                                std::to_string(c.distill_temperature));
  }
  if (!(c.dampen >= 0) || !std::isfinite(c.dampen)) {
    throw std::invalid_argument("qat dampen must be finite and >= 0, got " +
                                std::to_string(c.dampen));
  }
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
  const auto start = Clock::now();
  // Before the seed: the teacher's (overwritten) random initialisation draws nothing the student
  // would otherwise see.
  Distillation distill = distillation(model, config);
  torch::manual_seed(config.seed);
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
    const torch::Tensor task = qat_loss(qat, distill, train, rows);
    const torch::Tensor loss =
        config.dampen > 0 ? task + dampen_weight(config.dampen, step, steps) * dampening(qat)
                          : task;
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
                std::chrono::duration<double>(Clock::now() - start).count(), qat.get()});
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
