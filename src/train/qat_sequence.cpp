// Fused forward and backward of the fake-quant GRU recurrence.
#include "train/qat_sequence.hpp"

#include <cmath>

namespace mpgru::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

inline float round_away(float u) {
  return std::copysign(std::floor(std::fabs(u) + 0.5f), u);
}

// Fake quantization with a learned step: value, in-range flag and the LSQ term of d/ds.
struct Fq {
  float value;
  bool inside;
  float lsq;  // round(u) - u inside, the bound outside
};

// `inv_s` is 1 / s: a product instead of a division per quantization point (the two can differ
// in the last bit, which moves a value only at an exact rounding tie).
inline Fq fq(float v, float s, float inv_s, float qmax, float qmin) {
  const float u = v * inv_s;
  if (u < qmin) return {qmin * s, false, qmin};
  if (u > qmax) return {qmax * s, false, qmax};
  const float q = round_away(u);
  return {q * s, true, q - u};
}

// The unit grid 1/qmax (sigma, tanh, h): value and in-range flag.
inline float unit(float v, float qmin, float qmax, bool* inside) {
  const float u = v * qmax;
  *inside = u >= qmin && u <= qmax;
  return round_away(std::min(std::max(u, qmin), qmax)) / qmax;
}

float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

// tanh through exp (libm's tanhf goes through the slower expm1f); absolute error ~1e-7, far
// below the finest output step 1/127.
float fast_tanh(float v) {
  return 2.0f / (1.0f + std::exp(-2.0f * v)) - 1.0f;
}

// Every intermediate of one cell (one batch row, one hidden unit, one step).
struct Cell {
  Fq ah[3], sum[3], rn, un, zh;
  float sig_r, sig_z, tanh_n;  // unquantized activations (for their derivatives)
  float r, z, n, h;
  bool in_r, in_z, in_n, in_h;
};

// The ranges as float, the precision of the tensors.
struct Ranges {
  float lin_h_max[3], sum_max[3], act_max[3], rn_max, un_max, zh_max, h_max;
};

Ranges to_float(const QatCellRanges& r) {
  Ranges f;
  for (int g = 0; g < 3; ++g) {
    f.lin_h_max[g] = static_cast<float>(r.lin_h_max[g]);
    f.sum_max[g] = static_cast<float>(r.sum_max[g]);
    f.act_max[g] = static_cast<float>(r.act_max[g]);
  }
  f.rn_max = static_cast<float>(r.rn_max);
  f.un_max = static_cast<float>(r.un_max);
  f.zh_max = static_cast<float>(r.zh_max);
  f.h_max = static_cast<float>(r.h_max);
  return f;
}

struct Params {
  Params(const float* steps, const Ranges& ranges) : s(steps), q(ranges) {
    for (int i = 0; i < 9; ++i) inv[i] = 1.0f / s[i];
  }
  const float* s;  // the 9 step sizes
  float inv[9];    // their reciprocals
  Ranges q;
};

inline Cell cell_forward(const Params& p, const float ai[3], const float ah_raw[3], float h_prev) {
  const Ranges& q = p.q;
  Cell c;
  for (int g = 0; g < 3; ++g)
    c.ah[g] = fq(ah_raw[g], p.s[g], p.inv[g], q.lin_h_max[g], -q.lin_h_max[g]);
  c.sum[0] = fq(ai[0] + c.ah[0].value, p.s[3], p.inv[3], q.sum_max[0], -q.sum_max[0]);
  c.sig_r = sigmoid(c.sum[0].value);
  c.r = unit(c.sig_r, 0, q.act_max[0], &c.in_r);
  c.sum[1] = fq(ai[1] + c.ah[1].value, p.s[4], p.inv[4], q.sum_max[1], -q.sum_max[1]);
  c.sig_z = sigmoid(c.sum[1].value);
  c.z = unit(c.sig_z, 0, q.act_max[1], &c.in_z);
  c.rn = fq(c.r * c.ah[2].value, p.s[6], p.inv[6], q.rn_max, -q.rn_max);
  c.sum[2] = fq(ai[2] + c.rn.value, p.s[5], p.inv[5], q.sum_max[2], -q.sum_max[2]);
  c.tanh_n = fast_tanh(c.sum[2].value);
  c.n = unit(c.tanh_n, -q.act_max[2], q.act_max[2], &c.in_n);
  c.un = fq((1 - c.z) * c.n, p.s[7], p.inv[7], q.un_max, -q.un_max);
  c.zh = fq(c.z * h_prev, p.s[8], p.inv[8], q.zh_max, -q.zh_max);
  c.h = unit(c.un.value + c.zh.value, -q.h_max, q.h_max, &c.in_h);
  return c;
}

