// The fused QAT recurrence: one autograd function runs all time steps of a fake-quant GRU layer
// (DESIGN.md section 3, every quantization point of the recurrent part) with the forward and
// backward element-wise math written by hand, leaving LibTorch only the matrix products. The
// unfused QatGru path computes the same values op by op; tests compare the two.
#pragma once

#include <torch/torch.h>

namespace mpgru::train {

// Bit ranges of the recurrent quantization points of one layer.
struct QatCellRanges {
  double lin_h_max[3];  // signed narrow maxima of lin_h.r/z/n
  double sum_max[3];    // sum.r/z/n
  double act_max[3];    // act.r, act.z (unsigned: 2^b - 1), act.n (signed: 2^(b-1) - 1)
  double rn_max, un_max, zh_max;
  double h_max;          // the hidden state grid is 1 / h_max
  double grad_scale[9];  // LSQ gradient scales of the 9 learned step sizes, order as `steps`
};

// ai: [batch, T, 3H] input projections, already fake-quantized at lin_i (gates r, z, n);
// w_h: [3H, H] fake-quantized recurrent weights; b_h: [3H] fake-quantized recurrent biases;
// steps: [9] step sizes (lin_h.r, lin_h.z, lin_h.n, sum.r, sum.z, sum.n, mul.rn, mul.un,
// mul.zh), positive. Returns the hidden states [batch, T, H] (h_0 = 0). Differentiable in ai,
// w_h, b_h and steps (straight-through and LSQ gradients, as fake_quant.hpp).
torch::Tensor qat_gru_sequence(const torch::Tensor& ai, const torch::Tensor& w_h,
                               const torch::Tensor& b_h, const torch::Tensor& steps,
                               const QatCellRanges& ranges);

}  // namespace mpgru::train
