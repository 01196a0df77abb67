// Plain float GRU forward pass with observation points.
#include "quant/float_gru.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace mpgru::quant {
namespace {

using core::Op;

// Every value finite: a NaN or infinity would quantize to an undefined integer.
void check_finite(const std::vector<float>& values, const std::string& what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw std::invalid_argument(what + " " + std::to_string(i) + " is " +
                                  (std::isnan(values[i]) ? "NaN" : "infinite") +
                                  " (the float model is corrupt)");
    }
  }
}

void check_linear(const FloatLinear& l, int32_t rows, int32_t cols, const std::string& what) {
  if (l.rows != rows || l.cols != cols ||
      l.weights.size() != static_cast<size_t>(rows) * static_cast<size_t>(cols) ||
      l.bias.size() != static_cast<size_t>(rows)) {
    throw std::invalid_argument(what + ": expected " + std::to_string(rows) + "x" +
                                std::to_string(cols) + " weights and " + std::to_string(rows) +
                                " biases");
  }
  check_finite(l.weights, what + " weight");
  check_finite(l.bias, what + " bias");
}

void apply_linear(const FloatLinear& l, const float* x, float* y) {
  for (int32_t c = 0; c < l.rows; ++c) {
    const float* w = l.weights.data() + static_cast<size_t>(c) * static_cast<size_t>(l.cols);
    float acc = l.bias[static_cast<size_t>(c)];
    for (int32_t j = 0; j < l.cols; ++j) acc += w[j] * x[j];
    y[c] = acc;
  }
}

float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

struct LayerBuffers {
  explicit LayerBuffers(size_t hidden) {
    for (auto* v : {&ai, &ah, &sum, &act}) {
      for (auto& g : *v) g.resize(hidden);
    }
    for (auto* v : {&rn, &un, &zh}) v->resize(hidden);
  }
  std::vector<float> ai[3], ah[3], sum[3], act[3];
  std::vector<float> rn, un, zh;
};

void step(const FloatGruLayer& l, int k, const float* x, std::vector<float>& h, LayerBuffers& b,
          const PointObserver* observe) {
  const auto n = static_cast<size_t>(l.hidden);
  for (int g = 0; g < 3; ++g) {
    apply_linear(l.lin_i[g], x, b.ai[g].data());
    apply_linear(l.lin_h[g], h.data(), b.ah[g].data());
  }
  for (size_t c = 0; c < n; ++c) {
    b.sum[0][c] = b.ai[0][c] + b.ah[0][c];
    b.sum[1][c] = b.ai[1][c] + b.ah[1][c];
    b.act[0][c] = sigmoid(b.sum[0][c]);
    b.act[1][c] = sigmoid(b.sum[1][c]);
    b.rn[c] = b.act[0][c] * b.ah[2][c];
    b.sum[2][c] = b.ai[2][c] + b.rn[c];
    b.act[2][c] = std::tanh(b.sum[2][c]);
    b.un[c] = (1.0f - b.act[1][c]) * b.act[2][c];
    b.zh[c] = b.act[1][c] * h[c];
    h[c] = b.un[c] + b.zh[c];
  }
  if (observe == nullptr) return;
  for (int g = 0; g < 3; ++g) {
    (*observe)(core::kInputLinearOps[g], k, b.ai[g].data(), n);
    (*observe)(core::kRecurrentLinearOps[g], k, b.ah[g].data(), n);
    (*observe)(core::kSumOps[g], k, b.sum[g].data(), n);
    (*observe)(core::kActOps[g], k, b.act[g].data(), n);
  }
  (*observe)(Op::mul_rn, k, b.rn.data(), n);
  (*observe)(Op::mul_un, k, b.un.data(), n);
  (*observe)(Op::mul_zh, k, b.zh.data(), n);
  (*observe)(Op::h, k, h.data(), n);
}

}  // namespace

std::string describe_inputs(int64_t vocabulary) {
  return vocabulary > 0 ? "token ids of a " + std::to_string(vocabulary) + "-token vocabulary"
                        : std::string("real features");
}

std::string input_mismatch(int64_t vocabulary, int32_t sequence_features,
                           const data::Dataset& dataset) {
  if (dataset.vocabulary() != vocabulary) {
    return "reads " + describe_inputs(vocabulary) + ", task " + dataset.name() + " has " +
           describe_inputs(dataset.vocabulary());
  }
  if (dataset.features() != sequence_features) {
    return "expects " + std::to_string(sequence_features) + " features per step, task " +
           dataset.name() + " has " + std::to_string(dataset.features());
  }
  return {};
}

std::string input_mismatch(const FloatGruModel& model, const data::Dataset& dataset) {
  return input_mismatch(model.embedding.vocabulary, sequence_features(model), dataset);
}

int32_t token_index(float value, int32_t vocabulary) {
  if (!(value > 0)) return 0;  // also NaN
  if (value >= static_cast<float>(vocabulary - 1)) return vocabulary - 1;
  return static_cast<int32_t>(value);
}