// Back through one cell: given dL/dh', writes dL/d(ai), dL/d(ah_raw), the direct dL/dh_prev
// (through z * h) and accumulates the step-size gradients (before their LSQ scales).
inline float cell_backward(const Cell& c, float h_prev, float dh, float d_ai[3], float d_ah_raw[3],
                           double ds[9]) {
  const float d_sum_h = c.in_h ? dh : 0.0f;
  ds[7] += d_sum_h * c.un.lsq;
  ds[8] += d_sum_h * c.zh.lsq;
  const float d_pun = c.un.inside ? d_sum_h : 0.0f;
  const float d_pzh = c.zh.inside ? d_sum_h : 0.0f;
  const float d_z = -d_pun * c.n + d_pzh * h_prev;
  const float d_n = d_pun * (1 - c.z);
  const float dh_prev = d_pzh * c.z;
  const float d_sn = (c.in_n ? d_n : 0.0f) * (1 - c.tanh_n * c.tanh_n);
  ds[5] += d_sn * c.sum[2].lsq;
  const float d_psn = c.sum[2].inside ? d_sn : 0.0f;
  d_ai[2] = d_psn;
  ds[6] += d_psn * c.rn.lsq;
  const float d_prn = c.rn.inside ? d_psn : 0.0f;
  const float d_r = d_prn * c.ah[2].value;
  float d_ah[3];
  d_ah[2] = d_prn * c.r;
  const float d_sz = (c.in_z ? d_z : 0.0f) * c.sig_z * (1 - c.sig_z);
  ds[4] += d_sz * c.sum[1].lsq;
  d_ai[1] = d_ah[1] = c.sum[1].inside ? d_sz : 0.0f;
  const float d_sr = (c.in_r ? d_r : 0.0f) * c.sig_r * (1 - c.sig_r);
  ds[3] += d_sr * c.sum[0].lsq;
  d_ai[0] = d_ah[0] = c.sum[0].inside ? d_sr : 0.0f;
  for (int g = 0; g < 3; ++g) {
    ds[g] += d_ah[g] * c.ah[g].lsq;
    d_ah_raw[g] = c.ah[g].inside ? d_ah[g] : 0.0f;
  }
  return dh_prev;
}

