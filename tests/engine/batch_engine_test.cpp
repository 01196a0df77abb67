// The batched engine on every kernel path this CPU has equals the reference kernels, logit for
// logit: random genomes (one and two layers, with and without an embedding), batch sizes that do
// and do not fill a tile, and engine::evaluate whatever its threads and batch.
#include "engine/batch_engine.hpp"

#include <gtest/gtest.h>

#include <array>

#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/random_model.hpp"

namespace mpgru::engine {
namespace {

// Token ids for an embedding model, else random features whose quantized values span the input
// grid (features up to +-2 / scale, so both clamps are reached).
data::Sequences inputs_for(const IntegerModel& m, int64_t count, int64_t steps, uint64_t seed) {
  testing::FixtureRng rng(seed);
  data::Sequences s;
  s.steps = steps;
  s.features = m.sequence_features();
  for (int64_t i = 0; i < count * steps * s.features; ++i) {
    if (m.embedding.vocabulary > 0) {
      s.values.push_back(static_cast<float>(rng.uniform_int(0, m.embedding.vocabulary - 1)));
    } else {
      const double span = 1.2 * m.input.scale * m.input.qmax();
      s.values.push_back(static_cast<float>(rng.uniform_real(-span, span)));
    }
  }
  for (int64_t i = 0; i < count; ++i) s.labels.push_back(rng.uniform_int(0, m.classes - 1));
  return s;
}

// Runs `data` through the batched engine on `path` in runs of `tile` and through the reference
// engine one sequence at a time; returns how many sequences were compared.
int64_t expect_batched_equals_reference(const IntegerModel& m, const data::Sequences& data,
                                        KernelPath path, int32_t tile) {
  BatchEngine batched(m, path, tile);
  GruEngine reference(m, Kernels::reference);
  const auto classes = static_cast<size_t>(m.classes);
  std::vector<int32_t> got(static_cast<size_t>(batched.max_batch()) * classes), expect(classes);
  const int64_t stride = data.steps * data.features;
  for (int64_t i = 0; i < data.count(); i += tile) {
    const auto count = static_cast<int32_t>(std::min<int64_t>(tile, data.count() - i));
    batched.run(data.sequence(i), stride, count, static_cast<int32_t>(data.steps), got.data());
    for (int32_t b = 0; b < count; ++b) {
      reference.run(data.sequence(i + b), static_cast<int32_t>(data.steps), expect.data());
      const std::vector<int32_t> row(got.begin() + static_cast<std::ptrdiff_t>(b * classes),
                                     got.begin() + static_cast<std::ptrdiff_t>((b + 1) * classes));
      if (row != expect) {
        ADD_FAILURE() << to_string(path) << ", genome " << m.genome.to_compact() << ", sequence "
                      << i + b << " (run of " << count << ")";
        return 0;
      }
    }
  }
  return data.count();
}

// `genomes` random genomes x `sequences` sequences on every supported path.
void random_genomes_on_every_path(int genomes, int64_t sequences, uint64_t seed) {
  for (KernelPath path : supported_paths()) {
    int64_t compared = 0;
    for (int i = 0; i < genomes; ++i) {
      const uint64_t s = seed + static_cast<uint64_t>(i);
      const core::GenomeLayout layout{1 + i % 2, i % 3 == 2};
      const IntegerModel m = testing::random_model(testing::random_genome(layout, s), 5 + i % 29,
                                                   8 + (i * 7) % 41, 2 + i % 9, s);
      const data::Sequences data = inputs_for(m, sequences, 1 + i % 6, s);
      compared +=
          expect_batched_equals_reference(m, data, path, std::array{1, 2, 3, 4, 7, 64}[i % 6]);
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_EQ(compared, genomes * sequences) << to_string(path);
  }
}

// 1,000 genomes x 24 sequences = 24,000 genome-sequence pairs per path (about 2 s).
TEST(BatchEngine, EqualsTheReferenceOnRandomGenomesOnEveryPath) {
  random_genomes_on_every_path(1000, 24, 1000);
}

// 10,000 genomes x 24 sequences per path: in the slow-labelled build of this file
// (engine_slow_test, MPGRU_SLOW_TESTS), skipped in the default suite.
TEST(BatchEngineSlow, EqualsTheReferenceOnTenThousandGenomesPerPath) {
#ifndef MPGRU_SLOW_TESTS
  GTEST_SKIP() << "slow: run by engine_slow_test (ctest -L slow)";
#endif
  random_genomes_on_every_path(10'000, 24, 50'000);
}

TEST(BatchEngine, EqualsTheReferenceOnAConvertedSmnistShapedModel) {
  const auto f = testing::random_float_model(28, 128, 10);
  const auto data = testing::random_sequences(67, 28, 28, 10);
  quant::CalibrationOptions o;
  o.sequences = 50;
  const auto c = quant::calibrate(f, data, o);
  for (int bits : {8, 4, 2}) {
    const IntegerModel m = convert(f, c, core::Genome::homogeneous({1, false}, bits), 28);
    for (KernelPath path : supported_paths()) expect_batched_equals_reference(m, data, path, 64);
  }
}

TEST(BatchEngine, EvaluateDoesNotDependOnThreadsBatchOrPath) {
  const IntegerModel m = testing::random_model(testing::random_genome({2, false}, 7), 11, 24, 6, 7);
  const data::Sequences data = inputs_for(m, 101, 9, 8);
  EvaluateOptions reference;
  reference.kernels = Kernels::reference;
  reference.keep_logits = true;
  const EngineEvaluation expect = evaluate(m, data, reference);
  for (KernelPath path : supported_paths()) {
    for (int threads : {1, 2, 3}) {
      for (int32_t batch : {0, 1, 5, 64, 256}) {
        EvaluateOptions o;
        o.threads = threads;
        o.keep_logits = true;
        o.path = path;
        o.batch = batch;
        const EngineEvaluation got = evaluate(m, data, o);
        EXPECT_EQ(got.logits, expect.logits) << to_string(path) << " " << threads << " " << batch;
        EXPECT_EQ(got.predictions, expect.predictions);
        EXPECT_EQ(got.correct, expect.correct);
      }
    }
  }
}

TEST(BatchEngine, ARunOutsideTheBatchIsRefused) {
  const IntegerModel m =
      testing::random_model(core::Genome::homogeneous({1, false}, 8), 3, 4, 2, 1);
  BatchEngine e(m, KernelPath::portable, 5);
  EXPECT_EQ(e.max_batch(), 5);
  std::vector<float> x(3 * 6 * 2);
  std::vector<int32_t> logits(6 * 2);
  EXPECT_THROW(e.run(x.data(), 6, 0, 2, logits.data()), std::invalid_argument);
  EXPECT_THROW(e.run(x.data(), 6, 6, 2, logits.data()), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::engine
