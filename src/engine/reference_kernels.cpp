// Reference integer kernels of the GRU operators.
#include "engine/reference_kernels.hpp"

#include <cmath>

namespace mpgru::engine::ref {

int32_t quantize(const QuantPoint& p, double x) {
  const double q = std::round(x / p.scale);  // std::round: ties away from zero
  if (q <= p.qmin()) return p.qmin();
  if (q >= p.qmax()) return p.qmax();
  return static_cast<int32_t>(q);
}

void linear(const QuantizedLinear& l, const int16_t* x, int16_t* y, int32_t* acc) {
  const auto rows = static_cast<size_t>(l.rows), cols = static_cast<size_t>(l.cols);
  for (size_t c = 0; c < rows; ++c) {
    const int8_t* w = l.weights.data() + c * cols;
    int32_t sum = l.bias[c];
    for (size_t j = 0; j < cols; ++j) sum += int32_t{w[j]} * int32_t{x[j]};
    acc[c] = sum;
  }
  for (size_t c = 0; c < rows; ++c) {
    y[c] =
        static_cast<int16_t>(clamp_to(l.output, quant::apply_multiplier(acc[c], l.multipliers[c])));
  }
}

void embedding_row(const QuantizedEmbedding& e, const QuantPoint& input, int32_t token,
                   int16_t* x) {
  const int8_t* row = e.table.data() + static_cast<size_t>(token) * static_cast<size_t>(e.dim);
  for (int32_t f = 0; f < e.dim; ++f) {
    x[f] = static_cast<int16_t>(clamp_to(input, quant::apply_multiplier(row[f], e.to_input)));
  }
}

void add(const QuantizedAdd& op, const int16_t* a, const int16_t* b, int16_t* out, size_t n) {
  for (size_t c = 0; c < n; ++c) out[c] = static_cast<int16_t>(add(op, a[c], b[c]));
}

void mul(const QuantizedMul& op, const int16_t* a, const int16_t* b, int16_t* out, size_t n) {
  for (size_t c = 0; c < n; ++c) out[c] = static_cast<int16_t>(mul(op, a[c], b[c]));
}

void lut(const Lut& op, const int16_t* in, int16_t* out, size_t n) {
  for (size_t c = 0; c < n; ++c) out[c] = static_cast<int16_t>(lut(op, in[c]));
}

void one_minus(int32_t one, const int16_t* in, int16_t* out, size_t n) {
  for (size_t c = 0; c < n; ++c) out[c] = static_cast<int16_t>(one - in[c]);
}

StepScratch::StepScratch(int32_t hidden) {
  for (std::vector<int16_t>* v :
       {&ai[0], &ai[1], &ai[2], &ah[0], &ah[1], &ah[2], &r, &z, &n, &t, &u}) {
    v->resize(static_cast<size_t>(hidden));
  }
  acc.resize(static_cast<size_t>(hidden));
}

// One operator after another over the hidden vector, in the order of the equations
// (docs/quantization.md): r, z, r * (W_hn h), n, (1 - z) * n, z * h, h.
void gru_step(const GruLayer& layer, const int16_t* x, int16_t* h, StepScratch& s) {
  for (int g = 0; g < 3; ++g) {
    linear(layer.lin_i[g], x, s.ai[g].data(), s.acc.data());
    linear(layer.lin_h[g], h, s.ah[g].data(), s.acc.data());
  }
  const size_t n = static_cast<size_t>(layer.hidden);
  add(layer.sum[kGateR], s.ai[kGateR].data(), s.ah[kGateR].data(), s.t.data(), n);
  lut(layer.act[kGateR], s.t.data(), s.r.data(), n);
  add(layer.sum[kGateZ], s.ai[kGateZ].data(), s.ah[kGateZ].data(), s.t.data(), n);
  lut(layer.act[kGateZ], s.t.data(), s.z.data(), n);
  mul(layer.mul_rn, s.r.data(), s.ah[kGateN].data(), s.t.data(), n);
  add(layer.sum[kGateN], s.ai[kGateN].data(), s.t.data(), s.u.data(), n);
  lut(layer.act[kGateN], s.u.data(), s.n.data(), n);
  one_minus(layer.act[kGateZ].output.qmax(), s.z.data(), s.u.data(), n);
  mul(layer.mul_un, s.u.data(), s.n.data(), s.t.data(), n);
  mul(layer.mul_zh, s.z.data(), h, s.r.data(), n);  // r is free now
  add(layer.h_add, s.t.data(), s.r.data(), h, n);
}

}  // namespace mpgru::engine::ref
