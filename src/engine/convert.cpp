// Conversion to the integer model, op by op in the order of DESIGN.md section 3.
#include "engine/convert.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/reference_kernels.hpp"
#include "quant/weight_quantizer.hpp"

namespace mpgru::engine {
namespace {

using core::Op;

double sigmoid(double v) {
  return 1.0 / (1.0 + std::exp(-v));
}
double tanh_fn(double v) {
  return std::tanh(v);
}

// A signed point at the genome's bits with the scale set's step size.
QuantPoint point(const quant::ScaleSet& s, const core::Genome& g, Op op, int layer) {
  return {g.bits(op, layer), true, s.at(op, layer)};
}

quant::Multiplier multiplier(double real, const std::string& what) {
  try {
    return quant::decompose_multiplier(real);
  } catch (const std::invalid_argument& e) {
    throw UnbuildableModel(what + ": " + e.what());
  }
}

QuantizedLinear make_linear(const quant::FloatLinear& f, int weight_bits,
                            const std::vector<double>& weight_scales, const QuantPoint& input,
                            const QuantPoint& output, const std::string& what) {
  if (weight_scales.size() != static_cast<size_t>(f.rows)) {
    throw std::invalid_argument(what + ": " + std::to_string(weight_scales.size()) +
                                " weight scales for " + std::to_string(f.rows) + " rows");
  }
  QuantizedLinear l;
  l.rows = f.rows;
  l.cols = f.cols;
  l.weight_bits = weight_bits;
  l.input = input;
  l.output = output;
  l.weight_scales = weight_scales;
  l.weights = quant::quantize_with_scales(f.weights, f.rows, f.cols, weight_bits, weight_scales);
  for (size_t c = 0; c < static_cast<size_t>(f.rows); ++c) {
    const double acc_scale = l.weight_scales[c] * input.scale;
    const double q = std::round(f.bias[c] / acc_scale);
    if (!(std::fabs(q) <= std::numeric_limits<int32_t>::max())) {
      throw UnbuildableModel(what + ": bias " + std::to_string(c) + " overflows int32");
    }
    l.bias.push_back(static_cast<int32_t>(q));
    l.multipliers.push_back(multiplier(acc_scale / output.scale, what));
  }
  if (worst_case_accumulator(l) > std::numeric_limits<int32_t>::max()) {
    throw UnbuildableModel(what + ": worst-case accumulator " +
                           std::to_string(worst_case_accumulator(l)) +
                           " overflows int32; refusing the model");
  }
  return l;
}

QuantizedEmbedding make_embedding(const quant::FloatEmbedding& f, int bits, double scale,
                                  const QuantPoint& input) {
  QuantizedEmbedding e;
  e.vocabulary = f.vocabulary;
  e.dim = f.dim;
  e.table_point = {bits, true, scale};
  e.table = quant::quantize_with_scales(f.weights, 1, f.vocabulary * f.dim, bits, {scale});
  e.to_input = multiplier(scale / input.scale, "embedding");
  return e;
}

// Validates the model and that the genome's layout (layers, embedding) is the model's.
void check_layout(const quant::FloatGruModel& model, const core::Genome& genome) {
  quant::validate(model);
  const bool embedding = model.embedding.vocabulary > 0;
  if (genome.layout().per_step != (model.outputs > 0)) {
    throw std::invalid_argument(std::string("genome is for a ") +
                                (genome.layout().per_step ? "per-step model (with a gain gene)"
                                                          : "classifier (no gain gene)") +
                                ", the model is " +
                                (model.outputs > 0 ? "a per-step model" : "a classifier"));
  }
  if (genome.layout().layers != static_cast<int>(model.layers.size()) ||
      genome.layout().embedding != embedding) {
    throw std::invalid_argument("genome is for " + std::to_string(genome.layout().layers) +
                                " layer(s)" + (genome.layout().embedding ? " with" : " without") +
                                " embedding, the model has " + std::to_string(model.layers.size()) +
                                " layer(s)" + (embedding ? " with" : " without") + " embedding");
  }
}

QuantizedAdd make_add(const QuantPoint& a, const QuantPoint& b, const QuantPoint& out,
                      const std::string& what) {
  try {
    return {a, b, out, quant::make_add_params(a.scale, b.scale, out.scale)};
  } catch (const std::invalid_argument& e) {
    throw UnbuildableModel(what + ": " + e.what());
  }
}

QuantizedMul make_mul(const QuantPoint& a, const QuantPoint& b, const QuantPoint& out,
                      const std::string& what) {
  return {a, b, out, multiplier(a.scale * b.scale / out.scale, what)};
}

GruLayer make_layer(const quant::FloatGruLayer& f, const quant::ScaleSet& s, const core::Genome& g,
                    int k, const QuantPoint& input) {
  const std::string where = "layer " + std::to_string(k) + " ";
  GruLayer l;
  l.input_size = f.input_size;
  l.hidden = f.hidden;
  const int h_bits = g.bits(Op::h, k);
  const QuantPoint h{h_bits, true, 1.0 / quant::signed_max(h_bits)};
  for (int gate = 0; gate < 3; ++gate) {
    l.lin_i[gate] = make_linear(f.lin_i[gate], g.bits(core::kInputWeightOps[gate], k),
                                s.weights_at(core::kInputWeightOps[gate], k), input,
                                point(s, g, core::kInputLinearOps[gate], k),
                                where + core::op_name(core::kInputLinearOps[gate]));
    l.lin_h[gate] = make_linear(f.lin_h[gate], g.bits(core::kRecurrentWeightOps[gate], k),
                                s.weights_at(core::kRecurrentWeightOps[gate], k), h,
                                point(s, g, core::kRecurrentLinearOps[gate], k),
                                where + core::op_name(core::kRecurrentLinearOps[gate]));
  }
  QuantPoint act[3];
  for (int gate = 0; gate < 3; ++gate) {
    const int bits = g.bits(core::kActOps[gate], k);
    act[gate] = gate == kGateN ? QuantPoint{bits, true, 1.0 / quant::signed_max(bits)}
                               : QuantPoint{bits, false, 1.0 / quant::unsigned_max(bits)};
  }
  l.mul_rn =
      make_mul(act[kGateR], l.lin_h[kGateN].output, point(s, g, Op::mul_rn, k), where + "mul.rn");
  for (int gate = 0; gate < 3; ++gate) {
    const QuantPoint& b = gate == kGateN ? l.mul_rn.output : l.lin_h[gate].output;
    l.sum[gate] = make_add(l.lin_i[gate].output, b, point(s, g, core::kSumOps[gate], k),
                           where + core::op_name(core::kSumOps[gate]));
    l.act[gate] = make_lut(l.sum[gate].output, act[gate], gate == kGateN ? tanh_fn : sigmoid);
  }
  l.mul_un = make_mul(act[kGateZ], act[kGateN], point(s, g, Op::mul_un, k), where + "mul.un");
  l.mul_zh = make_mul(act[kGateZ], h, point(s, g, Op::mul_zh, k), where + "mul.zh");
  l.h_add = make_add(l.mul_un.output, l.mul_zh.output, h, where + "h");
  return l;
}

}  // namespace

Lut make_lut(const QuantPoint& input, const QuantPoint& output, double (*f)(double)) {
  Lut lut{input, output, {}};
  for (int32_t q = input.qmin(); q <= input.qmax(); ++q) {
    lut.table.push_back(static_cast<int16_t>(ref::quantize(output, f(input.scale * q))));
  }
  return lut;
}

IntegerModel convert(const quant::FloatGruModel& model, const quant::ScaleSet& scales,
                     const core::Genome& genome, int32_t steps) {
  check_layout(model, genome);
  const bool embedding = model.embedding.vocabulary > 0;
  IntegerModel m;
  m.genome = genome;
  m.steps = steps;
  m.features = model.features;
  m.classes = model.outputs > 0 ? model.outputs : model.classes;
  m.input = {genome.bits(Op::x, 0), !scales.x_unsigned, scales.at(Op::x, 0)};
  if (embedding) {
    const std::vector<double>& scale = scales.weights_at(Op::emb, -1);
    if (scale.size() != 1) throw std::invalid_argument("embedding: needs exactly one scale");
    m.embedding = make_embedding(model.embedding, genome.bits(Op::emb), scale[0], m.input);
  }
  QuantPoint input = m.input;
  for (size_t k = 0; k < model.layers.size(); ++k) {
    m.layers.push_back(make_layer(model.layers[k], scales, genome, static_cast<int>(k), input));
    input = m.layers.back().h_add.output;
  }
  m.classifier = make_linear(model.classifier, genome.bits(Op::w_o), scales.weights_at(Op::w_o, -1),
                             input, point(scales, genome, Op::out, -1), "classifier");
  if (model.outputs > 0) {  // the per-step head's sigmoid onto the gain grid
    const int bits = genome.bits(Op::gain);
    m.per_step = true;
    m.head = make_lut(m.classifier.output, {bits, false, 1.0 / quant::unsigned_max(bits)}, sigmoid);
  }
  if (const std::string error = check_model(m); !error.empty()) {
    throw std::invalid_argument("conversion produced an invalid model: " + error);
  }
  return m;
}

IntegerModel convert(const quant::FloatGruModel& model, const quant::Calibration& calibration,
                     const core::Genome& genome, int32_t steps) {
  check_layout(model, genome);
  return convert(model, quant::ptq_scales(model, calibration, genome), genome, steps);
}

}  // namespace mpgru::engine
