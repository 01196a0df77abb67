// Fake quantizers with straight-through and LSQ gradients.
#include "train/fake_quant.hpp"

#include "core/vectorize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace mpgru::train {

torch::Tensor round_half_away(const torch::Tensor& v) {
  return torch::sign(v) * torch::floor(torch::abs(v) + 0.5);
}

torch::Tensor fake_quant(const torch::Tensor& v, const torch::Tensor& s, double qmin, double qmax,
                         double grad_scale) {
  // Exactly s forward (s + 0), grad_scale * ds backward. The usual s g + (s - s g).detach() may
  // be an ulp off s, which decides whether a value on the range edge (a channel's largest weight
  // under max-abs steps) gets a gradient.
  const torch::Tensor sg = s * grad_scale;
  const torch::Tensor scaled_s = s.detach() + (sg - sg.detach());
  const torch::Tensor u = torch::clamp(v / scaled_s, qmin, qmax);
  const torch::Tensor q = u + (round_half_away(u) - u).detach();
  return q * scaled_s;
}

torch::Tensor fake_quant_unit(const torch::Tensor& v, double qmin, double qmax) {
  const torch::Tensor u = torch::clamp(v * qmax, qmin, qmax);
  return (u + (round_half_away(u) - u).detach()) / qmax;
}

torch::Tensor dampening_loss(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                             double qmax) {
  // On the grid (units of s): clamp(v / s) - round(clamp(v / s)) is the paper's clip(v) - q(v)
  // divided by s, the bounds being integers.
  const torch::Tensor step = s.detach();
  const torch::Tensor u = torch::clamp(v / step, qmin, qmax);
  return ((u - round_half_away(u).detach()) * step).square().sum();
}

namespace {

using core::round_away;

MPGRU_TARGET_CLONES void fq_forward(const float* __restrict v, float s, float qmin, float qmax,
                                    float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float u = std::min(std::max(v[i] / s, qmin), qmax);
    out[i] = round_away(u) * s;
  }
}

// grad_v = grad inside the range, 0 outside; returns sum(grad * LSQ term) for d/ds, summed in
// float over blocks of 256 (so the loop vectorizes) and in double across blocks.
MPGRU_TARGET_CLONES float fq_backward_block(const float* __restrict v, const float* __restrict grad,
                                            float s, float qmin, float qmax,
                                            float* __restrict grad_v, int64_t n) {
  float ds = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float u = v[i] / s;
    const float uc = std::min(std::max(u, qmin), qmax);
    const float inside = static_cast<float>(u == uc);
    grad_v[i] = grad[i] * inside;
    ds += grad[i] * (inside * (round_away(uc) - u) + (1.0f - inside) * uc);
  }
  return ds;
}

