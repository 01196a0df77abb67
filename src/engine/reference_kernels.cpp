// Reference integer kernels of the GRU operators.
#include "engine/reference_kernels.hpp"

#include "core/vectorize.hpp"

#include <cmath>

namespace mpgru::engine::ref {

int32_t quantize(const QuantPoint& p, double x) {
  const double q = std::round(x / p.scale);  // std::round: ties away from zero
  if (q <= p.qmin()) return p.qmin();
  if (q >= p.qmax()) return p.qmax();
  return static_cast<int32_t>(q);
}

// The plain loop compiled per instruction set: only the compiler's vectorization of the
// int8 x int16 dot product differs; integer results are identical.
MPGRU_TARGET_CLONES void linear(const QuantizedLinear& l, const int16_t* x, int16_t* y) {
  for (int32_t c = 0; c < l.rows; ++c) {
    const int8_t* w = l.weights.data() + static_cast<size_t>(c) * static_cast<size_t>(l.cols);
    int32_t acc = 0;
    for (int32_t j = 0; j < l.cols; ++j) acc += int32_t{w[j]} * int32_t{x[j]};
    acc += l.bias[static_cast<size_t>(c)];
    y[c] = static_cast<int16_t>(
        clamp_to(l.output, quant::apply_multiplier(acc, l.multipliers[static_cast<size_t>(c)])));
  }
}

void embedding_row(const QuantizedEmbedding& e, const QuantPoint& input, int32_t token,
                   int16_t* x) {
  const int8_t* row = e.table.data() + static_cast<size_t>(token) * static_cast<size_t>(e.dim);
  for (int32_t f = 0; f < e.dim; ++f) {
    x[f] = static_cast<int16_t>(clamp_to(input, quant::apply_multiplier(row[f], e.to_input)));
  }
}

StepScratch::StepScratch(int32_t hidden) {
  for (std::vector<int16_t>* v : {&ai[0], &ai[1], &ai[2], &ah[0], &ah[1], &ah[2], &r, &z, &n, &t}) {
    v->resize(static_cast<size_t>(hidden));
  }
}

// Each operator is one loop over the hidden vector, in the order of the equations.
MPGRU_TARGET_CLONES void gru_step(const GruLayer& layer, const int16_t* x, int16_t* h,
                                  StepScratch& s) {
  for (int g = 0; g < 3; ++g) {
    linear(layer.lin_i[g], x, s.ai[g].data());
    linear(layer.lin_h[g], h, s.ah[g].data());
  }
  const size_t n = static_cast<size_t>(layer.hidden);
  for (size_t c = 0; c < n; ++c)
    s.t[c] = static_cast<int16_t>(add(layer.sum[kGateR], s.ai[kGateR][c], s.ah[kGateR][c]));
  for (size_t c = 0; c < n; ++c) s.r[c] = static_cast<int16_t>(lut(layer.act[kGateR], s.t[c]));
  for (size_t c = 0; c < n; ++c)
    s.t[c] = static_cast<int16_t>(add(layer.sum[kGateZ], s.ai[kGateZ][c], s.ah[kGateZ][c]));
  for (size_t c = 0; c < n; ++c) s.z[c] = static_cast<int16_t>(lut(layer.act[kGateZ], s.t[c]));
  for (size_t c = 0; c < n; ++c)
    s.t[c] = static_cast<int16_t>(mul(layer.mul_rn, s.r[c], s.ah[kGateN][c]));
  for (size_t c = 0; c < n; ++c)
    s.t[c] = static_cast<int16_t>(add(layer.sum[kGateN], s.ai[kGateN][c], s.t[c]));
  for (size_t c = 0; c < n; ++c) s.n[c] = static_cast<int16_t>(lut(layer.act[kGateN], s.t[c]));
  const int32_t z_one = layer.act[kGateZ].output.qmax();  // 1 - z is exact: qmax - q_z
  for (size_t c = 0; c < n; ++c)
    s.t[c] = static_cast<int16_t>(mul(layer.mul_un, z_one - s.z[c], s.n[c]));
  for (size_t c = 0; c < n; ++c)
    s.r[c] = static_cast<int16_t>(mul(layer.mul_zh, s.z[c], h[c]));  // r is free now
  for (size_t c = 0; c < n; ++c) h[c] = static_cast<int16_t>(add(layer.h_add, s.t[c], s.r[c]));
}

}  // namespace mpgru::engine::ref
