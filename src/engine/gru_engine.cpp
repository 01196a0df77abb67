// The integer GRU engine over the reference kernels, and dataset evaluation.
#include "engine/gru_engine.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <thread>

#include "engine/batch_engine.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::engine {

GruEngine::GruEngine(const IntegerModel& model, Kernels kernels)
    : model_(model),
      input_(static_cast<size_t>(model.features)),
      logits16_(static_cast<size_t>(model.classes)),
      logits_acc_(static_cast<size_t>(model.classes)),
      kernels_(kernels),
      prepared_(opt::prepare(model)) {
  assert(check_model(model).empty());
  for (const GruLayer& layer : model.layers) {
    hidden_.emplace_back(static_cast<size_t>(layer.hidden));
    scratch_.emplace_back(layer.hidden);
  }
}

void GruEngine::reset() {
  for (auto& h : hidden_) std::fill(h.begin(), h.end(), int16_t{0});
}

void GruEngine::step(const float* x) {
  const QuantizedEmbedding& embedding = model_.embedding;
  if (embedding.vocabulary > 0) {
    ref::embedding_row(embedding, model_.input, quant::token_index(*x, embedding.vocabulary),
                       input_.data());
  } else {
    for (size_t f = 0; f < input_.size(); ++f) {
      input_[f] = static_cast<int16_t>(ref::quantize(model_.input, x[f]));
    }
  }
  const int16_t* layer_input = input_.data();
  for (size_t k = 0; k < model_.layers.size(); ++k) {
    if (kernels_ == Kernels::optimized) {
      opt::gru_step(model_.layers[k], prepared_.layers[k], layer_input, hidden_[k].data(),
                    scratch_[k]);
    } else {
      ref::gru_step(model_.layers[k], layer_input, hidden_[k].data(), scratch_[k].base);
    }
    layer_input = hidden_[k].data();
  }
}

void GruEngine::logits(int32_t* out) {
  ref::linear(model_.classifier, hidden_.back().data(), logits16_.data(), logits_acc_.data());
  std::copy(logits16_.begin(), logits16_.end(), out);
}

void GruEngine::gains(int32_t* out) {
  if (!model_.per_step) throw std::logic_error("GruEngine::gains: the model has no per-step head");
  logits(out);
  const Lut& head = model_.head;
  for (int32_t c = 0; c < model_.classes; ++c) {
    // The classifier's output clamps to the out grid, which the head's table covers entirely
    // (check_model: head input = classifier output).
    out[c] = head.table[static_cast<size_t>(out[c] - head.input.qmin())];
  }
}

void GruEngine::run_gains(const float* sequence, int32_t steps, int32_t* out) {
  reset();
  const auto stride = static_cast<size_t>(model_.sequence_features());
  for (int32_t t = 0; t < steps; ++t) {
    step(sequence + static_cast<size_t>(t) * stride);
    gains(out + static_cast<size_t>(t) * static_cast<size_t>(model_.classes));
  }
}

void GruEngine::run(const float* sequence, int32_t steps, int32_t* out) {
  reset();
  const auto stride = static_cast<size_t>(model_.sequence_features());
  for (int32_t t = 0; t < steps; ++t) step(sequence + static_cast<size_t>(t) * stride);
  logits(out);  // once per sequence
}

int32_t GruEngine::predict(const float* sequence, int32_t steps) {
  std::vector<int32_t> logits(static_cast<size_t>(model_.classes));
  run(sequence, steps, logits.data());
  return argmax(logits.data(), model_.classes);
}

double balanced_accuracy(const std::vector<int32_t>& predictions,
                         const std::vector<int32_t>& labels, int32_t classes) {
  std::vector<int64_t> hits(static_cast<size_t>(classes), 0), totals(hits);
  for (size_t i = 0; i < labels.size() && i < predictions.size(); ++i) {
    const auto c = static_cast<size_t>(labels[i]);
    if (c >= totals.size()) continue;
    ++totals[c];
    hits[c] += predictions[i] == labels[i];
  }
  double recall_sum = 0;
  int present = 0;
  for (size_t c = 0; c < totals.size(); ++c) {
    if (totals[c] == 0) continue;
    recall_sum += static_cast<double>(hits[c]) / static_cast<double>(totals[c]);
    ++present;
  }
  return present > 0 ? recall_sum / present : 0;
}

