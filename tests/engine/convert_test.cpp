// PTQ conversion: genome bits land where they belong, scales follow the documented rules,
// impossible models are refused.
#include "engine/convert.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fixtures/random_float_model.hpp"

namespace mpgru::engine {
namespace {

quant::Calibration calibration_for(const quant::FloatGruModel& f) {
  quant::CalibrationOptions o;
  o.sequences = 50;
  return quant::calibrate(f, testing::random_sequences(60, 10, f.features, f.classes), o);
}

TEST(Convert, GenomeBitsAndFixedScalesLandInTheModel) {
  const auto f = testing::random_float_model(6, 16, 4);
  const auto c = calibration_for(f);
  const core::Genome g = core::Genome::parse(
      {1, false},
      "x=5,w_i.r=3,w_i.z=3,w_i.n=3,w_h.r=2,w_h.z=2,w_h.n=2,lin_i.r=6,lin_i.z=6,lin_i.n=6,"
      "lin_h.r=6,lin_h.z=6,lin_h.n=6,sum.r=6,sum.z=6,sum.n=6,act.r=5,act.z=5,act.n=5,"
      "mul.rn=5,mul.un=5,mul.zh=5,h=8,w_o=4,out=6");
  const IntegerModel m = convert(f, c, g, 10);
  EXPECT_EQ(check_model(m), "");
  const GruLayer& l = m.layers[0];
  EXPECT_EQ(m.input.bits, 5);
  EXPECT_FALSE(m.input.is_signed);  // the data are >= 0
  EXPECT_EQ(l.lin_i[kGateZ].weight_bits, 3);
  EXPECT_EQ(l.lin_h[kGateN].weight_bits, 2);
  EXPECT_EQ(l.act[kGateR].output.bits, 5);
  EXPECT_DOUBLE_EQ(l.act[kGateR].output.scale, 1.0 / 31);
  EXPECT_DOUBLE_EQ(l.act[kGateN].output.scale, 1.0 / 15);
  EXPECT_DOUBLE_EQ(l.h_add.output.scale, 1.0 / 127);
  EXPECT_EQ(m.classifier.weight_bits, 4);
  EXPECT_EQ(m.classifier.output.bits, 6);
  for (int8_t w : l.lin_h[kGateR].weights) EXPECT_LE(std::abs(int{w}), 1);  // 2 bits: ternary
}

TEST(Convert, SigmoidAndTanhInputsAreCappedWhereTheFunctionIsFlat) {
  EXPECT_NEAR(quant::sigmoid_input_cap(8), std::log(510.0), 1e-12);
  EXPECT_NEAR(quant::tanh_input_cap(8), 0.5 * std::log(508.0), 1e-12);
  auto f = testing::random_float_model(6, 16, 4);
  for (auto& w : f.layers[0].lin_i[0].weights) w *= 50;  // sum.r far beyond the cap
  const IntegerModel m =
      convert(f, calibration_for(f), core::Genome::homogeneous({1, false}, 8), 10);
  const QuantPoint& sum_r = m.layers[0].sum[kGateR].output;
  EXPECT_LE(sum_r.scale * sum_r.qmax(), quant::sigmoid_input_cap(8) + 1e-9);
}

TEST(Convert, RefusesAModelWhoseAccumulatorCouldOverflow) {
  // Fan-in 200,000 of 8-bit weights times 8-bit unsigned inputs: 200000 * 127 * 255 > 2^31.
  auto f = testing::random_float_model(200000, 2, 2);
  const auto c = calibration_for(f);
  try {
    convert(f, c, core::Genome::homogeneous({1, false}, 8), 10);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("overflows int32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lin_i"), std::string::npos) << e.what();
  }
}

TEST(Convert, RejectsAGenomeForAnotherLayout) {
  const auto f = testing::random_float_model(6, 16, 4);
  EXPECT_THROW(convert(f, calibration_for(f), core::Genome::homogeneous({2, false}, 8), 10),
               std::invalid_argument);
}

TEST(ModelSize, CountsWeightsBitsAndBiases) {
  const auto f = testing::random_float_model(6, 16, 4);
  const auto c = calibration_for(f);
  const ModelSize s8 = model_size(convert(f, c, core::Genome::homogeneous({1, false}, 8), 10));
  const ModelSize s2 = model_size(convert(f, c, core::Genome::homogeneous({1, false}, 2), 10));
  const int64_t weights = 3 * 16 * 6 + 3 * 16 * 16 + 4 * 16;
  const int64_t biases = 6 * 16 + 4;
  EXPECT_EQ(s8.weight_count, weights);
  EXPECT_EQ(s8.bias_count, biases);
  EXPECT_EQ(s8.size_bits, 8 * weights + 32 * biases);
  EXPECT_EQ(s2.size_bits, 2 * weights + 32 * biases);
  EXPECT_LT(s2.footprint_bytes, s8.footprint_bytes);
  EXPECT_EQ(s8.lut_bytes, 3 * 255);
  // BOPs, 10 steps: GRU linears 10 x weights x 8 x 8, classifier 4 x 16 x 8 x 8, products
  // 10 x 16 units x 3 products x 8 x 8 (act.r/act.z are unsigned 8-bit too).
  const int64_t gru_weights = 3 * 16 * 6 + 3 * 16 * 16;
  EXPECT_EQ(s8.bops, 10 * gru_weights * 64 + 4 * 16 * 64 + 10 * 16 * 3 * 64);
  EXPECT_EQ(s2.bops, 10 * gru_weights * 4 + 4 * 16 * 4 + 10 * 16 * 3 * 4);
}

TEST(CheckModel, NamesTheBrokenPart) {
  const auto f = testing::random_float_model(6, 16, 4);
  IntegerModel m = convert(f, calibration_for(f), core::Genome::homogeneous({1, false}, 4), 10);
  m.layers[0].lin_h[kGateZ].weights[3] = 100;  // outside 4-bit range
  EXPECT_NE(check_model(m).find("lin_h.z"), std::string::npos) << check_model(m);
  m = convert(f, calibration_for(f), core::Genome::homogeneous({1, false}, 4), 10);
  m.layers[0].act[kGateN].table.pop_back();
  EXPECT_NE(check_model(m).find("act.n"), std::string::npos) << check_model(m);
}

}  // namespace
}  // namespace mpgru::engine
