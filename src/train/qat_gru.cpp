// The fake-quant GRU, unrolled over time.
#include "train/qat_gru.hpp"

#include <algorithm>

#include "quant/fixed_point.hpp"
#include "train/fake_quant.hpp"
#include "train/qat_sequence.hpp"
#include "train/threads.hpp"

namespace mpgru::train {
namespace {

using core::Op;

torch::Tensor to_tensor(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kFloat32).reshape(shape).clone();
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// Sigmoid output grid: unsigned, scale 1 / (2^b - 1).
torch::Tensor sigmoid_q(const torch::Tensor& v, int bits) {
  const double qmax = quant::unsigned_max(bits);
  return fake_quant_unit(torch::sigmoid(v), 0, qmax);
}

// tanh output and hidden-state grid: signed narrow, scale 1 / (2^(b-1) - 1).
torch::Tensor unit_q(const torch::Tensor& v, int bits) {
  const double qmax = quant::signed_max(bits);
  return fake_quant_unit(v, -qmax, qmax);
}

double step_value(const torch::Tensor& s) {
  return std::max(std::fabs(s.item<double>()), 1e-12);
}

// The fixed step 1 / (2^(b-1) - 1) of layer k's hidden-state grid.
torch::Tensor hidden_step(const core::Genome& genome, size_t k) {
  const int bits = genome.bits(Op::h, static_cast<int>(k));
  return torch::tensor(1.0f / static_cast<float>(quant::signed_max(bits)));
}

// The job's cores, as set_compute_threads gave them to OpenBLAS (1 when OpenBLAS is absent).
int job_cores() {
  return std::max(blas_threads(), 1);
}

}  // namespace

QatGruImpl::QatGruImpl(const quant::FloatGruModel& model, const quant::ScaleSet& scales,
                       const core::Genome& genome)
    : genome_(genome), shape_(model), x_unsigned_(scales.x_unsigned) {
  for (auto& layer : shape_.layers) {
    for (int g = 0; g < 3; ++g) layer.lin_i[g].weights.clear(), layer.lin_h[g].weights.clear();
  }
  s_x_ = step_size(scales.at(Op::x, 0), "s_x");
  if (const quant::FloatEmbedding& e = model.embedding; e.vocabulary > 0) {
    shape_.embedding.weights.clear();
    emb_w_ = register_parameter("emb_w", to_tensor(e.weights, {e.vocabulary, e.dim}));
    weights_.push_back(emb_w_);
    s_emb_ = step_size(scales.weights_at(Op::emb, -1).at(0), "s_emb");
  }
  for (size_t k = 0; k < model.layers.size(); ++k) {
    const int l = static_cast<int>(k);
    const std::string p = "l" + std::to_string(k) + "_";
    Layer layer;
    for (int g = 0; g < 3; ++g) {
      const std::string gate = std::to_string(g);
      layer.lin_i[g] =
          make_linear(model.layers[k].lin_i[g], scales.weights_at(core::kInputWeightOps[g], l),
                      genome.bits(core::kInputWeightOps[g], l), p + "lin_i" + gate);
      layer.lin_h[g] =
          make_linear(model.layers[k].lin_h[g], scales.weights_at(core::kRecurrentWeightOps[g], l),
                      genome.bits(core::kRecurrentWeightOps[g], l), p + "lin_h" + gate);
      layer.s_lin_i[g] = step_size(scales.at(core::kInputLinearOps[g], l), p + "s_lin_i" + gate);
      layer.s_lin_h[g] =
          step_size(scales.at(core::kRecurrentLinearOps[g], l), p + "s_lin_h" + gate);
      layer.s_sum[g] = step_size(scales.at(core::kSumOps[g], l), p + "s_sum" + gate);
    }
    layer.s_rn = step_size(scales.at(Op::mul_rn, l), p + "s_rn");
    layer.s_un = step_size(scales.at(Op::mul_un, l), p + "s_un");
    layer.s_zh = step_size(scales.at(Op::mul_zh, l), p + "s_zh");
    layers_.push_back(layer);
  }
  classifier_ = make_linear(model.classifier, scales.weights_at(Op::w_o, -1), genome.bits(Op::w_o),
                            "classifier");
  s_out_ = step_size(scales.at(Op::out, -1), "s_out");
}

QatGruImpl::Linear QatGruImpl::make_linear(const quant::FloatLinear& f,
                                           const std::vector<double>& scales, int bits,
                                           const std::string& name) {
  Linear l;
  l.bits = bits;
  l.w = register_parameter(name + "_w", to_tensor(f.weights, {f.rows, f.cols}));
  l.b = register_parameter(name + "_b", to_tensor(f.bias, {f.rows}));
  std::vector<float> s(scales.begin(), scales.end());
  l.s_w = register_parameter(name + "_s", to_tensor(s, {f.rows, 1}));
  weights_.push_back(l.w);
  weights_.push_back(l.b);
  step_sizes_.push_back(l.s_w);
  return l;
}

torch::Tensor QatGruImpl::step_size(double value, const std::string& name) {
  torch::Tensor s = register_parameter(name, torch::tensor(static_cast<float>(value)));
  step_sizes_.push_back(s);
  return s;
}

torch::Tensor QatGruImpl::fq(const torch::Tensor& v, const torch::Tensor& s, int bits) const {
  const double qmax = quant::signed_max(bits);
  return (fused_ ? fake_quant_fused : fake_quant)(
      v, s.abs().clamp_min(1e-12), -qmax, qmax,
      lsq_grad_scale(v.numel() / std::max<int64_t>(v.size(0), 1), qmax));
}

std::pair<torch::Tensor, torch::Tensor> QatGruImpl::fake_weights(const Linear& l,
                                                                 const torch::Tensor& s_x) const {
  const double wmax = quant::signed_max(l.bits);
  const torch::Tensor s_w = weight_steps(l, s_x);
  const double g = lsq_grad_scale(l.w.size(1), wmax);
  const torch::Tensor w = (fused_ ? fake_quant_rows : fake_quant)(l.w, s_w, -wmax, wmax, g);
  // int32 bias at scale s_w * s_x: rounding only (the range never binds), scale not learned here.
  const torch::Tensor acc_scale = (s_w.squeeze(1) * s_x.abs()).detach();
  if (fused_) return {w, round_to_grid(l.b, acc_scale)};
  const torch::Tensor u = l.b / acc_scale;
  return {w, (u + (round_half_away(u) - u).detach()) * acc_scale};
}

torch::Tensor QatGruImpl::weight_steps(const Linear& l, const torch::Tensor& s_x) const {
  // A channel's step may not shrink so far that its bias b / (s_w s_x) leaves int32 (LSQ can
  // drive the step of a near-zero channel toward 0): keep |b| / (s_w s_x) <= 2^30.
  const torch::Tensor floor = (l.b.abs() / (s_x.abs() * 1073741824.0f)).detach().unsqueeze(1);
  return torch::max(l.s_w.abs(), floor).clamp_min(1e-12);
}

torch::Tensor QatGruImpl::linear(const Linear& l, const torch::Tensor& x, const torch::Tensor& s_x,
                                 const torch::Tensor& s_out, int out_bits) const {
  const auto [w, b] = fake_weights(l, s_x);
  return fq(torch::addmm(b, x, w.t()), s_out, out_bits);
}

torch::Tensor QatGruImpl::step(const torch::Tensor& s) const {
  return s.abs().clamp_min(1e-12);
}

std::pair<torch::Tensor, torch::Tensor> QatGruImpl::gate_weights(const Linear (&gates)[3],
                                                                 const torch::Tensor& s_x) const {
  std::vector<torch::Tensor> ws, bs;
  for (const Linear& l : gates) {
    const auto [w, b] = fake_weights(l, s_x);
    ws.push_back(w);
    bs.push_back(b);
  }
  return {torch::cat(ws, 0), torch::cat(bs, 0)};
}

QatCellRanges QatGruImpl::cell_ranges(size_t k) const {
  const int l = static_cast<int>(k);
  QatCellRanges r;
  for (int g = 0; g < 3; ++g) {
    r.lin_i_max[g] = quant::signed_max(genome_.bits(core::kInputLinearOps[g], l));
    r.lin_h_max[g] = quant::signed_max(genome_.bits(core::kRecurrentLinearOps[g], l));
    r.sum_max[g] = quant::signed_max(genome_.bits(core::kSumOps[g], l));
  }
  r.act_max[0] = quant::unsigned_max(genome_.bits(Op::act_r, l));
  r.act_max[1] = quant::unsigned_max(genome_.bits(Op::act_z, l));
  r.act_max[2] = quant::signed_max(genome_.bits(Op::act_n, l));
  r.rn_max = quant::signed_max(genome_.bits(Op::mul_rn, l));
  r.un_max = quant::signed_max(genome_.bits(Op::mul_un, l));
  r.zh_max = quant::signed_max(genome_.bits(Op::mul_zh, l));
  r.h_max = quant::signed_max(genome_.bits(Op::h, l));
  const double maxima[kQatSequenceSteps] = {r.lin_i_max[0], r.lin_i_max[1], r.lin_i_max[2],
                                            r.lin_h_max[0], r.lin_h_max[1], r.lin_h_max[2],
                                            r.sum_max[0],   r.sum_max[1],   r.sum_max[2],
                                            r.rn_max,       r.un_max,       r.zh_max};
  const int64_t hidden = shape_.layers[k].hidden;
  for (int i = 0; i < kQatSequenceSteps; ++i) r.grad_scale[i] = lsq_grad_scale(hidden, maxima[i]);
  return r;
}

int QatGruImpl::cell_threads() const {
  return std::clamp(threads_ > 0 ? threads_ : job_cores(), 1, 2);
}

torch::Tensor QatGruImpl::run_layer_fused(size_t k, const torch::Tensor& input,
                                          const torch::Tensor& s_input) {
  const Layer& L = layers_[k];
  const int64_t steps = input.size(0), batch = input.size(1);
  const auto [w_i, b_i] = gate_weights(L.lin_i, s_input);
  const auto [w_h, b_h] = gate_weights(L.lin_h, hidden_step(genome_, k));
  // One product for the three gates; their biases and lin_i quantizers are applied inside the
  // fused recurrence.
  const torch::Tensor ai =
      torch::mm(input.reshape({steps * batch, input.size(2)}), w_i.t()).view({steps, batch, -1});
  const torch::Tensor step_sizes =
      torch::stack({step(L.s_lin_i[0]), step(L.s_lin_i[1]), step(L.s_lin_i[2]), step(L.s_lin_h[0]),
                    step(L.s_lin_h[1]), step(L.s_lin_h[2]), step(L.s_sum[0]), step(L.s_sum[1]),
                    step(L.s_sum[2]), step(L.s_rn), step(L.s_un), step(L.s_zh)});
  return qat_gru_sequence(ai, b_i, w_h, b_h, step_sizes, cell_ranges(k), cell_threads());
}

torch::Tensor QatGruImpl::run_layer(size_t k, const torch::Tensor& input,
                                    const torch::Tensor& s_input) {
  const Layer& L = layers_[k];
  const int l = static_cast<int>(k);
  const int64_t batch = input.size(0), steps = input.size(1);
  const int64_t hidden = shape_.layers[k].hidden;
  const torch::Tensor flat = input.reshape({batch * steps, input.size(2)});
  torch::Tensor ai[3];
  for (int g = 0; g < 3; ++g) {
    ai[g] =
        linear(L.lin_i[g], flat, s_input, L.s_lin_i[g], genome_.bits(core::kInputLinearOps[g], l))
            .reshape({batch, steps, hidden});
  }
  const int h_bits = genome_.bits(Op::h, l);
  const torch::Tensor s_h = hidden_step(genome_, k);
  torch::Tensor h = torch::zeros({batch, hidden});
  std::vector<torch::Tensor> outputs;
  for (int64_t t = 0; t < steps; ++t) {
    torch::Tensor ah[3];
    for (int g = 0; g < 3; ++g)
      ah[g] =
          linear(L.lin_h[g], h, s_h, L.s_lin_h[g], genome_.bits(core::kRecurrentLinearOps[g], l));
    const torch::Tensor r =
        sigmoid_q(fq(ai[0].select(1, t) + ah[0], L.s_sum[0], genome_.bits(core::kSumOps[0], l)),
                  genome_.bits(core::kActOps[0], l));
    const torch::Tensor z =
        sigmoid_q(fq(ai[1].select(1, t) + ah[1], L.s_sum[1], genome_.bits(core::kSumOps[1], l)),
                  genome_.bits(core::kActOps[1], l));
    const torch::Tensor rn = fq(r * ah[2], L.s_rn, genome_.bits(Op::mul_rn, l));
    const torch::Tensor n = unit_q(
        torch::tanh(fq(ai[2].select(1, t) + rn, L.s_sum[2], genome_.bits(core::kSumOps[2], l))),
        genome_.bits(core::kActOps[2], l));
    const torch::Tensor un = fq((1 - z) * n, L.s_un, genome_.bits(Op::mul_un, l));
    const torch::Tensor zh = fq(z * h, L.s_zh, genome_.bits(Op::mul_zh, l));
    h = unit_q(un + zh, h_bits);
    outputs.push_back(h);
  }
  return torch::stack(outputs, 1);
}

torch::Tensor QatGruImpl::quantize_input(const torch::Tensor& x) const {
  const int x_bits = genome_.bits(Op::x, 0);
  const double xmax = x_unsigned_ ? quant::unsigned_max(x_bits) : quant::signed_max(x_bits);
  return (fused_ ? fake_quant_fused : fake_quant)(x, s_x_.abs().clamp_min(1e-12),
                                                  x_unsigned_ ? 0 : -xmax, xmax,
                                                  lsq_grad_scale(x.size(2), xmax));
}

torch::Tensor QatGruImpl::embed(const torch::Tensor& x) const {
  if (!emb_w_.defined()) return x;
  const torch::Tensor table = fq(emb_w_, s_emb_, genome_.bits(Op::emb));
  return torch::embedding(table, x.select(2, 0).to(torch::kLong));
}

torch::Tensor QatGruImpl::hidden_states(const torch::Tensor& x, torch::Tensor& s_hidden) {
  // The fused path runs time-major ([steps, batch, ...]): every step's rows are contiguous.
  const torch::Tensor cell_input = embed(x);
  torch::Tensor input = quantize_input(fused_ ? cell_input.transpose(0, 1) : cell_input);
  torch::Tensor s_input = s_x_;
  for (size_t k = 0; k < layers_.size(); ++k) {
    input = fused_ ? run_layer_fused(k, input, s_input) : run_layer(k, input, s_input);
    s_input = hidden_step(genome_, k);
  }
  s_hidden = s_input;
  return input;
}

torch::Tensor QatGruImpl::forward(const torch::Tensor& x) {
  torch::Tensor s_hidden;
  const torch::Tensor h = hidden_states(x, s_hidden);
  const int time_dim = fused_ ? 0 : 1;
  const torch::Tensor last = h.select(time_dim, h.size(time_dim) - 1);
  return linear(classifier_, last, s_hidden, s_out_, genome_.bits(Op::out));
}

torch::Tensor QatGruImpl::forward_steps(const torch::Tensor& x) {
  if (shape_.outputs <= 0) throw std::invalid_argument("forward_steps: not a per-step model");
  torch::Tensor s_hidden;
  torch::Tensor h = hidden_states(x, s_hidden);
  if (fused_) h = h.transpose(0, 1);  // [batch, steps, H]
  const int64_t batch = h.size(0), steps = h.size(1);
  const torch::Tensor out = linear(classifier_, h.reshape({batch * steps, h.size(2)}), s_hidden,
                                   s_out_, genome_.bits(Op::out));
  // The engine's head table: sigmoid of the quantized output onto the unsigned gain grid.
  const torch::Tensor gains =
      fake_quant_unit(torch::sigmoid(out), 0, quant::unsigned_max(genome_.bits(Op::gain)));
  return gains.reshape({batch, steps, out.size(1)});
}

std::vector<QatWeight> QatGruImpl::quantized_weights() const {
  torch::NoGradGuard no_grad;  // the steps, computed here, are constants; w keeps its gradient
  std::vector<QatWeight> out;
  auto add = [&out](const Linear& l, const torch::Tensor& s) { out.push_back({l.w, s, l.bits}); };
  if (emb_w_.defined()) out.push_back({emb_w_, step(s_emb_), genome_.bits(Op::emb)});
  torch::Tensor s_in = s_x_;
  for (size_t k = 0; k < layers_.size(); ++k) {
    const torch::Tensor s_h = hidden_step(genome_, k);
    for (const Linear& l : layers_[k].lin_i) add(l, weight_steps(l, s_in));
    for (const Linear& l : layers_[k].lin_h) add(l, weight_steps(l, s_h));
    s_in = s_h;
  }
  add(classifier_, weight_steps(classifier_, s_in));
  return out;
}

quant::FloatGruModel QatGruImpl::float_model() const {
  quant::FloatGruModel m = shape_;
  auto fill = [](quant::FloatLinear& f, const Linear& l) {
    f.weights = to_vector(l.w);
    f.bias = to_vector(l.b);
  };
  for (size_t k = 0; k < layers_.size(); ++k) {
    for (int g = 0; g < 3; ++g) {
      fill(m.layers[k].lin_i[g], layers_[k].lin_i[g]);
      fill(m.layers[k].lin_h[g], layers_[k].lin_h[g]);
    }
  }
  fill(m.classifier, classifier_);
  if (emb_w_.defined()) m.embedding.weights = to_vector(emb_w_);
  return m;
}

quant::ScaleSet QatGruImpl::scales() const {
  quant::ScaleSet s;
  s.x_unsigned = x_unsigned_;
  auto weights = [this](const Linear& l, const torch::Tensor& s_in) {
    std::vector<double> out;
    for (float v : to_vector(weight_steps(l, s_in))) out.push_back(double{v});
    return out;
  };
  s.activation[{Op::x, 0}] = step_value(s_x_);
  torch::NoGradGuard no_grad;
  torch::Tensor s_in = s_x_;
  for (size_t k = 0; k < layers_.size(); ++k) {
    const int l = static_cast<int>(k);
    const Layer& L = layers_[k];
    const torch::Tensor s_h = hidden_step(genome_, k);
    for (int g = 0; g < 3; ++g) {
      s.weight[{core::kInputWeightOps[g], l}] = weights(L.lin_i[g], s_in);
      s.weight[{core::kRecurrentWeightOps[g], l}] = weights(L.lin_h[g], s_h);
      s.activation[{core::kInputLinearOps[g], l}] = step_value(L.s_lin_i[g]);
      s.activation[{core::kRecurrentLinearOps[g], l}] = step_value(L.s_lin_h[g]);
      s.activation[{core::kSumOps[g], l}] = step_value(L.s_sum[g]);
    }
    s.activation[{Op::mul_rn, l}] = step_value(L.s_rn);
    s.activation[{Op::mul_un, l}] = step_value(L.s_un);
    s.activation[{Op::mul_zh, l}] = step_value(L.s_zh);
    s_in = s_h;
  }
  s.weight[{Op::w_o, -1}] = weights(classifier_, s_in);
  s.activation[{Op::out, -1}] = step_value(s_out_);
  if (s_emb_.defined()) s.weight[{Op::emb, -1}] = {step_value(s_emb_)};
  return s;
}

}  // namespace mpgru::train
