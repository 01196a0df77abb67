// Integer model invariants and size accounting.
#include "engine/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "quant/bitpack.hpp"

namespace mpgru::engine {
namespace {

constexpr int kMultiplierBytes = 5;

bool bits_ok(int bits) {
  return bits >= core::kMinBits && bits <= core::kMaxBits;
}

std::string check_point(const QuantPoint& p, const std::string& what) {
  if (!bits_ok(p.bits)) return what + ": bits " + std::to_string(p.bits) + " outside 2..8";
  if (!(p.scale > 0) || !std::isfinite(p.scale)) return what + ": scale not positive and finite";
  return {};
}

bool multiplier_ok(const quant::Multiplier& m) {
  if (m.m0 == 0) return m.shift == 0;
  return m.m0 >= (int32_t{1} << 30) && m.shift >= -31 && m.shift <= 30;
}

std::string check_linear(const QuantizedLinear& l, const std::string& what) {
  if (l.rows <= 0 || l.cols <= 0) return what + ": empty shape";
  const size_t n = static_cast<size_t>(l.rows) * static_cast<size_t>(l.cols);
  if (l.weights.size() != n || l.weight_scales.size() != static_cast<size_t>(l.rows) ||
      l.bias.size() != static_cast<size_t>(l.rows) ||
      l.multipliers.size() != static_cast<size_t>(l.rows)) {
    return what + ": array sizes disagree with " + std::to_string(l.rows) + "x" +
           std::to_string(l.cols);
  }
  if (!bits_ok(l.weight_bits)) return what + ": weight bits outside 2..8";
  for (double s : l.weight_scales) {
    if (!(s > 0) || !std::isfinite(s)) return what + ": weight scale not positive and finite";
  }
  if (auto e = check_point(l.input, what + " input"); !e.empty()) return e;
  if (auto e = check_point(l.output, what + " output"); !e.empty()) return e;
  if (!l.output.is_signed) return what + ": output must be signed";
  const int32_t wmax = quant::signed_max(l.weight_bits);
  for (size_t i = 0; i < n; ++i) {
    if (std::abs(int32_t{l.weights[i]}) > wmax) {
      return what + ": weight " + std::to_string(i) + " outside the " +
             std::to_string(l.weight_bits) + "-bit range";
    }
  }
  for (const quant::Multiplier& m : l.multipliers) {
    if (!multiplier_ok(m)) return what + ": invalid multiplier";
  }
  if (worst_case_accumulator(l) > std::numeric_limits<int32_t>::max()) {
    return what + ": worst-case accumulator " + std::to_string(worst_case_accumulator(l)) +
           " overflows int32 (fan-in " + std::to_string(l.cols) + ", " +
           std::to_string(l.weight_bits) + "-bit weights, " + std::to_string(l.input.bits) +
           "-bit inputs)";
  }
  return {};
}

std::string check_lut(const Lut& lut, const std::string& what) {
  if (auto e = check_point(lut.input, what + " input"); !e.empty()) return e;
  if (auto e = check_point(lut.output, what + " output"); !e.empty()) return e;
  const auto entries = static_cast<size_t>(lut.input.qmax() - lut.input.qmin() + 1);
  if (lut.table.size() != entries) return what + ": table size disagrees with its input bits";
  for (int16_t v : lut.table) {
    if (v < lut.output.qmin() || v > lut.output.qmax()) return what + ": entry out of range";
  }
  return {};
}

std::string check_add(const QuantizedAdd& a, const std::string& what) {
  for (const auto& [p, name] : {std::pair{&a.a, "a"}, {&a.b, "b"}, {&a.output, "output"}}) {
    if (auto e = check_point(*p, what + " " + name); !e.empty()) return e;
  }
  if (!multiplier_ok(a.params.a) || !multiplier_ok(a.params.b) || !multiplier_ok(a.params.out)) {
    return what + ": invalid multiplier";
  }
  return {};
}

std::string check_mul(const QuantizedMul& m, const std::string& what) {
  for (const auto& [p, name] : {std::pair{&m.a, "a"}, {&m.b, "b"}, {&m.output, "output"}}) {
    if (auto e = check_point(*p, what + " " + name); !e.empty()) return e;
  }
  if (!multiplier_ok(m.multiplier)) return what + ": invalid multiplier";
  return {};
}

// The bit widths stored in the layer must be the genome's.
std::string check_layer_genes(const IntegerModel& m, const GruLayer& l, int k) {
  using core::Op;
  const core::Genome& g = m.genome;
  for (int gate = 0; gate < 3; ++gate) {
    if (l.lin_i[gate].weight_bits != g.bits(core::kInputWeightOps[gate], k) ||
        l.lin_h[gate].weight_bits != g.bits(core::kRecurrentWeightOps[gate], k) ||
        l.lin_i[gate].output.bits != g.bits(core::kInputLinearOps[gate], k) ||
        l.lin_h[gate].output.bits != g.bits(core::kRecurrentLinearOps[gate], k) ||
        l.sum[gate].output.bits != g.bits(core::kSumOps[gate], k) ||
        l.act[gate].output.bits != g.bits(core::kActOps[gate], k)) {
      return "layer " + std::to_string(k) + ": bit widths disagree with the genome";
    }
  }
  if (l.mul_rn.output.bits != g.bits(Op::mul_rn, k) ||
      l.mul_un.output.bits != g.bits(Op::mul_un, k) ||
      l.mul_zh.output.bits != g.bits(Op::mul_zh, k) || l.h_add.output.bits != g.bits(Op::h, k)) {
    return "layer " + std::to_string(k) + ": bit widths disagree with the genome";
  }
  return {};
}

std::string check_layer(const IntegerModel& m, const GruLayer& l, int k) {
  const std::string where = "layer " + std::to_string(k) + " ";
  static const char* gate_name[3] = {"r", "z", "n"};
  for (int g = 0; g < 3; ++g) {
    const std::string gate = gate_name[g];
    if (auto e = check_linear(l.lin_i[g], where + "lin_i." + gate); !e.empty()) return e;
    if (auto e = check_linear(l.lin_h[g], where + "lin_h." + gate); !e.empty()) return e;
    if (l.lin_i[g].rows != l.hidden || l.lin_i[g].cols != l.input_size ||
        l.lin_h[g].rows != l.hidden || l.lin_h[g].cols != l.hidden) {
      return where + gate + ": linear shapes disagree with input " + std::to_string(l.input_size) +
             " / hidden " + std::to_string(l.hidden);
    }
    if (auto e = check_add(l.sum[g], where + "sum." + gate); !e.empty()) return e;
    if (auto e = check_lut(l.act[g], where + "act." + gate); !e.empty()) return e;
  }
  if (auto e = check_mul(l.mul_rn, where + "mul.rn"); !e.empty()) return e;
  if (auto e = check_mul(l.mul_un, where + "mul.un"); !e.empty()) return e;
  if (auto e = check_mul(l.mul_zh, where + "mul.zh"); !e.empty()) return e;
  if (auto e = check_add(l.h_add, where + "h"); !e.empty()) return e;
  if (l.act[kGateR].output.is_signed || l.act[kGateZ].output.is_signed ||
      !l.act[kGateN].output.is_signed) {
    return where + ": sigma outputs must be unsigned and tanh's signed";
  }
  return check_layer_genes(m, l, k);
}

std::string check_embedding(const IntegerModel& m) {
  const QuantizedEmbedding& e = m.embedding;
  if (!m.genome.layout().embedding) {
    return e.vocabulary == 0 ? std::string() : "embedding: the genome has no emb gene";
  }
  if (e.vocabulary <= 0 || e.dim != m.features) {
    return "embedding: needs vocabulary > 0 and dim = features (" + std::to_string(m.features) +
           ")";
  }
  if (auto err = check_point(e.table_point, "embedding table"); !err.empty()) return err;
  if (!e.table_point.is_signed || e.table_point.bits != m.genome.bits(core::Op::emb)) {
    return "embedding: table must be signed at the emb gene's bits";
  }
  if (e.table.size() != static_cast<size_t>(e.vocabulary) * static_cast<size_t>(e.dim)) {
    return "embedding: table size disagrees with " + std::to_string(e.vocabulary) + "x" +
           std::to_string(e.dim);
  }
  const int32_t wmax = quant::signed_max(e.table_point.bits);
  for (size_t i = 0; i < e.table.size(); ++i) {
    if (std::abs(int32_t{e.table[i]}) > wmax) {
      return "embedding: entry " + std::to_string(i) + " outside the " +
             std::to_string(e.table_point.bits) + "-bit range";
    }
  }
  if (!multiplier_ok(e.to_input)) return "embedding: invalid multiplier";
  return {};
}

// One edge of the GRU's data flow: the point an operator reads must be the point its producer
// writes, or a kernel indexes a table or clamps with ranges that do not hold.
struct Edge {
  std::string reader;
  const QuantPoint* read;
  std::string writer;
  const QuantPoint* written;
};

// The wiring of layer `l` (docs/quantization.md section 3), as data: reference_kernels.cpp's
// gru_step in the order it runs. `input` is what the layer reads (the model input or the layer
// below's h).
std::vector<Edge> layer_wiring(const GruLayer& l, const std::string& where, const QuantPoint& input,
                               const std::string& input_name) {
  static const char* gate_name[3] = {"r", "z", "n"};
  const QuantPoint& h = l.h_add.output;
  std::vector<Edge> e;
  for (int g = 0; g < 3; ++g) {
    const std::string gate = gate_name[g];
    e.push_back({where + "lin_i." + gate + " input", &l.lin_i[g].input, input_name, &input});
    e.push_back({where + "lin_h." + gate + " input", &l.lin_h[g].input, where + "h output", &h});
    e.push_back({where + "sum." + gate + " a", &l.sum[g].a, where + "lin_i." + gate + " output",
                 &l.lin_i[g].output});
    if (g == kGateN) {
      e.push_back({where + "sum.n b", &l.sum[g].b, where + "mul.rn output", &l.mul_rn.output});
    } else {
      e.push_back({where + "sum." + gate + " b", &l.sum[g].b, where + "lin_h." + gate + " output",
                   &l.lin_h[g].output});
    }
    e.push_back({where + "act." + gate + " input", &l.act[g].input,
                 where + "sum." + gate + " output", &l.sum[g].output});
  }
  e.push_back({where + "mul.rn a", &l.mul_rn.a, where + "act.r output", &l.act[kGateR].output});
  e.push_back({where + "mul.rn b", &l.mul_rn.b, where + "lin_h.n output", &l.lin_h[kGateN].output});
  e.push_back({where + "mul.un a", &l.mul_un.a, where + "act.z output", &l.act[kGateZ].output});
  e.push_back({where + "mul.un b", &l.mul_un.b, where + "act.n output", &l.act[kGateN].output});
  e.push_back({where + "mul.zh a", &l.mul_zh.a, where + "act.z output", &l.act[kGateZ].output});
  e.push_back({where + "mul.zh b", &l.mul_zh.b, where + "h output", &h});
  e.push_back({where + "h a", &l.h_add.a, where + "mul.un output", &l.mul_un.output});
  e.push_back({where + "h b", &l.h_add.b, where + "mul.zh output", &l.mul_zh.output});
  return e;
}

std::string describe(const QuantPoint& p) {
  return std::to_string(p.bits) + "-bit " + (p.is_signed ? "signed" : "unsigned") + " scale " +
         std::to_string(p.scale);
}

bool same_point(const QuantPoint& a, const QuantPoint& b) {
  return a.bits == b.bits && a.is_signed == b.is_signed && a.scale == b.scale;
}

std::string check_edges(const std::vector<Edge>& edges) {
  for (const Edge& e : edges) {
    if (!same_point(*e.read, *e.written)) {
      return e.reader + ": reads " + describe(*e.read) + ", but " + e.writer + " writes " +
             describe(*e.written);
    }
  }
  return {};
}

// The points whose scale the design fixes (q = qmax stands for 1): sigma's outputs unsigned,
// tanh's and h signed.
std::string check_fixed_point(const QuantPoint& p, bool is_signed, const std::string& what) {
  const double unit = 1.0 / (is_signed ? quant::signed_max(p.bits) : quant::unsigned_max(p.bits));
  if (p.is_signed != is_signed || std::abs(p.scale - unit) > 1e-12 * unit) {
    return what + ": must be " + (is_signed ? "signed" : "unsigned") + " with scale 1/" +
           std::to_string(is_signed ? quant::signed_max(p.bits) : quant::unsigned_max(p.bits)) +
           ", is " + describe(p);
  }
  return {};
}

// The add's int32 sum apply(qa << 20, a) + apply(qb << 20, b) cannot overflow when both operand
// multipliers are at most 0.5 (|q| <= 255: each term below 2^28).
std::string check_add_operands(const QuantizedAdd& a, const std::string& what) {
  for (const auto& [m, name] : {std::pair{&a.params.a, "a"}, {&a.params.b, "b"}}) {
    if (std::ldexp(static_cast<double>(m->m0), m->shift - 31) > 0.5) {
      return what + ": operand " + name + "'s multiplier " +
             std::to_string(std::ldexp(static_cast<double>(m->m0), m->shift - 31)) +
             " exceeds 0.5 (the add's sum could overflow int32)";
    }
  }
  return {};
}

// The data flow of a layer: wiring, fixed scales, add bounds.
std::string check_layer_flow(const GruLayer& l, int k, const QuantPoint& input,
                             const std::string& input_name) {
  const std::string where = "layer " + std::to_string(k) + " ";
  if (auto e = check_edges(layer_wiring(l, where, input, input_name)); !e.empty()) return e;
  if (auto e = check_fixed_point(l.act[kGateR].output, false, where + "act.r output"); !e.empty()) {
    return e;
  }
  if (auto e = check_fixed_point(l.act[kGateZ].output, false, where + "act.z output"); !e.empty()) {
    return e;
  }
  if (auto e = check_fixed_point(l.act[kGateN].output, true, where + "act.n output"); !e.empty()) {
    return e;
  }
  if (auto e = check_fixed_point(l.h_add.output, true, where + "h output"); !e.empty()) return e;
  static const char* sum_name[3] = {"sum.r", "sum.z", "sum.n"};
  for (int g = 0; g < 3; ++g) {
    if (auto e = check_add_operands(l.sum[g], where + sum_name[g]); !e.empty()) return e;
  }
  return check_add_operands(l.h_add, where + "h");
}

}  // namespace

int64_t worst_case_accumulator(const QuantizedLinear& l) {
  const int64_t xmax = std::max(std::abs(int64_t{l.input.qmin()}), int64_t{l.input.qmax()});
  int64_t worst = 0;
  for (int32_t c = 0; c < l.rows; ++c) {
    int64_t sum = std::abs(int64_t{l.bias.at(static_cast<size_t>(c))});
    for (int32_t j = 0; j < l.cols; ++j) {
      sum += std::abs(int64_t{l.weights.at(static_cast<size_t>(c) * l.cols + j)}) * xmax;
    }
    worst = std::max(worst, sum);
  }
  return worst;
}

ModelSize model_size(const IntegerModel& model) {
  ModelSize s;
  int64_t packed = 0;
  auto add_linear = [&](const QuantizedLinear& l) {
    s.weight_count += static_cast<int64_t>(l.weights.size());
    s.weight_bits += static_cast<int64_t>(l.weights.size()) * l.weight_bits;
    s.bias_count += static_cast<int64_t>(l.bias.size());
    packed += static_cast<int64_t>(quant::packed_size(l.weights.size(), l.weight_bits));
    s.multiplier_bytes += kMultiplierBytes * static_cast<int64_t>(l.multipliers.size());
  };
  const int64_t steps = std::max<int32_t>(model.steps, 1);
  auto linear_bops = [](const QuantizedLinear& l) {
    return static_cast<int64_t>(l.weights.size()) * l.weight_bits * l.input.bits;
  };
  auto mul_bops = [](const QuantizedMul& m) { return int64_t{m.a.bits} * m.b.bits; };
  for (const GruLayer& layer : model.layers) {
    s.bops += steps * layer.hidden *
              (mul_bops(layer.mul_rn) + mul_bops(layer.mul_un) + mul_bops(layer.mul_zh));
    for (int g = 0; g < 3; ++g) {
      s.bops += steps * (linear_bops(layer.lin_i[g]) + linear_bops(layer.lin_h[g]));
      add_linear(layer.lin_i[g]);
      add_linear(layer.lin_h[g]);
      s.lut_bytes += static_cast<int64_t>(layer.act[g].table.size());
    }
    // 4 adds x 3 multipliers + 3 products x 1.
    s.multiplier_bytes += kMultiplierBytes * (4 * 3 + 3);
  }
  add_linear(model.classifier);
  s.bops += (model.per_step ? steps : 1) * linear_bops(model.classifier);
  if (model.per_step) s.lut_bytes += static_cast<int64_t>(model.head.table.size());
  if (const QuantizedEmbedding& e = model.embedding; e.vocabulary > 0) {
    s.weight_count += static_cast<int64_t>(e.table.size());
    s.weight_bits += static_cast<int64_t>(e.table.size()) * e.table_point.bits;
    packed += static_cast<int64_t>(quant::packed_size(e.table.size(), e.table_point.bits));
    s.multiplier_bytes += kMultiplierBytes;
  }
  s.size_bits = s.weight_bits + 32 * s.bias_count;
  s.footprint_bytes = packed + 4 * s.bias_count + s.lut_bytes + s.multiplier_bytes;
  return s;
}

namespace {

// The per-step head: present exactly when the genome has a gain gene, reading the classifier's
// output, writing the gain grid.
std::string check_head(const IntegerModel& m) {
  if (m.per_step != m.genome.layout().per_step) {
    return "head: the model and its genome disagree on a per-step head";
  }
  if (!m.per_step) return {};
  if (auto e = check_lut(m.head, "head"); !e.empty()) return e;
  if (auto e =
          check_edges({{"head input", &m.head.input, "classifier output", &m.classifier.output}});
      !e.empty()) {
    return e;
  }
  if (auto e = check_fixed_point(m.head.output, false, "head output"); !e.empty()) return e;
  if (m.head.output.bits != m.genome.bits(core::Op::gain)) {
    return "head: output bits disagree with the genome";
  }
  return {};
}

}  // namespace

std::string check_model(const IntegerModel& m) {
  if (m.features <= 0 || m.classes < 2) return "model: features must be > 0 and classes >= 2";
  if (m.layers.empty() || static_cast<int>(m.layers.size()) != m.genome.layout().layers) {
    return "model: layer count disagrees with the genome";
  }
  if (auto e = check_embedding(m); !e.empty()) return e;
  if (auto e = check_point(m.input, "input"); !e.empty()) return e;
  if (m.input.bits != m.genome.bits(core::Op::x, 0)) return "input: bits disagree with the genome";
  int32_t input_size = m.features;
  const QuantPoint* input = &m.input;
  std::string input_name = "the model input (x)";
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const GruLayer& l = m.layers[k];
    if (l.input_size != input_size || l.hidden <= 0) {
      return "layer " + std::to_string(k) + ": input size " + std::to_string(l.input_size) +
             ", expected " + std::to_string(input_size);
    }
    if (auto e = check_layer(m, l, static_cast<int>(k)); !e.empty()) return e;
    if (auto e = check_layer_flow(l, static_cast<int>(k), *input, input_name); !e.empty()) {
      return e;
    }
    input_size = l.hidden;
    input = &l.h_add.output;
    input_name = "layer " + std::to_string(k) + " h output";
  }
  const QuantizedLinear& c = m.classifier;
  if (auto e = check_linear(c, "classifier"); !e.empty()) return e;
  if (auto e = check_edges({{"classifier input", &c.input, input_name, input}}); !e.empty()) {
    return e;
  }
  if (c.rows != m.classes || c.cols != m.hidden()) return "classifier: shape disagrees";
  if (c.weight_bits != m.genome.bits(core::Op::w_o) ||
      c.output.bits != m.genome.bits(core::Op::out)) {
    return "classifier: bit widths disagree with the genome";
  }
  return check_head(m);
}

}  // namespace mpgru::engine
