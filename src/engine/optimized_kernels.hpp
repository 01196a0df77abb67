// Optimized integer kernels, bit-exact with reference_kernels.hpp (tested for equality): the
// same integer arithmetic reorganised for speed.
//  - linear: weights transposed to [cols][rows] int16 so the inner loop runs over output
//    channels (vectorizes for any fan-in), zero inputs skipped (sparse sMNIST pixels); integer
//    sums are exact, so the order does not change the result.
//  - add: each input's rescaled contribution apply(q << 20, M) depends on q alone, so it is
//    tabulated per operand (<= 511 int32 entries); the sum and output rescale are unchanged.
//  - the element-wise operators run as one pass each over the hidden vector with restrict
//    pointers, so the compiler vectorizes them; each pass is compiled for AVX-512, AVX2 and
//    baseline x86-64 and picked at load time by CPU features (GCC target_clones).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model.hpp"
#include "engine/reference_kernels.hpp"

namespace mpgru::engine::opt {

struct PreparedLinear {
  int32_t rows = 0;
  int32_t cols = 0;
  std::vector<int16_t> weights_t;  // cols * rows: weights_t[j * rows + c] = w[c][j]
  std::vector<int32_t> bias;
  const QuantizedLinear* source = nullptr;
};

struct AddTable {
  std::vector<int32_t> a;  // a[q - a.qmin()] = apply(q << 20, params.a)
  std::vector<int32_t> b;
  const QuantizedAdd* source = nullptr;
};

struct PreparedLayer {
  PreparedLinear lin_i[3];
  PreparedLinear lin_h[3];
  AddTable sum[3];
  AddTable h_add;
};

struct PreparedModel {
  std::vector<PreparedLayer> layers;
  PreparedLinear classifier;
};

// `model` must pass check_model and outlive the result (it is referenced, not copied).
PreparedModel prepare(const IntegerModel& model);

// The contribution tables of one add (`a` must outlive the result).
AddTable prepare_add(const QuantizedAdd& a);

// The element-wise operators over n entries (a hidden vector, or B of them back to back), the
// same results as ref::add and ref::mul; outputs must not overlap inputs. `sum` is n int32 of
// scratch.
void add_pass(const AddTable& t, const int16_t* qa, const int16_t* qb, int16_t* out, int32_t* sum,
              size_t n);
// out[i] = ref::quantize(p, x[i]) for finite x.
void quantize_pass(const QuantPoint& p, const float* x, int16_t* out, size_t n);
// out[c] = ref::lut(l, in[c]).
void lut_pass(const Lut& l, const int16_t* in, int16_t* out, size_t n);
// out = clamp(apply((a_offset - a) * b)) when negate_a, else clamp(apply(a * b)).
void mul_pass(const QuantizedMul& m, const int16_t* a, const int16_t* b, int16_t* out, size_t n,
              int32_t a_offset, bool negate_a);

// Same results as ref::linear; `acc` is scratch of rows entries.
void linear(const PreparedLinear& l, const int16_t* x, int16_t* y, int32_t* acc);

struct StepScratch {
  explicit StepScratch(int32_t hidden);
  ref::StepScratch base;
  std::vector<int32_t> acc;
  std::vector<int32_t> sum;
};

// Same results as ref::gru_step.
void gru_step(const GruLayer& layer, const PreparedLayer& prepared, const int16_t* x, int16_t* h,
              StepScratch& scratch);

}  // namespace mpgru::engine::opt
