// Float training loop.
#include "train/trainer.hpp"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "engine/gru_engine.hpp"
#include "train/blas_core.hpp"
#include "train/checkpoint.hpp"
#include "train/gru_classifier.hpp"
#include "train/threads.hpp"

namespace mpgru::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Tensors {
  torch::Tensor x;  // [n, steps, features], a view of the dataset's memory
  torch::Tensor y;  // [n] int64 labels, or [n, steps, outputs] float targets (a view)
};

Tensors to_tensors(const data::Sequences& s, int64_t limit) {
  const int64_t n = limit > 0 ? std::min(limit, s.count()) : s.count();
  auto* values = const_cast<float*>(s.values.data());
  const torch::Tensor x = torch::from_blob(values, {n, s.steps, s.features}, torch::kFloat32);
  if (s.outputs > 0) {
    auto* targets = const_cast<float*>(s.targets.data());
    return {x, torch::from_blob(targets, {n, s.steps, s.outputs}, torch::kFloat32)};
  }
  auto* labels = const_cast<int32_t*>(s.labels.data());
  return {x, torch::from_blob(labels, {n}, torch::kInt32).to(torch::kInt64)};
}

// Cross-entropy of logits against labels, or (sequence to sequence) the mean squared error of
// the per-step outputs against their targets.
torch::Tensor loss_of(const torch::Tensor& out, const torch::Tensor& y, bool sum = false) {
  const auto reduction = sum ? at::Reduction::Sum : at::Reduction::Mean;
  if (y.dim() == 3) {
    // Per sequence: the mean over its steps and outputs, so Sum adds one term per sequence.
    const torch::Tensor per = torch::mse_loss(out, y, at::Reduction::None).mean({1, 2});
    return sum ? per.sum() : per.mean();
  }
  return torch::cross_entropy_loss(out, y, {}, reduction);
}

// Fisher-Yates with a fixed generator: the same order on every platform for a given seed.
std::vector<int64_t> permutation(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
  double balanced_accuracy = 0;  // mean per-class recall over the classes present
};

// Appends a 1-D integer tensor's values.
void append(const torch::Tensor& values, std::vector<int32_t>& out) {
  const torch::Tensor v = values.to(torch::kInt32).contiguous();
  out.insert(out.end(), v.data_ptr<int32_t>(), v.data_ptr<int32_t>() + v.numel());
}

Evaluation evaluate(GruClassifier& model, const Tensors& data) {
  torch::NoGradGuard no_grad;
  model->eval();
  const int64_t n = data.x.size(0);
  const int64_t chunk = 1000;
  double loss = 0;
  int64_t correct = 0;
  std::vector<int32_t> predictions, labels;
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t m = std::min(chunk, n - i);
    const torch::Tensor logits = model->forward(data.x.narrow(0, i, m));
    const torch::Tensor y = data.y.narrow(0, i, m);
    loss += loss_of(logits, y, true).item<double>();
    if (y.dim() == 3) continue;  // sequence to sequence: no accuracy
    const torch::Tensor predicted = logits.argmax(1);
    correct += predicted.eq(y).sum().item<int64_t>();
    append(predicted, predictions);
    append(y, labels);
  }
  model->train();
  if (model->options().outputs > 0) return {loss / static_cast<double>(n), 0.0, 0.0};
  const auto classes = static_cast<int32_t>(model->options().classes);
  return {loss / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n),
          engine::balanced_accuracy(predictions, labels, classes)};
}

double cosine_lr(const TrainConfig& c, int64_t step, int64_t total_steps) {
  const double t =
      total_steps > 1 ? static_cast<double>(step) / static_cast<double>(total_steps - 1) : 1.0;
  const double lo = c.lr * c.min_lr_ratio;
  return lo + 0.5 * (c.lr - lo) * (1.0 + std::cos(M_PI * t));
}

void set_lr(torch::optim::Adam& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  }
}

nlohmann::json config_json(const data::Dataset& dataset, const TrainConfig& c,
                           const GruClassifierOptions& model, const ComputeThreads& threads) {
  return {{"task", dataset.name()},
          {"model", to_json(model)},
          {"train",
           {{"epochs", c.epochs},
            {"batch", c.batch},
            {"lr", c.lr},
            {"min_lr_ratio", c.min_lr_ratio},
            {"weight_decay", c.weight_decay},
            {"clip_norm", c.clip_norm},
            {"patience", c.patience},
            {"seed", c.seed},
            {"threads", c.threads},
            {"torch_threads", threads.torch},
            {"blas_threads", threads.blas},
            {"blas_core", blas_core()},
            {"train_limit", c.train_limit},
            {"embedding", c.embedding},
            {"optimizer", "adam"},
            {"schedule", "cosine"}}},
          {"data", data::shape_json(dataset)}};
}

nlohmann::json result_json(const data::Dataset& dataset, const TrainResult& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochMetrics& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"train_loss", e.train_loss},
                      {"train_accuracy", e.train_accuracy},
                      {"val_loss", e.val_loss},
                      {"val_accuracy", e.val_accuracy},
                      {"lr", e.lr},
                      {"seconds", e.seconds}});
  }
  return {{"task", dataset.name()},           {"epochs", epochs},
          {"best_epoch", r.best_epoch},       {"best_val_accuracy", r.best_val_accuracy},
          {"best_val_loss", r.best_val_loss}, {"test_loss", r.test_loss},
          {"test_accuracy", r.test_accuracy}, {"test_balanced_accuracy", r.test_balanced_accuracy},
          {"total_seconds", r.total_seconds}, {"stopped_early", r.stopped_early}};
}

}  // namespace

