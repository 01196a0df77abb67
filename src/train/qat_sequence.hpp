// The fused QAT recurrence: one autograd function runs all time steps of a fake-quant GRU layer
// (DESIGN.md section 3, the lin_i quantizers and every quantization point of the recurrent part)
// with the forward and backward element-wise math written by hand, leaving LibTorch only the
// matrix products. The unfused QatGru path computes the same values op by op; tests compare the
// two.
#pragma once

#include <torch/torch.h>

namespace mpgru::train {

// The learned step sizes of one layer's recurrence, in the order of `steps` below.
inline constexpr int kQatSequenceSteps = 12;

// Bit ranges of the quantization points of one layer's recurrence.
struct QatCellRanges {
  double lin_i_max[3];  // signed narrow maxima of lin_i.r/z/n
  double lin_h_max[3];  // lin_h.r/z/n
  double sum_max[3];    // sum.r/z/n
  double act_max[3];    // act.r, act.z (unsigned: 2^b - 1), act.n (signed: 2^(b-1) - 1)
  double rn_max, un_max, zh_max;
  double h_max;                          // the hidden state grid is 1 / h_max
  double grad_scale[kQatSequenceSteps];  // LSQ gradient scales, in the order of `steps`
};

// ai: [T, batch, 3H] time-major input products x W_i^T (gates r, z, n) and b_i: [3H] their
// biases, before the lin_i quantizers; w_h: [3H, H] fake-quantized recurrent weights; b_h: [3H]
// fake-quantized recurrent biases; steps: [12] positive step sizes (lin_i.r/z/n, lin_h.r/z/n,
// sum.r/z/n, mul.rn, mul.un, mul.zh). Returns the hidden states [T, batch, H], time-major
// (h_0 = 0). Differentiable in ai, b_i, w_h, b_h and steps (straight-through and LSQ gradients,
// as fake_quant.hpp). threads: 1, or 2 for two cores, each running half of the batch rows
// through all steps with its own matrix products; the element-wise math and the step-size sums
// are the same, only the products may round differently.
torch::Tensor qat_gru_sequence(const torch::Tensor& ai, const torch::Tensor& b_i,
                               const torch::Tensor& w_h, const torch::Tensor& b_h,
                               const torch::Tensor& steps, const QatCellRanges& ranges,
                               int threads = 1);

}  // namespace mpgru::train
