// The integer engine against the float simulation of the same model (DESIGN.md: they may
// differ only by multiplier rounding), on random models and sMNIST-shaped data.
#include "engine/gru_engine.hpp"

#include <gtest/gtest.h>

#include <random>

#include "engine/convert.hpp"
#include "engine/float_simulation.hpp"
#include "fixtures/random_float_model.hpp"

namespace mpgru::engine {
namespace {

struct Setup {
  quant::FloatGruModel model = testing::random_float_model(28, 64, 10);
  data::Sequences data = testing::random_sequences(400, 28, 28, 10);
  quant::Calibration calibration = [this] {
    quant::CalibrationOptions o;
    o.sequences = 200;
    return quant::calibrate(model, data, o);
  }();
};

const Setup& setup() {
  static const Setup s;
  return s;
}

double agreement(const IntegerModel& m, const data::Sequences& data) {
  const EngineEvaluation e = evaluate(m, data, 2);
  const std::vector<int32_t> sim = simulate_predictions(m, data);
  int64_t same = 0;
  for (size_t i = 0; i < sim.size(); ++i) same += sim[i] == e.predictions[i];
  return static_cast<double>(same) / static_cast<double>(sim.size());
}

IntegerModel convert_genome(const core::Genome& g) {
  return convert(setup().model, setup().calibration, g, 28);
}

TEST(Engine, AgreesWithFloatSimulationAtHomogeneousBits) {
  for (int bits : {8, 6, 4}) {
    const double a =
        agreement(convert_genome(core::Genome::homogeneous({1, false}, bits)), setup().data);
    EXPECT_GE(a, bits == 8 ? 0.99 : 0.98) << bits << "-bit";
  }
}

TEST(Engine, AgreesWithFloatSimulationOnRandomGenomes) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    core::Genome g = core::Genome::homogeneous({1, false}, 8);
    for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, 2 + static_cast<int>(rng() % 7));
    EXPECT_GE(agreement(convert_genome(g), setup().data), 0.98) << g.to_pairs();
  }
}

TEST(Engine, IsDeterministicAndThreadCountDoesNotMatter) {
  const IntegerModel m = convert_genome(core::Genome::homogeneous({1, false}, 5));
  const EngineEvaluation one = evaluate(m, setup().data, 1);
  const EngineEvaluation two = evaluate(m, setup().data, 2);
  EXPECT_EQ(one.predictions, two.predictions);
  EXPECT_EQ(one.correct, two.correct);
}

TEST(Engine, HiddenStateStaysInRangeAndLogitsAreQuantized) {
  const IntegerModel m = convert_genome(core::Genome::homogeneous({1, false}, 3));
  GruEngine engine(m);
  std::vector<int32_t> logits(10);
  engine.run(setup().data.sequence(0), 28, logits.data());
  for (int32_t v : logits) {
    EXPECT_GE(v, m.classifier.output.qmin());
    EXPECT_LE(v, m.classifier.output.qmax());
  }
}

TEST(Engine, RejectsDataOfTheWrongShape) {
  const IntegerModel m = convert_genome(core::Genome::homogeneous({1, false}, 8));
  const data::Sequences other = testing::random_sequences(3, 28, 27, 10);
  EXPECT_THROW(evaluate(m, other), std::invalid_argument);
}

TEST(Engine, TwoLayerModelRunsAndAgrees) {
  const quant::FloatGruModel f = testing::random_float_model(28, 32, 10, 2, 3);
  quant::CalibrationOptions o;
  o.sequences = 100;
  const quant::Calibration c = quant::calibrate(f, setup().data, o);
  const IntegerModel m = convert(f, c, core::Genome::homogeneous({2, false}, 8), 28);
  EXPECT_EQ(m.layers.size(), 2u);
  EXPECT_GE(agreement(m, setup().data), 0.99);
}

TEST(Argmax, TiesGoToTheLowestIndex) {
  const int32_t v[] = {3, 7, 7, -1};
  EXPECT_EQ(argmax(v, 4), 1);
}

}  // namespace
}  // namespace mpgru::engine
