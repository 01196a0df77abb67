// Fused forward and backward of the fake-quant GRU recurrence.
#include "train/qat_sequence.hpp"

#include "core/vectorize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mpgru::train {
namespace {

using core::round_away;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// exp(x) for float, branch-free so loops over it vectorize: x = n ln2 + r, |r| <= ln2/2,
// exp(r) by its degree-6 Taylor polynomial (relative error < 2e-7 on that interval), 2^n by
// building the exponent bits. Inputs are clamped to [-87, 88] (exp stays a normal float).
inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float n = round_away(x * 1.44269504f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  const float p =
      1.0f +
      r * (1.0f + r * (0.5f + r * (1.6666667e-1f +
                                   r * (4.1666668e-2f + r * (8.3333338e-3f + r * 1.3888889e-3f)))));
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid(float v) {
  return 1.0f / (1.0f + fast_exp(-v));
}
inline float tanh_from_exp(float v) {
  return 2.0f / (1.0f + fast_exp(-2.0f * v)) - 1.0f;
}

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
  Params(const float* steps, const Ranges& ranges) : q(ranges) {
    for (int i = 0; i < 9; ++i) {
      s[i] = steps[i];
      inv[i] = 1.0f / steps[i];  // a product instead of a division per point: the two differ
    }                            // in the last bit, which moves a value only at a rounding tie
  }
  float s[9];    // lin_h.r/z/n, sum.r/z/n, mul.rn, mul.un, mul.zh
  float inv[9];  // their reciprocals
  Ranges q;
};

// Fake quantization with a learned step on one element: the value, and (for the backward
// pass) the in-range mask and LSQ's d/ds term (round(u) - u inside, the bound outside).
struct Fq {
  float value, inside, lsq;
};

inline Fq fq(float v, float s, float inv_s, float qmax) {
  const float u = v * inv_s;
  const float uc = std::min(std::max(u, -qmax), qmax);
  const float q = round_away(uc);
  const float inside = static_cast<float>(u == uc);
  return {q * s, inside, inside * (q - u) + (1.0f - inside) * uc};
}

// The unit grid 1/qmax (sigma, tanh, h), with its in-range mask.
inline float unit(float v, float qmin, float qmax, float* inside) {
  const float u = v * qmax;
  const float uc = std::min(std::max(u, qmin), qmax);
  *inside = static_cast<float>(u == uc);
  return round_away(uc) / qmax;
}

// Every intermediate of one hidden unit at one step, as arrays over the hidden units of a row
// (structure of arrays, so the passes vectorize).
struct RowBuffers {
  explicit RowBuffers(int64_t hidden) : n(static_cast<size_t>(hidden)) {
    for (auto* v : all()) v->resize(n);
  }
  std::vector<std::vector<float>*> all() {
    return {&ah_v[0],   &ah_v[1],    &ah_v[2],    &ah_in[0],   &ah_in[1], &ah_in[2],  &ah_lsq[0],
            &ah_lsq[1], &ah_lsq[2],  &sum_v[0],   &sum_v[1],   &sum_v[2], &sum_in[0], &sum_in[1],
            &sum_in[2], &sum_lsq[0], &sum_lsq[1], &sum_lsq[2], &sig_r,    &sig_z,     &tanh_n,
            &r,         &z,          &n_,         &in_r,       &in_z,     &in_n,      &rn_v,
            &rn_in,     &rn_lsq,     &un_v,       &un_in,      &un_lsq,   &zh_v,      &zh_in,
            &zh_lsq,    &in_h,       &tmp};
  }
  size_t n;
  std::vector<float> ah_v[3], ah_in[3], ah_lsq[3], sum_v[3], sum_in[3], sum_lsq[3];
  std::vector<float> sig_r, sig_z, tanh_n, r, z, n_, in_r, in_z, in_n;
  std::vector<float> rn_v, rn_in, rn_lsq, un_v, un_in, un_lsq, zh_v, zh_in, zh_lsq, in_h, tmp;
};

// Output arrays of one fake-quant point over a row.
struct FqOut {
  float* __restrict value;
  float* __restrict inside;
  float* __restrict lsq;
};

FqOut out(std::vector<float>& v, std::vector<float>& in, std::vector<float>& lsq) {
  return {v.data(), in.data(), lsq.data()};
}

// o[c] = fq(v[c]) for c < n: the one vectorizable pass every learned-step point of the cell
// uses. Scalars are passed by value so the compiler knows no store aliases them.
MPGRU_TARGET_CLONES void fq_pass(const float* __restrict v, float s, float inv_s, float qmax,
                                 FqOut o, size_t n) {
  for (size_t c = 0; c < n; ++c) {
    const Fq f = fq(v[c], s, inv_s, qmax);
    o.value[c] = f.value;
    o.inside[c] = f.inside;
    o.lsq[c] = f.lsq;
  }
}

// out[c] = unit grid of f(v[c]) with f = sigmoid (kind 0), tanh (1) or identity (2); keeps
// f(v) in `act` (for the derivative) when given, and the in-range mask.
MPGRU_TARGET_CLONES void unit_pass(const float* __restrict v, int kind, float qmin, float qmax,
                                   float* __restrict act, float* __restrict out,
                                   float* __restrict inside, size_t n) {
  for (size_t c = 0; c < n; ++c) {
    const float a = kind == 0 ? sigmoid(v[c]) : kind == 1 ? tanh_from_exp(v[c]) : v[c];
    if (act != nullptr) act[c] = a;
    out[c] = unit(a, qmin, qmax, &inside[c]);
  }
}

MPGRU_TARGET_CLONES const float* add(const float* __restrict a, const float* __restrict b,
                                     float* __restrict t, size_t n) {
  for (size_t c = 0; c < n; ++c) t[c] = a[c] + b[c];
  return t;
}

MPGRU_TARGET_CLONES const float* mul(const float* __restrict a, const float* __restrict b,
                                     float* __restrict t, size_t n) {
  for (size_t c = 0; c < n; ++c) t[c] = a[c] * b[c];
  return t;
}

// One row (batch entry) of one step: ai and ah are the row's 3H projections, h_prev its H
// previous states; writes h_new and every intermediate into `b`.
MPGRU_TARGET_CLONES void forward_row(const Params& p, const float* ai, const float* ah,
                                     const float* h_prev, float* h_new, RowBuffers& b) {
  const Ranges q = p.q;
  const size_t H = b.n;
  float* t = b.tmp.data();
  for (int g = 0; g < 3; ++g) {
    fq_pass(ah + g * H, p.s[g], p.inv[g], q.lin_h_max[g], out(b.ah_v[g], b.ah_in[g], b.ah_lsq[g]),
            H);
  }
  fq_pass(add(ai, b.ah_v[0].data(), t, H), p.s[3], p.inv[3], q.sum_max[0],
          out(b.sum_v[0], b.sum_in[0], b.sum_lsq[0]), H);
  fq_pass(add(ai + H, b.ah_v[1].data(), t, H), p.s[4], p.inv[4], q.sum_max[1],
          out(b.sum_v[1], b.sum_in[1], b.sum_lsq[1]), H);
  unit_pass(b.sum_v[0].data(), 0, 0, q.act_max[0], b.sig_r.data(), b.r.data(), b.in_r.data(), H);
  unit_pass(b.sum_v[1].data(), 0, 0, q.act_max[1], b.sig_z.data(), b.z.data(), b.in_z.data(), H);
  fq_pass(mul(b.r.data(), b.ah_v[2].data(), t, H), p.s[6], p.inv[6], q.rn_max,
          out(b.rn_v, b.rn_in, b.rn_lsq), H);
  fq_pass(add(ai + 2 * H, b.rn_v.data(), t, H), p.s[5], p.inv[5], q.sum_max[2],
          out(b.sum_v[2], b.sum_in[2], b.sum_lsq[2]), H);
  unit_pass(b.sum_v[2].data(), 1, -q.act_max[2], q.act_max[2], b.tanh_n.data(), b.n_.data(),
            b.in_n.data(), H);
  float* one_minus_z = b.in_h.data();  // scratch until the h pass below
  for (size_t c = 0; c < H; ++c) one_minus_z[c] = 1 - b.z[c];
  fq_pass(mul(one_minus_z, b.n_.data(), t, H), p.s[7], p.inv[7], q.un_max,
          out(b.un_v, b.un_in, b.un_lsq), H);
  fq_pass(mul(b.z.data(), h_prev, t, H), p.s[8], p.inv[8], q.zh_max, out(b.zh_v, b.zh_in, b.zh_lsq),
          H);
  unit_pass(add(b.un_v.data(), b.zh_v.data(), t, H), 2, -q.h_max, q.h_max, nullptr, h_new,
            b.in_h.data(), H);
}

// Back through one row: given dL/dh' (dh), writes dL/d(ai) (3H), dL/d(ah_raw) (3H) and the
// direct dL/dh_prev through z * h; adds the step-size gradients (before LSQ scaling) to ds.
MPGRU_TARGET_CLONES void backward_row(const RowBuffers& b, const float* h_prev, const float* dh,
                                      float* d_ai, float* d_ah_raw, float* dh_prev, double ds[9]) {
  const size_t H = b.n;
  double acc[9] = {};
  for (size_t c = 0; c < H; ++c) {
    const float d_sum_h = b.in_h[c] * dh[c];
    acc[7] += d_sum_h * b.un_lsq[c];
    acc[8] += d_sum_h * b.zh_lsq[c];
    const float d_pun = b.un_in[c] * d_sum_h;
    const float d_pzh = b.zh_in[c] * d_sum_h;
    const float d_z = -d_pun * b.n_[c] + d_pzh * h_prev[c];
    const float d_n = d_pun * (1 - b.z[c]);
    dh_prev[c] = d_pzh * b.z[c];
    const float d_sn = b.in_n[c] * d_n * (1 - b.tanh_n[c] * b.tanh_n[c]);
    acc[5] += d_sn * b.sum_lsq[2][c];
    const float d_psn = b.sum_in[2][c] * d_sn;
    d_ai[2 * H + c] = d_psn;
    acc[6] += d_psn * b.rn_lsq[c];
    const float d_prn = b.rn_in[c] * d_psn;
    const float d_r = d_prn * b.ah_v[2][c];
    const float d_ah_n = d_prn * b.r[c];
    const float d_sz = b.in_z[c] * d_z * b.sig_z[c] * (1 - b.sig_z[c]);
    acc[4] += d_sz * b.sum_lsq[1][c];
    const float d_ah_z = b.sum_in[1][c] * d_sz;
    d_ai[H + c] = d_ah_z;
    const float d_sr = b.in_r[c] * d_r * b.sig_r[c] * (1 - b.sig_r[c]);
    acc[3] += d_sr * b.sum_lsq[0][c];
    const float d_ah_r = b.sum_in[0][c] * d_sr;
    d_ai[c] = d_ah_r;
    acc[0] += d_ah_r * b.ah_lsq[0][c];
    acc[1] += d_ah_z * b.ah_lsq[1][c];
    acc[2] += d_ah_n * b.ah_lsq[2][c];
    d_ah_raw[c] = b.ah_in[0][c] * d_ah_r;
    d_ah_raw[H + c] = b.ah_in[1][c] * d_ah_z;
    d_ah_raw[2 * H + c] = b.ah_in[2][c] * d_ah_n;
  }
  for (int i = 0; i < 9; ++i) ds[i] += acc[i];
}

class QatSequence : public torch::autograd::Function<QatSequence> {
 public:
  // Tensors inside are time-major ([T, batch, ...]) so each step's slice is contiguous.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& ai,
                               const torch::Tensor& w_h, const torch::Tensor& b_h,
                               const torch::Tensor& steps, const QatCellRanges& ranges) {
    const int64_t batch = ai.size(0), T = ai.size(1), H = w_h.size(1);
    const torch::Tensor ai_tm = ai.transpose(0, 1).contiguous();  // [T, batch, 3H]
    const torch::Tensor s = steps.contiguous();
    const Params p{s.data_ptr<float>(), to_float(ranges)};
    torch::Tensor hs = torch::zeros({T + 1, batch, H});  // hs[0] = h_0 = 0
    torch::Tensor ah_all = torch::empty({T, batch, 3 * H});
    RowBuffers rows(H);
    for (int64_t t = 0; t < T; ++t) {
      const torch::Tensor h_prev = hs[t];
      torch::Tensor ah = ah_all[t];
      torch::addmm_out(ah, b_h, h_prev, w_h.t());
      const float *pa = ai_tm[t].data_ptr<float>(), *ph = ah.data_ptr<float>(),
                  *pp = h_prev.data_ptr<float>();
      float* out = hs[t + 1].data_ptr<float>();
      for (int64_t b = 0; b < batch; ++b) {
        forward_row(p, pa + b * 3 * H, ph + b * 3 * H, pp + b * H, out + b * H, rows);
      }
    }
    ctx->save_for_backward({ai_tm, w_h, s, hs, ah_all});
    ctx->saved_data["ranges"] = c10::IValue(std::vector<double>(
        reinterpret_cast<const double*>(&ranges),
        reinterpret_cast<const double*>(&ranges) + sizeof(QatCellRanges) / sizeof(double)));
    return hs.narrow(0, 1, T).transpose(0, 1).contiguous();
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &ai_tm = saved[0], &w_h = saved[1], &s = saved[2], &hs = saved[3],
                        &ah_all = saved[4];
    const std::vector<double> packed = ctx->saved_data["ranges"].toDoubleVector();
    QatCellRanges ranges;
    std::copy(packed.begin(), packed.end(), reinterpret_cast<double*>(&ranges));
    const Params p{s.data_ptr<float>(), to_float(ranges)};
    const int64_t T = ai_tm.size(0), batch = ai_tm.size(1), H = w_h.size(1);
    const torch::Tensor grad_h = grad_outputs[0].transpose(0, 1).contiguous();  // [T, batch, H]
    torch::Tensor d_ai = torch::empty({T, batch, 3 * H});
    torch::Tensor d_ah_all = torch::empty({T, batch, 3 * H});
    double ds[9] = {};
    torch::Tensor dh = torch::zeros({batch, H});  // dL/dh_t flowing back from step t+1
    torch::Tensor dh_direct = torch::empty({batch, H});
    std::vector<float> h_scratch(static_cast<size_t>(H));
    RowBuffers rows(H);
    for (int64_t t = T - 1; t >= 0; --t) {
      dh += grad_h[t];
      const float *pa = ai_tm[t].data_ptr<float>(), *ph = ah_all[t].data_ptr<float>(),
                  *pp = hs[t].data_ptr<float>(), *pdh = dh.data_ptr<float>();
      float *pd_ai = d_ai[t].data_ptr<float>(), *pd_ah = d_ah_all[t].data_ptr<float>(),
            *pd_h = dh_direct.data_ptr<float>();
      for (int64_t b = 0; b < batch; ++b) {
        forward_row(p, pa + b * 3 * H, ph + b * 3 * H, pp + b * H, h_scratch.data(), rows);
        backward_row(rows, pp + b * H, pdh + b * H, pd_ai + b * 3 * H, pd_ah + b * 3 * H,
                     pd_h + b * H, ds);
      }
      dh = torch::addmm(dh_direct, d_ah_all[t], w_h);
    }
    // The weight and bias gradients over all steps at once: one large product instead of T.
    const torch::Tensor d_flat = d_ah_all.reshape({T * batch, 3 * H});
    const torch::Tensor d_w = d_flat.t().mm(hs.narrow(0, 0, T).reshape({T * batch, H}));
    const torch::Tensor d_b = d_flat.sum(0);
    torch::Tensor d_s = torch::empty({9});
    for (int i = 0; i < 9; ++i) d_s[i] = static_cast<float>(ds[i] * ranges.grad_scale[i]);
    return {d_ai.transpose(0, 1), d_w, d_b, d_s, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor qat_gru_sequence(const torch::Tensor& ai, const torch::Tensor& w_h,
                               const torch::Tensor& b_h, const torch::Tensor& steps,
                               const QatCellRanges& ranges) {
  return QatSequence::apply(ai, w_h, b_h, steps, ranges);
}

}  // namespace mpgru::train
