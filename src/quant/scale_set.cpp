// PTQ scale rules.
#include "quant/scale_set.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "quant/fixed_point.hpp"
#include "quant/weight_quantizer.hpp"

namespace mpgru::quant {
namespace {

using core::Op;

std::string name(Op op, int layer) {
  return (layer > 0 ? "l" + std::to_string(layer) + "." : std::string()) + core::op_name(op);
}

std::vector<double> weight_scales(const FloatLinear& l, int bits) {
  std::vector<double> s;
  for (int32_t c = 0; c < l.rows; ++c) {
    s.push_back(
        mse_channel_scale(l.weights.data() + static_cast<size_t>(c) * static_cast<size_t>(l.cols),
                          static_cast<size_t>(l.cols), bits));
  }
  return s;
}

}  // namespace

double ScaleSet::at(Op op, int layer) const {
  const auto it = activation.find({op, layer});
  if (it == activation.end())
    throw std::out_of_range("scale set has no step size for " + name(op, layer));
  return it->second;
}

const std::vector<double>& ScaleSet::weights_at(Op op, int layer) const {
  const auto it = weight.find({op, layer});
  if (it == weight.end())
    throw std::out_of_range("scale set has no weight scales for " + name(op, layer));
  return it->second;
}

double sigmoid_input_cap(int bits) {
  return std::log(2.0 * unsigned_max(bits));
}
double tanh_input_cap(int bits) {
  return 0.5 * std::log(4.0 * signed_max(bits));
}

ScaleSet ptq_scales(const FloatGruModel& model, const Calibration& c, const core::Genome& g) {
  ScaleSet s;
  const int x_bits = g.bits(Op::x, 0);
  s.x_unsigned = c.nonnegative(Op::x, 0);
  s.activation[{Op::x, 0}] =
      c.range(Op::x, 0, x_bits) / (s.x_unsigned ? unsigned_max(x_bits) : signed_max(x_bits));
  auto set = [&](Op op, int layer, double cap) {
    const int bits = g.bits(op, layer);
    s.activation[{op, layer}] = std::min(c.range(op, layer, bits), cap) / signed_max(bits);
  };
  const double none = INFINITY;
  const auto& wi = core::kInputWeightOps;
  const auto& wh = core::kRecurrentWeightOps;
  for (int k = 0; k < static_cast<int>(model.layers.size()); ++k) {
    const FloatGruLayer& layer = model.layers[static_cast<size_t>(k)];
    for (int gate = 0; gate < 3; ++gate) {
      s.weight[{wi[gate], k}] = weight_scales(layer.lin_i[gate], g.bits(wi[gate], k));
      s.weight[{wh[gate], k}] = weight_scales(layer.lin_h[gate], g.bits(wh[gate], k));
      set(core::kInputLinearOps[gate], k, none);
      set(core::kRecurrentLinearOps[gate], k, none);
    }
    set(Op::sum_r, k, sigmoid_input_cap(g.bits(Op::act_r, k)));
    set(Op::sum_z, k, sigmoid_input_cap(g.bits(Op::act_z, k)));
    set(Op::sum_n, k, tanh_input_cap(g.bits(Op::act_n, k)));
    set(Op::mul_rn, k, none);
    set(Op::mul_un, k, none);
    set(Op::mul_zh, k, none);
  }
  s.weight[{Op::w_o, -1}] = weight_scales(model.classifier, g.bits(Op::w_o));
  if (model.embedding.vocabulary > 0) {
    const std::vector<float>& table = model.embedding.weights;
    s.weight[{Op::emb, -1}] = {mse_channel_scale(table.data(), table.size(), g.bits(Op::emb))};
  }
  // A per-step head's output goes through a sigmoid table: clipped where the table saturates.
  set(Op::out, -1, model.outputs > 0 ? sigmoid_input_cap(g.bits(Op::gain)) : none);
  return s;
}

}  // namespace mpgru::quant
