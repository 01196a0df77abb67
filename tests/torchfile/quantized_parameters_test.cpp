// The integer model handed back to PyTorch: every weight is q * scale of its row exactly, every
// gene appears once in the JSON with the model's own bit width and scale.
#include "torchfile/quantized_parameters.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "fixtures/random_model.hpp"

namespace mpgru::torchfile {
namespace {

const NamedTensor& find(const std::vector<NamedTensor>& tensors, const std::string& name) {
  for (const NamedTensor& t : tensors) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no tensor " + name);
}

// Two layers and an embedding, every bit width from 2 to 8 somewhere (1 + 24 + 23 genes).
core::Genome two_layers() {
  return core::Genome::parse(core::GenomeLayout{2, true},
                             "234567823456782345678234567823456782345678234567");
}

TEST(QuantizedParameters, WeightsAreTheIntegersTimesTheirRowScale) {
  const engine::IntegerModel m = testing::random_model(two_layers(), 5, 6, 3, 7);
  const std::vector<NamedTensor> tensors = fake_quantized_parameters(m);
  ASSERT_EQ(tensors.size(), 11u);  // embedding, 4 per layer, classifier weight and bias
  const NamedTensor& table = find(tensors, "embedding.weight");
  EXPECT_EQ(table.values[3],
            static_cast<float>(m.embedding.table[3] * m.embedding.table_point.scale));
  for (int k = 0; k < 2; ++k) {
    const engine::GruLayer& l = m.layers[static_cast<size_t>(k)];
    const NamedTensor& w = find(tensors, "gru.weight_hh_l" + std::to_string(k));
    const NamedTensor& b = find(tensors, "gru.bias_ih_l" + std::to_string(k));
    ASSERT_EQ(w.shape, (std::vector<int64_t>{18, 6}));
    for (int g = 0; g < 3; ++g) {
      const engine::QuantizedLinear& lin = l.lin_h[g];
      for (int32_t r = 0; r < 6; ++r) {
        for (int32_t c = 0; c < 6; ++c) {
          const float value = w.values[static_cast<size_t>((g * 6 + r) * 6 + c)];
          const double q = value / lin.weight_scales[static_cast<size_t>(r)];
          EXPECT_EQ(std::lround(q), lin.weights[static_cast<size_t>(r * 6 + c)]);
          EXPECT_NEAR(q, std::round(q), 1e-4);
        }
      }
      const engine::QuantizedLinear& in = l.lin_i[g];
      const double bias_scale = in.weight_scales[0] * in.input.scale;
      EXPECT_NEAR(b.values[static_cast<size_t>(g * 6)] / bias_scale, in.bias[0],
                  1e-6 * std::abs(in.bias[0]) + 1e-3);
    }
  }
  EXPECT_EQ(find(tensors, "classifier.weight").shape, (std::vector<int64_t>{3, 6}));
}

TEST(QuantizedParameters, TheJsonNamesEveryGeneOnceWithItsBits) {
  const core::Genome genome = two_layers();
  const engine::IntegerModel m = testing::random_model(genome, 5, 6, 3, 7);
  const nlohmann::json j = quantization_json(m);
  EXPECT_EQ(j.at("genome"), genome.to_pairs());
  std::map<std::string, int> seen;  // gene -> bits
  for (const auto& p : j.at("points")) {
    EXPECT_TRUE(seen.emplace(p.at("gene").get<std::string>(), p.at("bits").get<int>()).second)
        << p.at("gene");
  }
  for (const auto& [name, p] : j.at("parameters").items()) {
    if (name.find("bias") != std::string::npos) continue;  // biases are int32, not genes
    for (size_t i = 0; i < p.at("genes").size(); ++i) {
      EXPECT_TRUE(
          seen.emplace(p.at("genes")[i].get<std::string>(), p.at("bits")[i].get<int>()).second)
          << name;
    }
    const size_t scales = name == "embedding.weight"  // one scale for the table
                              ? 1
                              : p.at("genes").size() * p.at("rows_per_gene").get<size_t>();
    EXPECT_EQ(p.at("scales").size(), scales) << name;
  }
  ASSERT_EQ(seen.size(), genome.size());
  for (size_t i = 0; i < genome.size(); ++i) {
    EXPECT_EQ(seen.at(genome.table()[i].name), genome.bits(i)) << genome.table()[i].name;
  }
}

}  // namespace
}  // namespace mpgru::torchfile
