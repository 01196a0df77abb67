// Dequantizing the integer model's tensors exactly as the engine reads them.
#include "torchfile/quantized_parameters.hpp"

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

namespace mpgru::torchfile {
namespace {

std::string join(const std::string& module, const std::string& leaf) {
  return module + "." + leaf;
}

NamedTensor tensor(const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
  NamedTensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.values = std::move(values);
  t.storage_type = "torch.FloatStorage";
  return t;
}

// Rows of the three gates stacked (r, z, n) as nn.GRU holds them: weights q * scale of their row,
// biases q at weight scale x input scale.
void append_linear(const engine::QuantizedLinear& l, std::vector<float>& weights,
                   std::vector<float>& bias) {
  for (int32_t r = 0; r < l.rows; ++r) {
    const double scale = l.weight_scales[static_cast<size_t>(r)];
    for (int32_t c = 0; c < l.cols; ++c) {
      const size_t i =
          static_cast<size_t>(r) * static_cast<size_t>(l.cols) + static_cast<size_t>(c);
      weights.push_back(static_cast<float>(l.weights[i] * scale));
    }
    bias.push_back(static_cast<float>(l.bias[static_cast<size_t>(r)] * scale * l.input.scale));
  }
}

nlohmann::json point_json(const std::string& gene, const engine::QuantPoint& p) {
  return {{"gene", gene},     {"bits", p.bits},        {"signed", p.is_signed},
          {"scale", p.scale}, {"quant_min", p.qmin()}, {"quant_max", p.qmax()}};
}

// One stacked weight (or bias) of the gates `lins` under the genes `genes`.
nlohmann::json weight_json(const std::vector<const engine::QuantizedLinear*>& lins,
                           const std::vector<std::string>& genes, bool bias) {
  nlohmann::json scales = nlohmann::json::array();
  nlohmann::json bits = nlohmann::json::array();
  nlohmann::json qmax = nlohmann::json::array();
  for (const engine::QuantizedLinear* l : lins) {
    bits.push_back(bias ? 32 : l->weight_bits);
    qmax.push_back(bias ? INT32_MAX : quant::signed_max(l->weight_bits));
    for (double s : l->weight_scales) scales.push_back(bias ? s * l->input.scale : s);
  }
  nlohmann::json out = {
      {"genes", genes},   {"bits", bits},    {"rows_per_gene", lins.front()->rows},
      {"axis", 0},        {"zero_point", 0}, {"scales", scales},
      {"quant_max", qmax}};
  out["note"] = bias ? "int32 at the accumulator's scale (weight scale x input scale), not a gene"
                     : "signed narrow range: q in [-quant_max, quant_max], value = q * scale";
  return out;
}

std::string gene_prefix(int layer) {
  return layer == 0 ? "" : "l" + std::to_string(layer) + ".";
}

}  // namespace

std::vector<NamedTensor> fake_quantized_parameters(const engine::IntegerModel& m) {
  std::vector<NamedTensor> out;
  if (m.embedding.vocabulary > 0) {
    std::vector<float> table;
    for (int8_t q : m.embedding.table) {
      table.push_back(static_cast<float>(q * m.embedding.table_point.scale));
    }
    out.push_back(tensor("embedding.weight", {m.embedding.vocabulary, m.embedding.dim}, table));
  }
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const engine::GruLayer& l = m.layers[k];
    const std::string s = "_l" + std::to_string(k);
    for (const auto& [side, lins] : {std::pair{"ih", l.lin_i}, std::pair{"hh", l.lin_h}}) {
      std::vector<float> w, b;
      for (int g = 0; g < 3; ++g) append_linear(lins[g], w, b);
      out.push_back(
          tensor(join("gru", std::string("weight_") + side + s), {3 * l.hidden, lins[0].cols}, w));
      out.push_back(tensor(join("gru", std::string("bias_") + side + s), {3 * l.hidden}, b));
    }
  }
  std::vector<float> w, b;
  append_linear(m.classifier, w, b);
  out.push_back(tensor("classifier.weight", {m.classes, m.classifier.cols}, w));
  out.push_back(tensor("classifier.bias", {m.classes}, b));
  return out;
}

nlohmann::json quantization_json(const engine::IntegerModel& m) {
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json points = nlohmann::json::array();
  if (m.embedding.vocabulary > 0) {
    parameters["embedding.weight"] = {{"genes", {"emb"}},
                                      {"bits", {m.embedding.table_point.bits}},
                                      {"scales", {m.embedding.table_point.scale}},
                                      {"rows_per_gene", m.embedding.vocabulary},
                                      {"zero_point", 0},
                                      {"quant_max", {m.embedding.table_point.qmax()}},
                                      {"note", "one scale for the whole table"}};
  }
  points.push_back(point_json("x", m.input));
  static const char* gate[3] = {"r", "z", "n"};
  for (size_t k = 0; k < m.layers.size(); ++k) {
    const engine::GruLayer& l = m.layers[k];
    const std::string p = gene_prefix(static_cast<int>(k));
    const std::string s = "_l" + std::to_string(k);
    for (const auto& [side, lins, w] :
         {std::tuple{"ih", l.lin_i, "w_i."}, std::tuple{"hh", l.lin_h, "w_h."}}) {
      std::vector<std::string> genes;
      for (const char* g : gate) genes.push_back(p + w + g);
      const std::vector<const engine::QuantizedLinear*> ptrs = {&lins[0], &lins[1], &lins[2]};
      parameters[join("gru", std::string("weight_") + side + s)] = weight_json(ptrs, genes, false);
      parameters[join("gru", std::string("bias_") + side + s)] = weight_json(ptrs, genes, true);
    }
    for (int g = 0; g < 3; ++g)
      points.push_back(point_json(p + "lin_i." + gate[g], l.lin_i[g].output));
    for (int g = 0; g < 3; ++g)
      points.push_back(point_json(p + "lin_h." + gate[g], l.lin_h[g].output));
    for (int g = 0; g < 3; ++g) points.push_back(point_json(p + "sum." + gate[g], l.sum[g].output));
    for (int g = 0; g < 3; ++g) points.push_back(point_json(p + "act." + gate[g], l.act[g].output));
    points.push_back(point_json(p + "mul.rn", l.mul_rn.output));
    points.push_back(point_json(p + "mul.un", l.mul_un.output));
    points.push_back(point_json(p + "mul.zh", l.mul_zh.output));
    points.push_back(point_json(p + "h", l.h_add.output));
  }
  parameters["classifier.weight"] = weight_json({&m.classifier}, {"w_o"}, false);
  parameters["classifier.bias"] = weight_json({&m.classifier}, {"w_o"}, true);
  points.push_back(point_json("out", m.classifier.output));
  return {{"format", "mpgru quantization 1"},
          {"genome", m.genome.to_pairs()},
          {"parameters", parameters},
          {"points", points}};
}

}  // namespace mpgru::torchfile