class QatSequence : public torch::autograd::Function<QatSequence> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& ai,
                               const torch::Tensor& w_h, const torch::Tensor& b_h,
                               const torch::Tensor& steps, const QatCellRanges& ranges) {
    const int64_t batch = ai.size(0), T = ai.size(1), H = w_h.size(1);
    const torch::Tensor ai_c = ai.contiguous();
    const torch::Tensor s = steps.contiguous();
    const Params p{s.data_ptr<float>(), to_float(ranges)};
    torch::Tensor hs = torch::zeros({batch, T + 1, H});  // hs[:, 0] = h_0 = 0
    torch::Tensor ah_all = torch::empty({batch, T, 3 * H});
    for (int64_t t = 0; t < T; ++t) {
      const torch::Tensor h_prev = hs.select(1, t);
      const torch::Tensor ah = torch::addmm(b_h, h_prev, w_h.t());  // [batch, 3H]
      ah_all.select(1, t).copy_(ah);
      const torch::Tensor ai_t = ai_c.select(1, t).contiguous();
      torch::Tensor h_new = torch::empty({batch, H});
      const float *pa = ai_t.data_ptr<float>(), *ph = ah.data_ptr<float>();
      const torch::Tensor hp = h_prev.contiguous();
      const float* pp = hp.data_ptr<float>();
      float* out = h_new.data_ptr<float>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t c = 0; c < H; ++c) {
          const int64_t row = b * 3 * H;
          const float ai3[3] = {pa[row + c], pa[row + H + c], pa[row + 2 * H + c]};
          const float ah3[3] = {ph[row + c], ph[row + H + c], ph[row + 2 * H + c]};
          out[b * H + c] = cell_forward(p, ai3, ah3, pp[b * H + c]).h;
        }
      }
      hs.select(1, t + 1).copy_(h_new);
    }
    ctx->save_for_backward({ai_c, w_h, s, hs, ah_all});
    ctx->saved_data["ranges"] = c10::IValue(std::vector<double>(
        reinterpret_cast<const double*>(&ranges),
        reinterpret_cast<const double*>(&ranges) + sizeof(QatCellRanges) / sizeof(double)));
    return hs.narrow(1, 1, T).clone();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &ai = saved[0], &w_h = saved[1], &s = saved[2], &hs = saved[3],
                        &ah_all = saved[4];
    const std::vector<double> packed = ctx->saved_data["ranges"].toDoubleVector();
    QatCellRanges ranges;
    std::copy(packed.begin(), packed.end(), reinterpret_cast<double*>(&ranges));
    const Params p{s.data_ptr<float>(), to_float(ranges)};
    const int64_t batch = ai.size(0), T = ai.size(1), H = w_h.size(1);
    const torch::Tensor grad_h = grad_outputs[0].contiguous();
    torch::Tensor d_ai = torch::zeros_like(ai);
    torch::Tensor d_w = torch::zeros_like(w_h);
    torch::Tensor d_b = torch::zeros({3 * H});
    double ds[9] = {};
    torch::Tensor dh = torch::zeros({batch, H});  // dL/dh_t flowing back from step t+1
    for (int64_t t = T - 1; t >= 0; --t) {
      dh += grad_h.select(1, t);
      const torch::Tensor h_prev = hs.select(1, t).contiguous();
      const torch::Tensor ah = ah_all.select(1, t).contiguous();
      const torch::Tensor ai_t = ai.select(1, t).contiguous();
      torch::Tensor d_ah_raw = torch::empty({batch, 3 * H});
      torch::Tensor dh_direct = torch::empty({batch, H});
      const float *pa = ai_t.data_ptr<float>(), *ph = ah.data_ptr<float>(),
                  *pp = h_prev.data_ptr<float>(), *pdh = dh.data_ptr<float>();
      float *pd_ai = d_ai.select(1, t).data_ptr<float>(), *pd_ah = d_ah_raw.data_ptr<float>(),
            *pd_h = dh_direct.data_ptr<float>();
      const int64_t ai_stride = T * 3 * H;  // d_ai is [batch, T, 3H]
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t c = 0; c < H; ++c) {
          const int64_t row = b * 3 * H;
          const float ai3[3] = {pa[row + c], pa[row + H + c], pa[row + 2 * H + c]};
          const float ah3[3] = {ph[row + c], ph[row + H + c], ph[row + 2 * H + c]};
          const Cell cell = cell_forward(p, ai3, ah3, pp[b * H + c]);
          float g_ai[3], g_ah[3];
          pd_h[b * H + c] = cell_backward(cell, pp[b * H + c], pdh[b * H + c], g_ai, g_ah, ds);
          for (int g = 0; g < 3; ++g) {
            pd_ai[b * ai_stride + g * H + c] = g_ai[g];
            pd_ah[row + g * H + c] = g_ah[g];
          }
        }
      }
      d_w.addmm_(d_ah_raw.t(), h_prev);
      d_b += d_ah_raw.sum(0);
      dh = torch::addmm(dh_direct, d_ah_raw, w_h);
    }
    torch::Tensor d_s = torch::empty({9});
    for (int i = 0; i < 9; ++i) d_s[i] = static_cast<float>(ds[i] * ranges.grad_scale[i]);
    return {d_ai, d_w, d_b, d_s, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor qat_gru_sequence(const torch::Tensor& ai, const torch::Tensor& w_h,
                               const torch::Tensor& b_h, const torch::Tensor& steps,
                               const QatCellRanges& ranges) {
  return QatSequence::apply(ai, w_h, b_h, steps, ranges);
}

}  // namespace mpgru::train
