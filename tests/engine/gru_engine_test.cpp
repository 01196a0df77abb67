// The integer engine against the float simulation of the same model (DESIGN.md: they may
// differ only by multiplier rounding), on random models and sMNIST-shaped data.
#include "engine/gru_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/convert.hpp"
#include "engine/float_simulation.hpp"
#include "engine/reference_kernels.hpp"
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
  for (Kernels kernels : {Kernels::reference, Kernels::optimized}) {
    const EngineEvaluation kept_one = evaluate(m, setup().data, {1, kernels, true, {}, 64});
    const EngineEvaluation kept_three = evaluate(m, setup().data, {3, kernels, true, {}, 64});
    EXPECT_EQ(kept_one.logits, kept_three.logits);
    EXPECT_EQ(kept_one.predictions, one.predictions);
    EXPECT_EQ(kept_three.predictions, one.predictions);
  }
}

TEST(Engine, KeptLogitsAreEachSequencesRunAndTheArgmaxIsThePrediction) {
  const IntegerModel m = convert_genome(core::Genome::homogeneous({1, false}, 4));
  const data::Sequences& data = setup().data;
  const EngineEvaluation plain = evaluate(m, data, 2);
  EXPECT_TRUE(plain.logits.empty());  // not asked for: not kept
  const EngineEvaluation kept = evaluate(m, data, {2, Kernels::optimized, true, {}, 64});
  EXPECT_EQ(kept.predictions, plain.predictions);
  EXPECT_EQ(kept.correct, plain.correct);
  EXPECT_EQ(kept.accuracy, plain.accuracy);
  ASSERT_EQ(kept.logits.size(), static_cast<size_t>(data.count() * m.classes));
  GruEngine reference(m, Kernels::reference);  // bit-exact with the optimized kernels
  std::vector<int32_t> row(static_cast<size_t>(m.classes));
  for (int64_t i = 0; i < data.count(); ++i) {
    reference.run(data.sequence(i), 28, row.data());
    const auto first = kept.logits.begin() + i * m.classes;
    EXPECT_TRUE(std::equal(row.begin(), row.end(), first)) << "sequence " << i;
    EXPECT_EQ(kept.predictions[static_cast<size_t>(i)], argmax(row.data(), m.classes)) << i;
  }
}

// The streaming API (reset, step, hidden, logits) against the reference kernels driven by hand,
// layer by layer and step by step, for both kernel paths of a stacked model.
TEST(Engine, StreamingStepsAreTheReferenceKernelsStepByStep) {
  const quant::FloatGruModel f = testing::random_float_model(28, 24, 10, 2, 9);
  quant::CalibrationOptions o;
  o.sequences = 100;
  const quant::Calibration c = quant::calibrate(f, setup().data, o);
  const IntegerModel m = convert(f, c, core::Genome::homogeneous({2, false}, 5), 28);
  for (Kernels kernels : {Kernels::reference, Kernels::optimized}) {
    GruEngine engine(m, kernels);
    for (int64_t i = 0; i < 3; ++i) {
      std::vector<std::vector<int16_t>> h(2, std::vector<int16_t>(24, 0));
      std::vector<ref::StepScratch> scratch(2, ref::StepScratch(24));
      engine.reset();
      const float* sequence = setup().data.sequence(i);
      for (int t = 0; t < 28; ++t) {
        std::vector<int16_t> x(28);
        for (size_t j = 0; j < x.size(); ++j) {
          x[j] = static_cast<int16_t>(ref::quantize(m.input, sequence[t * 28 + j]));
        }
        ref::gru_step(m.layers[0], x.data(), h[0].data(), scratch[0]);
        ref::gru_step(m.layers[1], h[0].data(), h[1].data(), scratch[1]);
        engine.step(sequence + t * 28);
        ASSERT_EQ(engine.hidden(0), h[0]) << "sequence " << i << " step " << t;
        ASSERT_EQ(engine.hidden(1), h[1]) << "sequence " << i << " step " << t;
      }
      std::vector<int32_t> streamed(10), whole(10);
      engine.logits(streamed.data());
      engine.run(sequence, 28, whole.data());
      EXPECT_EQ(streamed, whole);
    }
  }
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

// A text-like model: 16-dim embedding of 50 tokens -> GRU-32 -> 3 classes.
struct EmbeddingSetup {
  quant::FloatGruModel model = [] {
    quant::FloatGruModel m = testing::random_float_model(16, 32, 3);
    testing::add_random_embedding(m, 50);
    return m;
  }();
  data::Sequences data = testing::random_tokens(300, 40, 50, 3);
  quant::Calibration calibration = [this] {
    quant::CalibrationOptions o;
    o.sequences = 150;
    return quant::calibrate(model, data, o);
  }();
};

const EmbeddingSetup& embedding_setup() {
  static const EmbeddingSetup s;
  return s;
}

const core::GenomeLayout kEmbeddingLayout{1, true};

TEST(EngineEmbedding, AgreesWithFloatSimulation) {
  const EmbeddingSetup& s = embedding_setup();
  for (int bits : {8, 4}) {
    const IntegerModel m =
        convert(s.model, s.calibration, core::Genome::homogeneous(kEmbeddingLayout, bits), 40);
    EXPECT_GE(agreement(m, s.data), bits == 8 ? 0.99 : 0.98) << bits << "-bit";
  }
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 6; ++trial) {
    core::Genome g = core::Genome::homogeneous(kEmbeddingLayout, 8);
    for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, 2 + static_cast<int>(rng() % 7));
    EXPECT_GE(agreement(convert(s.model, s.calibration, g, 40), s.data), 0.98) << g.to_pairs();
  }
}

