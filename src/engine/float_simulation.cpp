// Float simulation of the integer GRU.
#include "engine/float_simulation.hpp"

#include <cmath>

#include "engine/gru_engine.hpp"
#include "engine/reference_kernels.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::engine {
namespace {

double real(const QuantPoint& p, int32_t q) {
  return p.scale * q;
}

void linear(const QuantizedLinear& l, const std::vector<int32_t>& x, std::vector<int32_t>& y) {
  y.resize(static_cast<size_t>(l.rows));
  for (size_t c = 0; c < static_cast<size_t>(l.rows); ++c) {
    const double ws = l.weight_scales[c];
    double acc = ws * l.input.scale * l.bias[c];
    for (size_t j = 0; j < static_cast<size_t>(l.cols); ++j) {
      acc += ws * l.weights[c * static_cast<size_t>(l.cols) + j] * real(l.input, x[j]);
    }
    y[c] = ref::quantize(l.output, acc);
  }
}

int32_t add(const QuantizedAdd& a, int32_t qa, int32_t qb) {
  return ref::quantize(a.output, real(a.a, qa) + real(a.b, qb));
}

int32_t mul(const QuantizedMul& m, int32_t qa, int32_t qb) {
  return ref::quantize(m.output, real(m.a, qa) * real(m.b, qb));
}

int32_t sigmoid(const Lut& l, int32_t q) {
  return ref::quantize(l.output, 1.0 / (1.0 + std::exp(-real(l.input, q))));
}

int32_t tanh_q(const Lut& l, int32_t q) {
  return ref::quantize(l.output, std::tanh(real(l.input, q)));
}

void step(const GruLayer& l, const std::vector<int32_t>& x, std::vector<int32_t>& h) {
  std::vector<int32_t> ai[3], ah[3];
  for (int g = 0; g < 3; ++g) {
    linear(l.lin_i[g], x, ai[g]);
    linear(l.lin_h[g], h, ah[g]);
  }
  for (size_t c = 0; c < static_cast<size_t>(l.hidden); ++c) {
    const int32_t r = sigmoid(l.act[kGateR], add(l.sum[kGateR], ai[kGateR][c], ah[kGateR][c]));
    const int32_t z = sigmoid(l.act[kGateZ], add(l.sum[kGateZ], ai[kGateZ][c], ah[kGateZ][c]));
    const int32_t rn = mul(l.mul_rn, r, ah[kGateN][c]);
    const int32_t n = tanh_q(l.act[kGateN], add(l.sum[kGateN], ai[kGateN][c], rn));
    // 1 - z in real terms, exactly representable on z's grid.
    const int32_t un =
        ref::quantize(l.mul_un.output, (1.0 - real(l.mul_un.a, z)) * real(l.mul_un.b, n));
    const int32_t zh = mul(l.mul_zh, z, h[c]);
    h[c] = add(l.h_add, un, zh);
  }
}

}  // namespace

FloatSimulation::FloatSimulation(const IntegerModel& model) : model_(model) {
  for (const GruLayer& l : model.layers) hidden_.emplace_back(static_cast<size_t>(l.hidden));
}

void FloatSimulation::run(const float* sequence, int32_t steps, int32_t* logits) {
  for (auto& h : hidden_) std::fill(h.begin(), h.end(), 0);
  std::vector<int32_t> x(static_cast<size_t>(model_.features));
  const auto stride = static_cast<size_t>(model_.sequence_features());
  const QuantizedEmbedding& e = model_.embedding;
  for (int32_t t = 0; t < steps; ++t) {
    const float* in = sequence + static_cast<size_t>(t) * stride;
    if (e.vocabulary > 0) {
      // Dequantize the table row, quantize it on the input grid.
      const size_t row = static_cast<size_t>(quant::token_index(*in, e.vocabulary)) * x.size();
      for (size_t f = 0; f < x.size(); ++f) {
        x[f] = ref::quantize(model_.input, real(e.table_point, e.table[row + f]));
      }
    } else {
      for (size_t f = 0; f < x.size(); ++f) x[f] = ref::quantize(model_.input, in[f]);
    }
    const std::vector<int32_t>* layer_input = &x;
    for (size_t k = 0; k < model_.layers.size(); ++k) {
      step(model_.layers[k], *layer_input, hidden_[k]);
      layer_input = &hidden_[k];
    }
  }
  std::vector<int32_t> out;
  linear(model_.classifier, hidden_.back(), out);
  std::copy(out.begin(), out.end(), logits);
}

int32_t FloatSimulation::predict(const float* sequence, int32_t steps) {
  std::vector<int32_t> logits(static_cast<size_t>(model_.classes));
  run(sequence, steps, logits.data());
  return argmax(logits.data(), model_.classes);
}

std::vector<int32_t> simulate_predictions(const IntegerModel& model,
                                          const data::Sequences& sequences) {
  FloatSimulation sim(model);
  std::vector<int32_t> out;
  for (int64_t i = 0; i < sequences.count(); ++i) {
    out.push_back(sim.predict(sequences.sequence(i), static_cast<int32_t>(sequences.steps)));
  }
  return out;
}

}  // namespace mpgru::engine