void validate(const TrainConfig& c) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
  };
  require(c.epochs >= 1, "epochs must be >= 1, got " + std::to_string(c.epochs));
  require(c.batch >= 1, "batch must be >= 1, got " + std::to_string(c.batch));
  require(c.lr > 0 && std::isfinite(c.lr), "lr must be a positive number");
  require(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1, "min-lr-ratio must be in [0, 1]");
  require(c.weight_decay >= 0, "weight-decay must be >= 0");
  require(c.patience >= 1, "patience must be >= 1, got " + std::to_string(c.patience));
  require(c.threads >= 1, "threads must be >= 1, got " + std::to_string(c.threads));
  require(c.train_limit >= 0, "train-limit must be >= 0");
  require(c.embedding >= 1 && c.embedding <= 4096, "embedding must be in 1..4096");
}

std::string metrics_json(const data::Dataset& dataset, const TrainResult& result) {
  return result_json(dataset, result).dump(2);
}

TrainResult train_float(const data::Dataset& dataset, const TrainConfig& config,
                        const std::filesystem::path& out_dir, const TrainCallbacks& callbacks) {
  validate(config);
  const bool tokens = dataset.vocabulary() > 0;
  const GruClassifierOptions model_options{tokens ? config.embedding : dataset.features(),
                                           config.hidden,
                                           config.layers,
                                           dataset.num_classes(),
                                           dataset.vocabulary(),
                                           dataset.outputs()};
  const bool seq2seq = dataset.outputs() > 0;
  const ComputeThreads threads = threads_for_cores(config.threads);
  set_compute_threads(threads);
  std::filesystem::create_directories(out_dir);
  write_json_file(config_json(dataset, config, model_options, threads), out_dir / "config.json");

  torch::manual_seed(config.seed);
  std::mt19937_64 rng(config.seed);
  GruClassifier model(model_options);
  torch::optim::Adam optimizer(
      model->parameters(), torch::optim::AdamOptions(config.lr).weight_decay(config.weight_decay));

  const Tensors train = to_tensors(dataset.split(data::Split::train), config.train_limit);
  const Tensors validation = to_tensors(dataset.split(data::Split::validation), 0);
  const int64_t n = train.x.size(0);
  const int64_t batches = (n + config.batch - 1) / config.batch;
  const int64_t total_steps = batches * config.epochs;

  TrainResult result;
  const auto start = Clock::now();
  int64_t step = 0;
  int since_best = 0;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const std::vector<int64_t> order = permutation(n, rng);
    const torch::Tensor index = torch::tensor(order, torch::kInt64);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t b = 0; b < batches; ++b, ++step) {
      const int64_t first = b * config.batch;
      const int64_t m = std::min(config.batch, n - first);
      const torch::Tensor rows = index.narrow(0, first, m);
      const torch::Tensor x = train.x.index_select(0, rows);
      const torch::Tensor y = train.y.index_select(0, rows);
      set_lr(optimizer, cosine_lr(config, step, total_steps));
      optimizer.zero_grad();
      const torch::Tensor logits = model->forward(x);
      const torch::Tensor loss = loss_of(logits, y);
      loss.backward();
      if (config.clip_norm > 0)
        torch::nn::utils::clip_grad_norm_(model->parameters(), config.clip_norm);
      optimizer.step();
      loss_sum += loss.item<double>() * static_cast<double>(m);
      if (!seq2seq) correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      if (callbacks.on_batch) {
        const double elapsed = seconds_since(start);
        callbacks.on_batch({epoch, config.epochs, b + 1, batches,
                            loss_sum / static_cast<double>(first + m), elapsed,
                            elapsed / static_cast<double>(step + 1) *
                                static_cast<double>(total_steps - step - 1)});
      }
    }
    const Evaluation val = evaluate(model, validation);
    EpochMetrics metrics{epoch,
                         loss_sum / static_cast<double>(n),
                         static_cast<double>(correct) / static_cast<double>(n),
                         val.loss,
                         val.accuracy,
                         cosine_lr(config, step - 1, total_steps),
                         seconds_since(epoch_start)};
    result.epochs.push_back(metrics);
    // Classification keeps the most accurate epoch, sequence to sequence the lowest loss.
    const bool better =
        seq2seq ? val.loss < result.best_val_loss : val.accuracy > result.best_val_accuracy;
    if (better || result.best_epoch == 0) {
      result.best_val_accuracy = val.accuracy;
      result.best_val_loss = val.loss;
      result.best_epoch = epoch;
      since_best = 0;
      save_checkpoint(model, out_dir);
    } else {
      ++since_best;
    }
    result.total_seconds = seconds_since(start);
    write_json_file(result_json(dataset, result), out_dir / "metrics.json");
    if (callbacks.on_epoch) callbacks.on_epoch(metrics);
    if (since_best >= config.patience && epoch < config.epochs) {
      result.stopped_early = true;
      break;
    }
  }

  GruClassifier best = load_checkpoint(out_dir);
  const Evaluation test = evaluate(best, to_tensors(dataset.split(data::Split::test), 0));
  result.test_loss = test.loss;
  result.test_accuracy = test.accuracy;
  result.test_balanced_accuracy = test.balanced_accuracy;
  result.total_seconds = seconds_since(start);
  write_json_file(result_json(dataset, result), out_dir / "metrics.json");
  return result;
}

}  // namespace mpgru::train