std::string check_tokens(const IntegerModel& model, const data::Sequences& sequences) {
  if (model.embedding.vocabulary == 0) return {};
  const std::string error = sequences.token_error(model.embedding.vocabulary);
  return error.empty() ? error : error + " (the model's vocabulary)";
}

int32_t argmax(const int32_t* values, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

EngineEvaluation evaluate(const IntegerModel& model, const data::Sequences& sequences,
                          const EvaluateOptions& options) {
  if (const std::string error = check_model(model); !error.empty()) {
    throw std::invalid_argument("invalid integer model: " + error);
  }
  if (model.per_step || sequences.outputs > 0) {
    throw std::invalid_argument(
        "evaluate scores classifiers; a per-step model (task se) is scored by its gains' SI-SDR "
        "and STOI (GruEngine::run_gains)");
  }
  if (sequences.features != model.sequence_features()) {
    throw std::invalid_argument("model expects " + std::to_string(model.sequence_features()) +
                                " features per step, data has " +
                                std::to_string(sequences.features));
  }
  if (const std::string error = check_tokens(model, sequences); !error.empty()) {
    throw std::invalid_argument(error);
  }
  EngineEvaluation out;
  out.count = sequences.count();
  out.predictions.resize(static_cast<size_t>(out.count));
  const auto classes = static_cast<size_t>(model.classes);
  if (options.keep_logits) out.logits.resize(static_cast<size_t>(out.count) * classes);
  const int workers =
      static_cast<int>(std::clamp<int64_t>(options.threads, 1, std::max<int64_t>(1, out.count)));
  const KernelPath path = options.path ? *options.path : default_path();
  // Worker w takes the contiguous rows [w * count / workers, (w + 1) * count / workers) and writes
  // only those: no sharing, and each row's result is the same whichever worker computed it.
  auto work = [&](int w) {
    const int64_t first = out.count * w / workers, last = out.count * (w + 1) / workers;
    std::vector<int32_t> scratch;
    if (options.kernels == Kernels::reference || options.batch <= 0) {
      GruEngine engine(model, options.kernels);
      scratch.resize(classes);
      for (int64_t i = first; i < last; ++i) {
        engine.run(sequences.sequence(i), static_cast<int32_t>(sequences.steps), scratch.data());
        out.predictions[static_cast<size_t>(i)] = argmax(scratch.data(), model.classes);
        if (options.keep_logits) {
          std::copy(
              scratch.begin(), scratch.end(),
              out.logits.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(i) * classes));
        }
      }
      return;
    }
    BatchEngine engine(model, path, options.batch);
    scratch.resize(static_cast<size_t>(engine.max_batch()) * classes);
    const int64_t stride = sequences.steps * sequences.features;
    for (int64_t i = first; i < last; i += engine.max_batch()) {
      const auto count = static_cast<int32_t>(std::min<int64_t>(engine.max_batch(), last - i));
      engine.run(sequences.sequence(i), stride, count, static_cast<int32_t>(sequences.steps),
                 scratch.data());
      for (int32_t b = 0; b < count; ++b) {
        const int32_t* logits = scratch.data() + static_cast<size_t>(b) * classes;
        const auto row = static_cast<size_t>(i + b);
        out.predictions[row] = argmax(logits, model.classes);
        if (options.keep_logits) {
          std::copy(logits, logits + classes,
                    out.logits.begin() + static_cast<std::ptrdiff_t>(row * classes));
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (int64_t i = 0; i < out.count; ++i) {
    out.correct +=
        out.predictions[static_cast<size_t>(i)] == sequences.labels[static_cast<size_t>(i)];
  }
  out.accuracy =
      out.count > 0 ? static_cast<double>(out.correct) / static_cast<double>(out.count) : 0;
  out.balanced_accuracy = balanced_accuracy(out.predictions, sequences.labels, model.classes);
  return out;
}

}  // namespace mpgru::engine
