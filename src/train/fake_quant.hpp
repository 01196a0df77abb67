// Fake quantizers for QAT: quantize-dequantize in float with the integer engine's rounding (half
// away from zero) and ranges, straight-through gradients inside the range, zero outside, and
// LSQ step-size gradients (Esser et al. 2020) with gradient scaling.
#pragma once

#include <torch/torch.h>

namespace mpgru::train {

// round(v), ties away from zero (torch::round rounds ties to even; the engine does not).
torch::Tensor round_half_away(const torch::Tensor& v);

// s * clamp(round(v / s), qmin, qmax) with:
//   d/dv = 1 where qmin <= v/s <= qmax, else 0 (straight-through, clipped);
//   d/ds = round(v/s) - v/s inside, qmin or qmax outside (LSQ), times grad_scale.
// `s` broadcasts against v (a scalar, or [rows, 1] for per-channel weights); s must be > 0.
// Composed of LibTorch operations: the reference for the single-pass versions below.
torch::Tensor fake_quant(const torch::Tensor& v, const torch::Tensor& s, double qmin, double qmax,
                         double grad_scale);

// fake_quant for a scalar step `s` (a 0-dim tensor) as one autograd function: a single pass
// forward and a single pass backward instead of ~10 element-wise LibTorch operations each way.
// Same values and gradients as fake_quant (tests compare them).
torch::Tensor fake_quant_fused(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                               double qmax, double grad_scale);

// fake_quant with a step per row (per-channel weights) as one autograd function: v [rows, cols],
// s [rows, 1]; one pass each way instead of ~25 LibTorch operations. Same values and gradients as
// fake_quant (tests compare them).
torch::Tensor fake_quant_rows(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                              double qmax, double grad_scale);

// step * round(v / step) elementwise (v and step of one shape, step > 0), ties away from zero;
// gradient straight through to v, none to step. The int32 biases of a linear, on the grid of
// their accumulator scale (the range never binds).
torch::Tensor round_to_grid(const torch::Tensor& v, const torch::Tensor& step);

// The same on the fixed grid of step 1 / qmax (sigma, tanh and h outputs), computed as
// v * qmax rather than v / (1 / qmax): sigma(0) * (2^b - 1) is an exact tie (k + 1/2) that
// the division would push below k + 1/2 in float32 and round the other way from the engine.
torch::Tensor fake_quant_unit(const torch::Tensor& v, double qmin, double qmax);

// LSQ's gradient scale 1 / sqrt(elements * qmax).
double lsq_grad_scale(int64_t elements, double qmax);

// Oscillation dampening (Nagel et al. 2022, "Overcoming Oscillations in Quantization-Aware
// Training", eq. 5): sum over v of (clamp(v, s qmin, s qmax) - q(v))^2, q(v) = s clamp(round(v /
// s), qmin, qmax) (fake_quant's value, ties away from zero), with q(v) and s held constant. Its
// gradient 2 (v - q(v)) pulls each latent value inside the range toward its grid point, away from
// the rounding boundary; none outside the range (the clamp) and none to the step size. Weight
// units: a value's term is at most s^2 / 4. `s` broadcasts against v as in fake_quant, s > 0.
torch::Tensor dampening_loss(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                             double qmax);

}  // namespace mpgru::train