double fq_backward(const float* v, const float* grad, float s, float qmin, float qmax,
                   float* grad_v, int64_t n) {
  double ds = 0;
  for (int64_t i = 0; i < n; i += 256) {
    ds += fq_backward_block(v + i, grad + i, s, qmin, qmax, grad_v + i,
                            std::min<int64_t>(256, n - i));
  }
  return ds;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The quantizer's range and LSQ gradient scale, for the backward pass.
void save_range(AutogradContext* ctx, double qmin, double qmax, double grad_scale) {
  ctx->saved_data["qmin"] = qmin;
  ctx->saved_data["qmax"] = qmax;
  ctx->saved_data["g"] = grad_scale;
}

class FakeQuantFunction : public torch::autograd::Function<FakeQuantFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& v, const torch::Tensor& s,
                               double qmin, double qmax, double grad_scale) {
    const torch::Tensor vc = v.contiguous();
    const float step = s.item<float>();
    torch::Tensor out = torch::empty_like(vc);
    fq_forward(vc.data_ptr<float>(), step, static_cast<float>(qmin), static_cast<float>(qmax),
               out.data_ptr<float>(), vc.numel());
    ctx->save_for_backward({vc, s});
    save_range(ctx, qmin, qmax, grad_scale);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& v = saved[0];
    const torch::Tensor grad = grad_outputs[0].contiguous();
    torch::Tensor grad_v = torch::empty_like(v);
    const double ds =
        fq_backward(v.data_ptr<float>(), grad.data_ptr<float>(), saved[1].item<float>(),
                    static_cast<float>(ctx->saved_data["qmin"].toDouble()),
                    static_cast<float>(ctx->saved_data["qmax"].toDouble()),
                    grad_v.data_ptr<float>(), v.numel());
    const torch::Tensor grad_s =
        torch::full_like(saved[1], static_cast<float>(ds * ctx->saved_data["g"].toDouble()));
    return {grad_v, grad_s, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

class FakeQuantRowsFunction : public torch::autograd::Function<FakeQuantRowsFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& v, const torch::Tensor& s,
                               double qmin, double qmax, double grad_scale) {
    const torch::Tensor vc = v.contiguous(), sc = s.contiguous();
    const int64_t rows = vc.size(0), cols = vc.numel() / std::max<int64_t>(rows, 1);
    torch::Tensor out = torch::empty_like(vc);
    const float *pv = vc.data_ptr<float>(), *ps = sc.data_ptr<float>();
    for (int64_t r = 0; r < rows; ++r) {
      fq_forward(pv + r * cols, ps[r], static_cast<float>(qmin), static_cast<float>(qmax),
                 out.data_ptr<float>() + r * cols, cols);
    }
    ctx->save_for_backward({vc, sc});
    save_range(ctx, qmin, qmax, grad_scale);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &v = saved[0], &s = saved[1];
    const torch::Tensor grad = grad_outputs[0].contiguous();
    const int64_t rows = v.size(0), cols = v.numel() / std::max<int64_t>(rows, 1);
    const auto qmin = static_cast<float>(ctx->saved_data["qmin"].toDouble());
    const auto qmax = static_cast<float>(ctx->saved_data["qmax"].toDouble());
    const double g = ctx->saved_data["g"].toDouble();
    torch::Tensor grad_v = torch::empty_like(v), grad_s = torch::empty_like(s);
    for (int64_t r = 0; r < rows; ++r) {
      const double ds = fq_backward(v.data_ptr<float>() + r * cols,
                                    grad.data_ptr<float>() + r * cols, s.data_ptr<float>()[r], qmin,
                                    qmax, grad_v.data_ptr<float>() + r * cols, cols);
      grad_s.data_ptr<float>()[r] = static_cast<float>(ds * g);
    }
    return {grad_v, grad_s, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

class RoundToGridFunction : public torch::autograd::Function<RoundToGridFunction> {
 public:
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& v,
                               const torch::Tensor& step) {
    const torch::Tensor vc = v.contiguous(), sc = step.contiguous();
    torch::Tensor out = torch::empty_like(vc);
    const float *pv = vc.data_ptr<float>(), *ps = sc.data_ptr<float>();
    float* po = out.data_ptr<float>();
    for (int64_t i = 0; i < vc.numel(); ++i) po[i] = round_away(pv[i] / ps[i]) * ps[i];
    return out;
  }

  static variable_list backward(AutogradContext*, variable_list grad_outputs) {
    return {grad_outputs[0], torch::Tensor()};
  }
};

}  // namespace

torch::Tensor fake_quant_rows(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                              double qmax, double grad_scale) {
  return FakeQuantRowsFunction::apply(v, s, qmin, qmax, grad_scale);
}

torch::Tensor round_to_grid(const torch::Tensor& v, const torch::Tensor& step) {
  return RoundToGridFunction::apply(v, step);
}

torch::Tensor fake_quant_fused(const torch::Tensor& v, const torch::Tensor& s, double qmin,
                               double qmax, double grad_scale) {
  return FakeQuantFunction::apply(v, s, qmin, qmax, grad_scale);
}

double lsq_grad_scale(int64_t elements, double qmax) {
  return 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(elements, 1)) * qmax);
}

}  // namespace mpgru::train
