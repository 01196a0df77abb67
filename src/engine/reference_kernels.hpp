// Reference integer kernels: plain loops, obviously right, one per operator. Optimized kernels
// elsewhere must be bit-exact with these. Inputs must lie in their QuantPoint's range (the model
// passed check_model); outputs are clamped to the op's output range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/model.hpp"

namespace mpgru::engine::ref {

inline int32_t clamp_to(const QuantPoint& p, int32_t v) {
  return v < p.qmin() ? p.qmin() : (v > p.qmax() ? p.qmax() : v);
}

// Round half away from zero of x / scale, clamped to p's range: how float inputs enter.
int32_t quantize(const QuantPoint& p, double x);

// y[c] = clamp(apply(bias[c] + sum_j w[c][j] * x[j], multipliers[c])), c < rows. No overflow:
// check_model proved the worst-case accumulator fits int32. `acc` is scratch of rows entries:
// one loop forms the accumulators, a second requantizes them.
void linear(const QuantizedLinear& l, const int16_t* x, int16_t* y, int32_t* acc);

// Row `token` (in [0, vocabulary)) of the embedding on the input grid:
// x[f] = clamp_input(apply(table[token][f], to_input)), f < dim.
void embedding_row(const QuantizedEmbedding& e, const QuantPoint& input, int32_t token, int16_t* x);

// clamp(add_rescaled(qa, qb)).
inline int32_t add(const QuantizedAdd& a, int32_t qa, int32_t qb) {
  return clamp_to(a.output, quant::add_rescaled(qa, qb, a.params));
}

// clamp(apply(qa * qb, multiplier)); |qa * qb| <= 255 * 127 fits int32.
inline int32_t mul(const QuantizedMul& m, int32_t qa, int32_t qb) {
  return clamp_to(m.output, quant::apply_multiplier(qa * qb, m.multiplier));
}

// table[q - qmin].
inline int32_t lut(const Lut& l, int32_t q) {
  return l.table[static_cast<size_t>(q - l.input.qmin())];
}

// The element-wise operators over n entries: out[c] = op(a[c], b[c]) with the scalar kernels
// above. Output buffers must not overlap the inputs.
void add(const QuantizedAdd& op, const int16_t* a, const int16_t* b, int16_t* out, size_t n);
void mul(const QuantizedMul& op, const int16_t* a, const int16_t* b, int16_t* out, size_t n);
void lut(const Lut& op, const int16_t* in, int16_t* out, size_t n);
// out[c] = one - in[c]: 1 - z on z's grid, exact (one = qmax of z's unsigned range).
void one_minus(int32_t one, const int16_t* in, int16_t* out, size_t n);

// Scratch buffers of one GRU step, hidden entries each: the six linear outputs, the gates,
// two temporaries and the int32 accumulators.
struct StepScratch {
  explicit StepScratch(int32_t hidden);
  std::vector<int16_t> ai[3];
  std::vector<int16_t> ah[3];
  std::vector<int16_t> r, z, n, t, u;
  std::vector<int32_t> acc;
};

// One time step: h (hidden entries, in/out) <- GRU(x, h); scratch sized for layer.hidden.
void gru_step(const GruLayer& layer, const int16_t* x, int16_t* h, StepScratch& scratch);

}  // namespace mpgru::engine::ref
