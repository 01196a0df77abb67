// The batched integer GRU: the operators of ref::gru_step in the same order, each over the batch.
#include "engine/batch_engine.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/elementwise_avx512.hpp"
#include "engine/reference_kernels.hpp"
#include "quant/float_gru.hpp"

namespace mpgru::engine {

BatchEngine::BatchEngine(const IntegerModel& model, KernelPath path, int32_t max_batch)
    : model_(model), path_(path), max_batch_(std::max(max_batch, 1)) {
  if (!is_supported(path)) {
    throw std::invalid_argument(std::string("kernel path ") + to_string(path) +
                                " is not supported by this CPU");
  }
  const auto rows = static_cast<size_t>(max_batch_);
  size_t widest = static_cast<size_t>(model.features), most_rows = 0, hidden = 0;
  for (const GruLayer& g : model.layers) {
    Layer l;
    l.input = PackedLinear({&g.lin_i[0], &g.lin_i[1], &g.lin_i[2]}, path);
    l.hidden = PackedLinear({&g.lin_h[0], &g.lin_h[1], &g.lin_h[2]}, path);
    for (int gate = 0; gate < 3; ++gate) l.sum[gate] = opt::prepare_add(g.sum[gate]);
    l.h_add = opt::prepare_add(g.h_add);
    for (int gate = 0; gate < 3; ++gate) {
      l.lut256[gate].assign(256, 0);
      std::copy(g.act[gate].table.begin(), g.act[gate].table.end(), l.lut256[gate].begin());
    }
    l.h.assign(rows * static_cast<size_t>(g.hidden), 0);
    widest = std::max({widest, l.input.input_bytes_per_row(), l.hidden.input_bytes_per_row()});
    most_rows = std::max({most_rows, static_cast<size_t>(l.input.padded_rows()),
                          static_cast<size_t>(l.hidden.padded_rows())});
    hidden = std::max(hidden, static_cast<size_t>(g.hidden));
    layers_.push_back(std::move(l));
  }
  input_.assign(rows * static_cast<size_t>(model.features), 0);
  packed_.resize(rows * widest);
  acc_.resize(rows * most_rows);
  for (std::vector<int16_t>* v :
       {&ai_[0], &ai_[1], &ai_[2], &ah_[0], &ah_[1], &ah_[2], &r_, &z_, &n_, &t_}) {
    v->assign(rows * hidden, 0);
  }
  sum_.assign(rows * hidden, 0);
  logits16_.resize(static_cast<size_t>(model.classes));
  logits_acc_.resize(static_cast<size_t>(model.classes));
}

// The x gene's integers of step t of every sequence.
void BatchEngine::load_step(const float* sequences, int64_t stride, int32_t count, int32_t t) {
  const auto features = static_cast<size_t>(model_.features);
  const auto per_step = static_cast<size_t>(model_.sequence_features());
  for (size_t b = 0; b < static_cast<size_t>(count); ++b) {
    const float* x = sequences + static_cast<int64_t>(b) * stride +
                     static_cast<int64_t>(t) * static_cast<int64_t>(per_step);
    int16_t* q = input_.data() + b * features;
    if (model_.embedding.vocabulary > 0) {
      ref::embedding_row(model_.embedding, model_.input,
                         quant::token_index(*x, model_.embedding.vocabulary), q);
    } else {
      opt::quantize_pass(model_.input, x, q, features);
    }
  }
}

// One step of layer k for the whole batch, in ref::gru_step's order.
void BatchEngine::layer_step(size_t k, const int16_t* x, int32_t x_stride) {
  const GruLayer& g = model_.layers[k];
  Layer& l = layers_[k];
  l.input.pack_input(x, batch_, x_stride, packed_.data());
  int16_t* const ai[3] = {ai_[0].data(), ai_[1].data(), ai_[2].data()};
  l.input.multiply_requantize(packed_.data(), batch_, acc_.data(), ai);
  l.hidden.pack_input(l.h.data(), batch_, g.hidden, packed_.data());
  int16_t* const ah[3] = {ah_[0].data(), ah_[1].data(), ah_[2].data()};
  l.hidden.multiply_requantize(packed_.data(), batch_, acc_.data(), ah);
  const size_t n = static_cast<size_t>(batch_) * static_cast<size_t>(g.hidden);
  add(l.sum[kGateR], ai_[kGateR].data(), ah_[kGateR].data(), t_.data(), n);
  lut(g.act[kGateR], l.lut256[kGateR], t_.data(), r_.data(), n);
  add(l.sum[kGateZ], ai_[kGateZ].data(), ah_[kGateZ].data(), t_.data(), n);
  lut(g.act[kGateZ], l.lut256[kGateZ], t_.data(), z_.data(), n);
  mul(g.mul_rn, r_.data(), ah_[kGateN].data(), t_.data(), n, 0, false);
  add(l.sum[kGateN], ai_[kGateN].data(), t_.data(), r_.data(), n);  // r is free
  lut(g.act[kGateN], l.lut256[kGateN], r_.data(), n_.data(), n);
  const int32_t z_one = g.act[kGateZ].output.qmax();  // 1 - z = qmax - q_z
  mul(g.mul_un, z_.data(), n_.data(), t_.data(), n, z_one, true);
  mul(g.mul_zh, z_.data(), l.h.data(), r_.data(), n, 0, false);
  add(l.h_add, t_.data(), r_.data(), l.h.data(), n);
}

void BatchEngine::add(const opt::AddTable& t, const int16_t* a, const int16_t* b, int16_t* out,
                      size_t n) {
  if (path_ == KernelPath::avx512_vnni) {
    kernels::add_avx512(t, a, b, out, n);
  } else {
    opt::add_pass(t, a, b, out, sum_.data(), n);
  }
}

void BatchEngine::mul(const QuantizedMul& m, const int16_t* a, const int16_t* b, int16_t* out,
                      size_t n, int32_t a_offset, bool negate_a) {
  if (path_ == KernelPath::avx512_vnni) {
    kernels::mul_avx512(m, a, b, out, n, a_offset, negate_a);
  } else {
    opt::mul_pass(m, a, b, out, n, a_offset, negate_a);
  }
}

void BatchEngine::lut(const Lut& l, const std::vector<int16_t>& table256, const int16_t* in,
                      int16_t* out, size_t n) {
  if (path_ == KernelPath::avx512_vnni) {
    kernels::lut_avx512(l, table256.data(), in, out, n);
  } else {
    opt::lut_pass(l, in, out, n);
  }
}

void BatchEngine::network_step() {
  const int16_t* x = input_.data();
  int32_t x_stride = model_.features;
  for (size_t k = 0; k < layers_.size(); ++k) {
    layer_step(k, x, x_stride);
    x = layers_[k].h.data();
    x_stride = model_.layers[k].hidden;
  }
}

void BatchEngine::classify(size_t b, int32_t* out) {
  const auto hidden = static_cast<size_t>(model_.hidden());
  ref::linear(model_.classifier, layers_.back().h.data() + b * hidden, logits16_.data(),
              logits_acc_.data());
  std::copy(logits16_.begin(), logits16_.end(), out);
}

void BatchEngine::run(const float* sequences, int64_t stride, int32_t count, int32_t steps,
                      int32_t* logits) {
  if (count < 1 || count > max_batch_) {
    throw std::invalid_argument("BatchEngine::run: count " + std::to_string(count) +
                                " outside 1.." + std::to_string(max_batch_));
  }
  batch_ = count;
  for (Layer& l : layers_) std::fill(l.h.begin(), l.h.end(), int16_t{0});
  for (int32_t t = 0; t < steps; ++t) {
    load_step(sequences, stride, count, t);
    network_step();
  }
  const auto classes = static_cast<size_t>(model_.classes);
  for (size_t b = 0; b < static_cast<size_t>(count); ++b) classify(b, logits + b * classes);
}

void BatchEngine::run_gains(const float* sequences, int64_t stride, int32_t count, int32_t steps,
                            int32_t* gains) {
  if (!model_.per_step) {
    throw std::logic_error("BatchEngine::run_gains: the model has no per-step head");
  }
  if (count < 1 || count > max_batch_) {
    throw std::invalid_argument("BatchEngine::run_gains: count " + std::to_string(count) +
                                " outside 1.." + std::to_string(max_batch_));
  }
  batch_ = count;
  for (Layer& l : layers_) std::fill(l.h.begin(), l.h.end(), int16_t{0});
  const auto classes = static_cast<size_t>(model_.classes);
  const Lut& head = model_.head;
  for (int32_t t = 0; t < steps; ++t) {
    load_step(sequences, stride, count, t);
    network_step();
    for (size_t b = 0; b < static_cast<size_t>(count); ++b) {
      int32_t* out = gains + (b * static_cast<size_t>(steps) + static_cast<size_t>(t)) * classes;
      classify(b, out);
      // The classifier's output clamps to the out grid, which the head's table covers entirely
      // (check_model: head input = classifier output).
      for (size_t c = 0; c < classes; ++c) {
        out[c] = head.table[static_cast<size_t>(out[c] - head.input.qmin())];
      }
    }
  }
}

}  // namespace mpgru::engine
