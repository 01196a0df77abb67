// What the fitness does with a genome that cannot be built, and with every other error: the
// first is a point of the search space (scored, stored, counted), the rest stop the search and
// leave nothing in the store; what the store key holds; which models report() keeps.
#include "search/genome_fitness.hpp"

#include <gtest/gtest.h>

#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::search {
namespace {

struct Tiny {
  quant::FloatGruModel model = testing::random_float_model(4, 6, 3);
  data::Sequences data = testing::random_sequences(60, 5, 4, 3);
  quant::Calibration calibration = quant::calibrate(model, data, quant::CalibrationOptions{});
};

data::InMemoryDataset dataset_of(const data::Sequences& s) {
  return data::InMemoryDataset("random", 3, s, s, s);
}

TEST(GenomeFitnessErrors, ADataShapeMismatchStopsAndStoresNothing) {
  const Tiny s;
  const data::InMemoryDataset wrong = dataset_of(testing::random_sequences(10, 5, 7, 3));
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  const GenomeFitness fitness({&s.model, &s.calibration, &wrong, "random", "ckpt", ""},
                              FitnessSettings{}, &store);
  const core::Genome g = core::Genome::homogeneous(fitness.layout(), 6);
  try {
    fitness.evaluate(g);
    FAIL() << "a 7-feature dataset was scored by a 4-feature model";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("feature"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fitness.report(g), std::invalid_argument);
  EXPECT_EQ(store.count(), 0);
  EXPECT_EQ(fitness.failures(), 0);
}

TEST(GenomeFitnessErrors, AnUnbuildableGenomeIsScoredStoredAndCounted) {
  Tiny s;
  s.model.layers[0].lin_i[0].bias[0] = 3e9f;  // no int32 bias at any scale the genome allows
  const data::InMemoryDataset data = dataset_of(s.data);
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  const GenomeFitness fitness({&s.model, &s.calibration, &data, "random", "ckpt", ""},
                              FitnessSettings{}, &store);
  const Evaluation e = fitness.evaluate(core::Genome::homogeneous(fitness.layout(), 2));
  EXPECT_EQ(e.sequences, -1);
  EXPECT_EQ(e.accuracy, 0.0);
  EXPECT_GT(e.size_bits, 0);
  EXPECT_EQ(fitness.failures(), 1);
  EXPECT_EQ(store.count(), 1);
}

// report() keeps the model it scored only when asked, and only a model it built: the same model
// model() builds (a QAT fine-tune is repeatable), while a pair found in the store keeps none.
TEST(GenomeFitnessReported, KeepsTheModelsItBuiltWhenAsked) {
  const Tiny s;
  const data::InMemoryDataset data = dataset_of(s.data);
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  FitnessSettings qat;
  qat.mode = FitnessMode::qat;
  qat.qat.steps = 2;
  qat.qat.batch = 16;
  qat.qat.threads = 1;  // as the search sets it
  const FitnessContext context{&s.model, &s.calibration, &data, "random", "ckpt", ""};
  const GenomeFitness plain(context, qat, nullptr);
  const core::Genome g = core::Genome::homogeneous(plain.layout(), 6);
  plain.report(g);
  EXPECT_EQ(plain.reported_model(g), nullptr);

  GenomeFitness keeping(context, qat, &store);
  keeping.keep_reported_models();
  const GenomeFitness::Scores scores = keeping.report(g);
  const auto kept = keeping.reported_model(g);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(engine::serialize_model(*kept), engine::serialize_model(keeping.model(g)));
  EXPECT_EQ(engine::evaluate(*kept, s.data, 1).accuracy, scores.validation.accuracy);
  EXPECT_EQ(keeping.reported_model(core::Genome::homogeneous(plain.layout(), 5)), nullptr);

  GenomeFitness resumed(context, qat, &store);
  resumed.keep_reported_models();
  resumed.report(g);
  EXPECT_EQ(resumed.cache_hits(), 2);
  EXPECT_EQ(resumed.reported_model(g), nullptr);
}

// Results of other calibration settings never answer for each other: the settings are part of
// the store key.
TEST(GenomeFitnessKey, CalibrationSettingsAreInTheStoreKey) {
  const Tiny s;
  const data::InMemoryDataset data = dataset_of(s.data);
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  quant::CalibrationOptions a, b;
  b.sequences = 500;
  ASSERT_NE(quant::canonical(a), quant::canonical(b));
  b = a;
  b.method = quant::RangeMethod::maxabs;
  ASSERT_NE(quant::canonical(a), quant::canonical(b));
  const GenomeFitness first(
      {&s.model, &s.calibration, &data, "random", "ckpt", quant::canonical(a)}, FitnessSettings{},
      &store);
  const GenomeFitness second(
      {&s.model, &s.calibration, &data, "random", "ckpt", quant::canonical(b)}, FitnessSettings{},
      &store);
  const core::Genome g = core::Genome::homogeneous(first.layout(), 6);
  first.evaluate(g);
  second.evaluate(g);
  EXPECT_EQ(second.cache_hits(), 0);
  EXPECT_EQ(store.count(), 2);
  first.evaluate(g);
  EXPECT_EQ(first.cache_hits(), 1);
}

// Distillation off leaves a QAT fitness's store key as every existing store holds it, so their
// evaluations keep answering; on, its weight and temperature are in the key and its evaluations
// never answer for the plain fine-tune's (nor another temperature's).
TEST(GenomeFitnessKey, DistillationIsInTheStoreKeyOnlyWhenOn) {
  FitnessSettings plain;
  plain.mode = FitnessMode::qat;
  plain.qat.steps = 2;
  plain.qat.batch = 16;
  EXPECT_EQ(plain.canonical(),
            "numerics=2;fitness=qat;split=validation;steps=2;epochs=1.000000;batch=16;"
            "lr=0.001000;scale_lr=0.001000;seed=1");
  FitnessSettings off = plain;
  off.qat.distill_temperature = 5;
  EXPECT_EQ(off.canonical(), plain.canonical());
  FitnessSettings on = plain;
  on.qat.distill_weight = 0.5;
  EXPECT_EQ(on.canonical(), plain.canonical() + ";distill=0.500000;temperature=2.000000");
  FitnessSettings hotter = on;
  hotter.qat.distill_temperature = 4;
  EXPECT_NE(hotter.canonical(), on.canonical());

  const Tiny s;
  const data::InMemoryDataset data = dataset_of(s.data);
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  const FitnessContext context{&s.model, &s.calibration, &data, "random", "ckpt", ""};
  const GenomeFitness without(context, plain, &store), with(context, on, &store);
  const core::Genome g = core::Genome::homogeneous(without.layout(), 4);
  without.evaluate(g);
  with.evaluate(g);
  EXPECT_EQ(with.cache_hits(), 0);
  EXPECT_EQ(store.count(), 2);
  GenomeFitness(context, off, &store).evaluate(g);
  EXPECT_EQ(store.count(), 2);  // off at another temperature: the plain evaluation answered
}

// Dampening off leaves a QAT fitness's store key as every existing store holds it; on, lambda is
// in the key at full precision (lambdas a decade apart, or differing past six decimals, never
// answer for each other), and its evaluations never answer for the plain fine-tune's.
TEST(GenomeFitnessKey, DampeningIsInTheStoreKeyOnlyWhenOn) {
  FitnessSettings plain;
  plain.mode = FitnessMode::qat;
  plain.qat.steps = 2;
  plain.qat.batch = 16;
  const std::string today =
      "numerics=2;fitness=qat;split=validation;steps=2;epochs=1.000000;batch=16;lr=0.001000;"
      "scale_lr=0.001000;seed=1";
  EXPECT_EQ(plain.canonical(), today);
  FitnessSettings on = plain;
  on.qat.dampen = 1e-3;
  EXPECT_EQ(on.canonical(), today + ";dampen=0.001");
  FitnessSettings tiny = plain, tinier = plain;
  tiny.qat.dampen = 2e-7;
  tinier.qat.dampen = 1e-7;
  EXPECT_EQ(tinier.canonical(), today + ";dampen=1e-07");
  EXPECT_NE(tiny.canonical(), tinier.canonical());
  FitnessSettings both = on;
  both.qat.distill_weight = 0.5;
  EXPECT_EQ(both.canonical(), today + ";distill=0.500000;temperature=2.000000;dampen=0.001");
  FitnessSettings ptq = on;
  ptq.mode = FitnessMode::ptq;
  EXPECT_EQ(ptq.canonical().find("dampen"), std::string::npos);

  const Tiny s;
  const data::InMemoryDataset data = dataset_of(s.data);
  const testing::TempDir dir;
  EvaluationStore store(dir / "evaluations.sqlite");
  const FitnessContext context{&s.model, &s.calibration, &data, "random", "ckpt", ""};
  const GenomeFitness without(context, plain, &store), with(context, on, &store);
  const core::Genome g = core::Genome::homogeneous(without.layout(), 3);
  without.evaluate(g);
  with.evaluate(g);
  EXPECT_EQ(with.cache_hits(), 0);
  EXPECT_EQ(store.count(), 2);
}

}  // namespace
}  // namespace mpgru::search
