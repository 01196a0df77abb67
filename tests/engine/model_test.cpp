// check_model as the guard of everything that loads a model: a model built here that breaks one
// rule of the data flow is refused with a message naming the operator and the rule.
#include "engine/model.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/convert.hpp"
#include "fixtures/random_model.hpp"

namespace mpgru::engine {
namespace {

IntegerModel valid_model() {
  return testing::random_model(core::Genome::homogeneous({2, false}, 6), 5, 7, 3, 41);
}

// Every reader of layer k's h, given the new point (so only the rule under test breaks).
void set_h_everywhere(IntegerModel& m, size_t k, const QuantPoint& h) {
  GruLayer& l = m.layers[k];
  l.h_add.output = h;
  for (QuantizedLinear& lin : l.lin_h) lin.input = h;
  l.mul_zh.b = h;
  if (k + 1 < m.layers.size()) {
    for (QuantizedLinear& lin : m.layers[k + 1].lin_i) lin.input = h;
  } else {
    m.classifier.input = h;
  }
}

struct Broken {
  const char* name;
  std::function<void(IntegerModel&)> breaks;
  std::vector<std::string> mentions;  // all in the message
};

void PrintTo(const Broken& b, std::ostream* os) {
  *os << b.name;
}

class CheckModelRefuses : public ::testing::TestWithParam<Broken> {};

TEST_P(CheckModelRefuses, NamingTheOperatorAndTheRule) {
  IntegerModel m = valid_model();
  ASSERT_EQ(check_model(m), "");
  GetParam().breaks(m);
  const std::string message = check_model(m);
  ASSERT_NE(message, "");
  for (const std::string& part : GetParam().mentions) {
    EXPECT_NE(message.find(part), std::string::npos) << part << " not in: " << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    DataFlow, CheckModelRefuses,
    ::testing::Values(
        // A table indexed by a wider range than it has (heap overflow in ref::lut).
        Broken{"LutNarrowerThanItsSum",
               [](IntegerModel& m) {
                 Lut& act = m.layers[0].act[kGateR];
                 QuantPoint narrow = act.input;
                 narrow.bits -= 2;
                 act =
                     make_lut(narrow, act.output, [](double v) { return 1 / (1 + std::exp(-v)); });
               },
               {"layer 0 act.r input", "reads 4-bit", "layer 0 sum.r output writes 6-bit"}},
        // An add table indexed by a wider range (heap overflow in opt::add_pass).
        Broken{"AddOperandNarrowerThanItsLinear",
               [](IntegerModel& m) { m.layers[0].sum[kGateN].a.bits = 3; },
               {"layer 0 sum.n a", "layer 0 lin_i.n output"}},
        Broken{"UnsignedPointWhereSignedValuesArrive",
               [](IntegerModel& m) { m.layers[1].mul_zh.b.is_signed = false; },
               {"layer 1 mul.zh b", "unsigned", "layer 1 h output writes"}},
        Broken{"MulRnReadsAnotherLinear",
               [](IntegerModel& m) { m.layers[0].mul_rn.b = m.layers[0].lin_h[kGateZ].output; },
               {"layer 0 mul.rn b", "layer 0 lin_h.n output"}},
        Broken{"SecondLayerInputIsNotTheFirstLayersH",
               [](IntegerModel& m) { m.layers[1].lin_i[kGateR].input.scale *= 2; },
               {"layer 1 lin_i.r input", "layer 0 h output"}},
        Broken{"FirstLayerInputIsNotTheModelInput",
               [](IntegerModel& m) { m.layers[0].lin_i[kGateZ].input.bits = 8; },
               {"layer 0 lin_i.z input", "the model input (x)"}},
        Broken{"RecurrentInputIsNotH",
               [](IntegerModel& m) { m.layers[0].lin_h[kGateN].input.is_signed = false; },
               {"layer 0 lin_h.n input", "layer 0 h output"}},
        Broken{"HOperandIsNotItsProduct",
               [](IntegerModel& m) { m.layers[1].h_add.a = m.layers[1].mul_zh.output; },
               {"layer 1 h a", "layer 1 mul.un output"}},
        Broken{"ClassifierInputIsNotTheLastH",
               [](IntegerModel& m) { m.classifier.input.scale /= 3; },
               {"classifier input", "layer 1 h output"}},
        Broken{"HiddenStateStoredUnsigned",
               [](IntegerModel& m) {
                 QuantPoint h = m.layers[1].h_add.output;
                 h.is_signed = false;
                 set_h_everywhere(m, 1, h);
               },
               {"layer 1 h output", "must be signed"}},
        Broken{"HiddenStateOffItsFixedScale",
               [](IntegerModel& m) {
                 QuantPoint h = m.layers[0].h_add.output;
                 h.scale *= 1.5;
                 set_h_everywhere(m, 0, h);
               },
               {"layer 0 h output", "scale 1/31"}},
        Broken{"SigmaOutputSigned",
               [](IntegerModel& m) {
                 GruLayer& l = m.layers[0];
                 QuantPoint r = l.act[kGateR].output;
                 r.scale = 0.5;
                 l.act[kGateR].output = r;
                 l.mul_rn.a = r;
               },
               {"layer 0 act.r output", "must be unsigned with scale 1/63"}},
        // apply(q << 20, a) + apply(q << 20, b) overflowing int32 (UB in quant::add_rescaled).
        Broken{
            "AddOperandMultiplierAboveOneHalf",
            [](IntegerModel& m) { m.layers[0].h_add.params.a = quant::decompose_multiplier(0.75); },
            {"layer 0 h", "operand a's multiplier", "exceeds 0.5"}},
        Broken{"SumOperandMultiplierFarAboveOne",
               [](IntegerModel& m) {
                 m.layers[1].sum[kGateZ].params.b = quant::decompose_multiplier(1000.0);
               },
               {"layer 1 sum.z", "operand b's multiplier"}}));

TEST(CheckModel, AcceptsEveryFixtureModel) {
  for (uint64_t seed = 1; seed < 40; ++seed) {
    const core::GenomeLayout layout{1 + static_cast<int>(seed % 3), seed % 2 == 0};
    const IntegerModel m =
        testing::random_model(testing::random_genome(layout, seed), 4, 6, 3, seed);
    EXPECT_EQ(check_model(m), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace mpgru::engine
