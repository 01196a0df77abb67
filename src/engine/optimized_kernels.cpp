// Optimized integer kernels (see the header for what differs from the reference, and why the
// results are identical).
#include "engine/optimized_kernels.hpp"

#include "core/vectorize.hpp"

#include <algorithm>

namespace mpgru::engine::opt {
namespace {

PreparedLinear prepare_linear(const QuantizedLinear& l) {
  PreparedLinear p;
  p.rows = l.rows;
  p.cols = l.cols;
  p.source = &l;
  p.bias = l.bias;
  p.weights_t.resize(l.weights.size());
  const auto rows = static_cast<size_t>(l.rows), cols = static_cast<size_t>(l.cols);
  for (size_t c = 0; c < rows; ++c) {
    for (size_t j = 0; j < cols; ++j) p.weights_t[j * rows + c] = l.weights[c * cols + j];
  }
  return p;
}

std::vector<int32_t> contribution_table(const QuantPoint& in, const quant::Multiplier& m) {
  std::vector<int32_t> t;
  for (int32_t q = in.qmin(); q <= in.qmax(); ++q) {
    t.push_back(quant::apply_multiplier(quant::saturating_left_shift(q, quant::kAddLeftShift), m));
  }
  return t;
}

}  // namespace

AddTable prepare_add(const QuantizedAdd& a) {
  return {contribution_table(a.a, a.params.a), contribution_table(a.b, a.params.b), &a};
}

PreparedModel prepare(const IntegerModel& model) {
  PreparedModel p;
  for (const GruLayer& layer : model.layers) {
    PreparedLayer l;
    for (int g = 0; g < 3; ++g) {
      l.lin_i[g] = prepare_linear(layer.lin_i[g]);
      l.lin_h[g] = prepare_linear(layer.lin_h[g]);
      l.sum[g] = prepare_add(layer.sum[g]);
    }
    l.h_add = prepare_add(layer.h_add);
    p.layers.push_back(std::move(l));
  }
  p.classifier = prepare_linear(model.classifier);
  return p;
}

MPGRU_TARGET_CLONES void linear(const PreparedLinear& l, const int16_t* x, int16_t* y,
                                int32_t* acc) {
  const auto rows = static_cast<size_t>(l.rows);
  for (size_t c = 0; c < rows; ++c) acc[c] = l.bias[c];
  for (size_t j = 0; j < static_cast<size_t>(l.cols); ++j) {
    const int32_t xj = x[j];
    if (xj == 0) continue;
    const int16_t* w = l.weights_t.data() + j * rows;
    for (size_t c = 0; c < rows; ++c) acc[c] += int32_t{w[c]} * xj;
  }
  const QuantizedLinear& s = *l.source;
  for (size_t c = 0; c < rows; ++c) {
    y[c] = static_cast<int16_t>(
        ref::clamp_to(s.output, quant::apply_multiplier(acc[c], s.multipliers[c])));
  }
}

StepScratch::StepScratch(int32_t hidden)
    : base(hidden), acc(static_cast<size_t>(hidden)), sum(static_cast<size_t>(hidden)) {}

// Each pass is one operator over the hidden vector with restrict-qualified pointers, so the
// compiler vectorizes it (gathers for the tables, 64-bit products for the multipliers).
MPGRU_TARGET_CLONES void add_pass(const AddTable& t, const int16_t* __restrict qa,
                                  const int16_t* __restrict qb, int16_t* __restrict out,
                                  int32_t* __restrict sum, size_t n) {
  const QuantizedAdd& s = *t.source;
  const int32_t* __restrict a = t.a.data() - s.a.qmin();
  const int32_t* __restrict b = t.b.data() - s.b.qmin();
  for (size_t c = 0; c < n; ++c) sum[c] = a[qa[c]] + b[qb[c]];
  const int32_t lo = s.output.qmin(), hi = s.output.qmax();
  const quant::Multiplier m = s.params.out;
  for (size_t c = 0; c < n; ++c) {
    out[c] = static_cast<int16_t>(std::clamp(quant::apply_multiplier(sum[c], m), lo, hi));
  }
}

// ref::quantize without the libm call: v is clamped to [qmin - 1, qmax + 1] first (rounding then
// clamping gives the same as ref::quantize's clamp of the rounded value), truncated, and the
// exact fraction v - trunc(v) decides the rounding away from zero at +-0.5, as std::round does.
MPGRU_TARGET_CLONES void quantize_pass(const QuantPoint& p, const float* __restrict x,
                                       int16_t* __restrict out, size_t n) {
  const double scale = p.scale;
  const int32_t lo = p.qmin(), hi = p.qmax();
  const double vlo = lo - 1.0, vhi = hi + 1.0;
  for (size_t i = 0; i < n; ++i) {
    const double v = std::min(std::max(static_cast<double>(x[i]) / scale, vlo), vhi);
    const auto t = static_cast<int32_t>(v);  // toward zero
    const double fraction = v - static_cast<double>(t);
    const int32_t r = t + (fraction >= 0.5 ? 1 : 0) - (fraction <= -0.5 ? 1 : 0);
    out[i] = static_cast<int16_t>(std::min(std::max(r, lo), hi));
  }
}

MPGRU_TARGET_CLONES void lut_pass(const Lut& l, const int16_t* __restrict in,
                                  int16_t* __restrict out, size_t n) {
  const int16_t* __restrict table = l.table.data() - l.input.qmin();  // table[q] = ref::lut(l, q)
  for (size_t c = 0; c < n; ++c) out[c] = table[in[c]];
}

// out = clamp(apply((a_offset - a) * b)) when negate_a, else clamp(apply(a * b)).
MPGRU_TARGET_CLONES void mul_pass(const QuantizedMul& m, const int16_t* __restrict a,
                                  const int16_t* __restrict b, int16_t* __restrict out, size_t n,
                                  int32_t a_offset, bool negate_a) {
  const int32_t lo = m.output.qmin(), hi = m.output.qmax();
  const quant::Multiplier mult = m.multiplier;
  const int32_t sign = negate_a ? -1 : 1;
  for (size_t c = 0; c < n; ++c) {
    const int32_t qa = a_offset + sign * a[c];
    out[c] = static_cast<int16_t>(std::clamp(quant::apply_multiplier(qa * b[c], mult), lo, hi));
  }
}

void gru_step(const GruLayer& layer, const PreparedLayer& p, const int16_t* x, int16_t* h,
              StepScratch& scratch) {
  ref::StepScratch& s = scratch.base;
  for (int g = 0; g < 3; ++g) {
    linear(p.lin_i[g], x, s.ai[g].data(), scratch.acc.data());
    linear(p.lin_h[g], h, s.ah[g].data(), scratch.acc.data());
  }
  const size_t n = static_cast<size_t>(layer.hidden);
  int32_t* sum = scratch.sum.data();
  add_pass(p.sum[kGateR], s.ai[kGateR].data(), s.ah[kGateR].data(), s.t.data(), sum, n);
  lut_pass(layer.act[kGateR], s.t.data(), s.r.data(), n);
  add_pass(p.sum[kGateZ], s.ai[kGateZ].data(), s.ah[kGateZ].data(), s.t.data(), sum, n);
  lut_pass(layer.act[kGateZ], s.t.data(), s.z.data(), n);
  mul_pass(layer.mul_rn, s.r.data(), s.ah[kGateN].data(), s.t.data(), n, 0, false);
  add_pass(p.sum[kGateN], s.ai[kGateN].data(), s.t.data(), s.r.data(), sum, n);  // r is free
  lut_pass(layer.act[kGateN], s.r.data(), s.n.data(), n);
  const int32_t z_one = layer.act[kGateZ].output.qmax();  // 1 - z = qmax - q_z
  mul_pass(layer.mul_un, s.z.data(), s.n.data(), s.t.data(), n, z_one, true);
  mul_pass(layer.mul_zh, s.z.data(), h, s.r.data(), n, 0, false);
  add_pass(p.h_add, s.t.data(), s.r.data(), h, sum, n);
}

}  // namespace mpgru::engine::opt