TEST(EngineEmbedding, LookupIsTheTableRowOnTheInputGrid) {
  const EmbeddingSetup& s = embedding_setup();
  core::Genome g = core::Genome::homogeneous(kEmbeddingLayout, 8);
  g.set_bits(0, 3);  // emb is the first gene
  const IntegerModel m = convert(s.model, s.calibration, g, 40);
  const QuantizedEmbedding& e = m.embedding;
  ASSERT_EQ(e.vocabulary, 50);
  ASSERT_EQ(e.dim, 16);
  std::vector<int16_t> x(16);
  for (int32_t token : {0, 17, 49}) {
    ref::embedding_row(e, m.input, token, x.data());
    for (int32_t f = 0; f < 16; ++f) {
      const int8_t q = e.table[static_cast<size_t>(token * 16 + f)];
      EXPECT_LE(std::abs(q), 3);  // 3-bit signed narrow
      const double real = e.table_point.scale * q;
      EXPECT_EQ(x[static_cast<size_t>(f)], ref::quantize(m.input, real)) << token << "," << f;
    }
  }
}

TEST(EngineEmbedding, SizeCountsTheTableAtItsBits) {
  const EmbeddingSetup& s = embedding_setup();
  core::Genome g = core::Genome::homogeneous(kEmbeddingLayout, 8);
  const ModelSize at8 = model_size(convert(s.model, s.calibration, g, 40));
  g.set_bits(0, 2);  // emb is the first gene
  const ModelSize at2 = model_size(convert(s.model, s.calibration, g, 40));
  EXPECT_EQ(at8.size_bits - at2.size_bits, 50 * 16 * (8 - 2));
  EXPECT_EQ(at8.bops, at2.bops);  // a lookup is no arithmetic
}

TEST(EngineEmbedding, RejectsTokensOutsideTheVocabulary) {
  const EmbeddingSetup& s = embedding_setup();
  const IntegerModel m =
      convert(s.model, s.calibration, core::Genome::homogeneous(kEmbeddingLayout, 8), 40);
  data::Sequences bad = testing::random_tokens(3, 40, 50, 3);
  bad.values[45] = 50;
  try {
    evaluate(m, bad);
    FAIL() << "token 50 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sequence 1 is not a token id in 0..49"),
              std::string::npos)
        << e.what();
  }
  bad.values[45] = 1.5f;
  EXPECT_THROW(evaluate(m, bad), std::invalid_argument);
  // The engine itself clamps: whatever the input, it never reads outside its table.
  GruEngine engine(m);
  std::vector<float> wild(40, 1e9f);
  wild[3] = -7;
  wild[4] = std::nanf("");
  const int32_t p = engine.predict(wild.data(), 40);
  EXPECT_TRUE(p >= 0 && p < 3);
}

TEST(EngineEmbedding, GenomeWithoutEmbeddingIsRefused) {
  const EmbeddingSetup& s = embedding_setup();
  try {
    convert(s.model, s.calibration, core::Genome::homogeneous({1, false}, 8), 40);
    FAIL() << "converted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("the model has 1 layer(s) with embedding"),
              std::string::npos)
        << e.what();
  }
}

TEST(BalancedAccuracy, IsTheMeanRecallOfThePresentClasses) {
  // Class 0: 3 of 4 right; class 1: 1 of 2; class 2 absent.
  const std::vector<int32_t> labels = {0, 0, 0, 0, 1, 1};
  const std::vector<int32_t> predictions = {0, 0, 0, 1, 1, 0};
  EXPECT_DOUBLE_EQ(balanced_accuracy(predictions, labels, 3), (0.75 + 0.5) / 2);
  EXPECT_DOUBLE_EQ(balanced_accuracy({0, 0, 0, 0, 0, 0}, labels, 3), 0.5);  // always class 0
  EXPECT_EQ(balanced_accuracy({}, {}, 3), 0);
}

TEST(Argmax, TiesGoToTheLowestIndex) {
  const int32_t v[] = {3, 7, 7, -1};
  EXPECT_EQ(argmax(v, 4), 1);
}

}  // namespace
}  // namespace mpgru::engine