void validate(const FloatGruModel& m) {
  const bool per_step = m.outputs > 0;
  if (m.features <= 0 || m.layers.empty() || (per_step ? m.classes != 0 : m.classes < 2)) {
    throw std::invalid_argument(
        "float model needs features > 0, a layer, and classes >= 2 (or outputs > 0, classes 0)");
  }
  const FloatEmbedding& e = m.embedding;
  if (e.vocabulary < 0 ||
      (e.vocabulary > 0 &&
       (e.dim != m.features ||
        e.weights.size() != static_cast<size_t>(e.vocabulary) * static_cast<size_t>(e.dim)))) {
    throw std::invalid_argument("embedding: expected " + std::to_string(e.vocabulary) + "x" +
                                std::to_string(m.features) + " weights");
  }
  check_finite(e.weights, "embedding weight");
  int32_t input = m.features;
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const FloatGruLayer& l = m.layers[k];
    const std::string where = "layer " + std::to_string(k) + " ";
    if (l.input_size != input || l.hidden <= 0) throw std::invalid_argument(where + "sizes");
    static const char* gate_name[3] = {"r", "z", "n"};
    for (int g = 0; g < 3; ++g) {
      check_linear(l.lin_i[g], l.hidden, l.input_size, where + "lin_i." + gate_name[g]);
      check_linear(l.lin_h[g], l.hidden, l.hidden, where + "lin_h." + gate_name[g]);
    }
    input = l.hidden;
  }
  check_linear(m.classifier, per_step ? m.outputs : m.classes, input, "classifier");
}

namespace {

// Runs the GRU layers over a sequence; `each_step(t, h)` sees the last layer's hidden state after
// every step. Returns the last layer's final hidden state.
std::vector<float> run_layers(const FloatGruModel& m, const float* sequence, int32_t steps,
                              const PointObserver* observer,
                              const std::function<void(int32_t, const float*)>& each_step) {
  std::vector<std::vector<float>> h;
  std::vector<LayerBuffers> buffers;
  for (const FloatGruLayer& l : m.layers) {
    h.emplace_back(static_cast<size_t>(l.hidden), 0.0f);
    buffers.emplace_back(static_cast<size_t>(l.hidden));
  }
  const auto features = static_cast<size_t>(m.features);
  const auto stride = static_cast<size_t>(sequence_features(m));
  const FloatEmbedding& e = m.embedding;
  for (int32_t t = 0; t < steps; ++t) {
    const float* x = sequence + static_cast<size_t>(t) * stride;
    if (e.vocabulary > 0) {
      x = e.weights.data() + static_cast<size_t>(token_index(*x, e.vocabulary)) * features;
    }
    if (observer != nullptr) (*observer)(Op::x, 0, x, features);
    for (size_t k = 0; k < m.layers.size(); ++k) {
      step(m.layers[k], static_cast<int>(k), x, h[k], buffers[k], observer);
      x = h[k].data();
    }
    if (each_step) each_step(t, h.back().data());
  }
  return std::move(h.back());
}

}  // namespace

void forward(const FloatGruModel& m, const float* sequence, int32_t steps, float* logits,
             const PointObserver* observer) {
  if (m.outputs > 0) throw std::invalid_argument("forward: a per-step model: use forward_steps");
  const std::vector<float> h = run_layers(m, sequence, steps, observer, nullptr);
  apply_linear(m.classifier, h.data(), logits);
  if (observer != nullptr) (*observer)(Op::out, -1, logits, static_cast<size_t>(m.classes));
}

void forward_steps(const FloatGruModel& m, const float* sequence, int32_t steps, float* out,
                   const PointObserver* observer) {
  if (m.outputs <= 0) throw std::invalid_argument("forward_steps: the model is a classifier");
  run_layers(m, sequence, steps, observer, [&](int32_t t, const float* h) {
    float* y = out + static_cast<size_t>(t) * static_cast<size_t>(m.outputs);
    apply_linear(m.classifier, h, y);
    if (observer != nullptr) (*observer)(Op::out, -1, y, static_cast<size_t>(m.outputs));
    for (int32_t o = 0; o < m.outputs; ++o) y[o] = 1.0f / (1.0f + std::exp(-y[o]));
  });
}

}  // namespace mpgru::quant

namespace mpgru::quant {

double float_accuracy(const FloatGruModel& model, const data::Sequences& sequences, int threads) {
  validate(model);
  const int64_t n = sequences.count();
  if (n == 0) return 0;
  const int workers = std::max(1, threads);
  std::vector<int64_t> correct(static_cast<size_t>(workers), 0);
  auto work = [&](int w) {
    std::vector<float> logits(static_cast<size_t>(model.classes));
    for (int64_t i = w; i < n; i += workers) {
      forward(model, sequences.sequence(i), static_cast<int32_t>(sequences.steps), logits.data());
      const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
      correct[static_cast<size_t>(w)] += best == sequences.labels[static_cast<size_t>(i)];
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  int64_t total = 0;
  for (int64_t c : correct) total += c;
  return static_cast<double>(total) / static_cast<double>(n);
}

}  // namespace mpgru::quant
