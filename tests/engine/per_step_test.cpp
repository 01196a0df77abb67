// Models with a per-step head (task se): the genome's gain gene, conversion (the head's sigmoid
// table onto the gain grid), the streaming engine's gains on both kernels, the .mpq format
// version 2, and check_model's rules for the head.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/batch_engine.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "engine/model_file.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::engine {
namespace {

// A float model with a per-step head of `outputs` sigmoid units.
quant::FloatGruModel per_step_float(int32_t features, int32_t hidden, int32_t outputs,
                                    int layers = 1) {
  quant::FloatGruModel f = testing::random_float_model(features, hidden, outputs, layers, 5);
  f.outputs = outputs;
  f.classes = 0;
  return f;
}

IntegerModel per_step_model(const quant::FloatGruModel& f, int bits, int32_t steps) {
  quant::CalibrationOptions o;
  o.sequences = 40;
  const auto c = quant::calibrate(f, testing::random_sequences(40, steps, f.features, 2), o);
  return convert(f, c, core::Genome::homogeneous(quant::genome_layout(f), bits), steps);
}

TEST(PerStep, TheGenomeEndsWithTheGainGene) {
  const core::GenomeLayout layout{1, false, true};
  const std::vector<core::Gene> table = core::genes(layout);
  ASSERT_EQ(table.size(), 26u);
  EXPECT_EQ(table.back().name, "gain");
  EXPECT_EQ(table.back().op, core::Op::gain);
  EXPECT_EQ(core::Genome::parse(layout, std::string(25, '8') + "3").bits(core::Op::gain), 3);
  try {
    core::Genome::parse(layout, std::string(25, '8'));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("and a per-step head"), std::string::npos) << e.what();
  }
  EXPECT_NE(core::Genome::homogeneous(layout, 8), core::Genome::homogeneous({1, false}, 8));
}

TEST(PerStep, ConversionBuildsTheHeadTableOnTheGainGrid) {
  const auto f = per_step_float(5, 12, 7);
  const IntegerModel m = per_step_model(f, 8, 9);
  EXPECT_EQ(check_model(m), "");
  EXPECT_TRUE(m.per_step);
  EXPECT_EQ(m.classes, 7);
  EXPECT_FALSE(m.head.output.is_signed);
  EXPECT_DOUBLE_EQ(m.head.output.scale, 1.0 / 255);
  EXPECT_EQ(m.head.input.scale, m.classifier.output.scale);
  // A classifier genome for a per-step model is refused.
  EXPECT_THROW(convert(f, quant::ScaleSet{}, core::Genome::homogeneous({1, false}, 8), 9),
               std::invalid_argument);
}

TEST(PerStep, IntegerGainsFollowTheFloatModelOnBothKernels) {
  const auto f = per_step_float(5, 12, 7);
  const int32_t steps = 9;
  const IntegerModel m = per_step_model(f, 8, steps);
  const data::Sequences s = testing::random_sequences(6, steps, 5, 2, 11);
  double worst = 0;
  for (int64_t i = 0; i < s.count(); ++i) {
    std::vector<float> want(static_cast<size_t>(steps * 7));
    quant::forward_steps(f, s.sequence(i), steps, want.data());
    std::vector<int32_t> ref(want.size()), opt(want.size());
    GruEngine(m, Kernels::reference).run_gains(s.sequence(i), steps, ref.data());
    GruEngine(m, Kernels::optimized).run_gains(s.sequence(i), steps, opt.data());
    EXPECT_EQ(ref, opt) << "sequence " << i;
    for (size_t k = 0; k < want.size(); ++k) {
      ASSERT_GE(ref[k], 0);
      ASSERT_LE(ref[k], 255);
      worst = std::max(worst, std::abs(ref[k] / 255.0 - want[k]));
    }
  }
  EXPECT_LT(worst, 0.06);  // 8 bits everywhere: close to the float model
}

TEST(PerStep, TheBatchedEngineGivesTheStreamingGainsOnEveryPath) {
  for (const int bits : {8, 5, 3}) {
    const auto f = per_step_float(5, 12, 7, bits == 5 ? 2 : 1);
    const int32_t steps = 9;
    const IntegerModel m = per_step_model(f, bits, steps);
    const data::Sequences s = testing::random_sequences(11, steps, 5, 2, 13);
    std::vector<int32_t> want(static_cast<size_t>(11 * steps * 7));
    for (int64_t i = 0; i < s.count(); ++i) {
      GruEngine(m, Kernels::reference).run_gains(s.sequence(i), steps, want.data() + i * steps * 7);
    }
    for (const KernelPath path : supported_paths()) {
      for (const int32_t batch : {1, 4, 11}) {
        BatchEngine engine(m, path, batch);
        std::vector<int32_t> got(want.size());
        for (int32_t first = 0; first < 11; first += batch) {
          const int32_t count = std::min(batch, 11 - first);
          engine.run_gains(s.sequence(first), steps * 5, count, steps,
                           got.data() + first * steps * 7);
        }
        EXPECT_EQ(got, want) << to_string(path) << " batch " << batch << " bits " << bits;
      }
    }
  }
}

TEST(PerStep, TheBatchedEngineRefusesAClassifierForGains) {
  const quant::FloatGruModel f = testing::random_float_model(5, 12, 3, 1, 5);
  quant::CalibrationOptions o;
  o.sequences = 20;
  const auto c = quant::calibrate(f, testing::random_sequences(20, 6, 5, 3), o);
  const IntegerModel m = convert(f, c, core::Genome::homogeneous({1, false}, 8), 6);
  BatchEngine engine(m, default_path(), 2);
  std::vector<int32_t> out(100);
  const data::Sequences s = testing::random_sequences(2, 6, 5, 3);
  EXPECT_THROW(engine.run_gains(s.sequence(0), 30, 2, 6, out.data()), std::logic_error);
}

TEST(PerStep, GainsAreTheHeadTableOfTheLogitsEveryStep) {
  const IntegerModel m = per_step_model(per_step_float(4, 8, 3), 6, 5);
  const data::Sequences s = testing::random_sequences(1, 5, 4, 2, 3);
  GruEngine e(m, Kernels::reference);
  e.reset();
  for (int32_t t = 0; t < 5; ++t) {
    e.step(s.sequence(0) + t * 4);
    std::vector<int32_t> logits(3), gains(3);
    e.logits(logits.data());
    e.gains(gains.data());
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_EQ(gains[c], m.head.table[static_cast<size_t>(logits[c] - m.head.input.qmin())]);
    }
  }
  const IntegerModel classifier =
      convert(testing::random_float_model(4, 8, 3),
              quant::calibrate(testing::random_float_model(4, 8, 3),
                               testing::random_sequences(10, 5, 4, 3), {}),
              core::Genome::homogeneous({1, false}, 8), 5);
  std::vector<int32_t> out(3);
  EXPECT_THROW(GruEngine(classifier).gains(out.data()), std::logic_error);
}

TEST(PerStep, ModelFilesAreVersion2AndRoundTrip) {
  testing::TempDir dir;
  const IntegerModel m = per_step_model(per_step_float(4, 8, 3, 2), 5, 6);
  const std::vector<uint8_t> bytes = serialize_model(m);
  EXPECT_EQ(bytes[8], 2);  // version, little-endian
  IntegerModel back;
  ASSERT_EQ(parse_model(bytes, "m.mpq", &back), "");
  EXPECT_TRUE(back.per_step);
  EXPECT_EQ(back.head.table, m.head.table);
  EXPECT_EQ(serialize_model(back), bytes);
  // A classifier is still written as version 1.
  const auto f = testing::random_float_model(4, 8, 3);
  const IntegerModel c = convert(f, quant::calibrate(f, testing::random_sequences(10, 5, 4, 3), {}),
                                 core::Genome::homogeneous({1, false}, 8), 5);
  EXPECT_EQ(serialize_model(c)[8], 1);
}

TEST(PerStep, CheckModelRefusesABrokenHead) {
  const IntegerModel good = per_step_model(per_step_float(4, 8, 3), 6, 5);
  IntegerModel m = good;
  m.per_step = false;  // the genome still has the gain gene
  EXPECT_NE(check_model(m).find("disagree on a per-step head"), std::string::npos);
  m = good;
  m.head.input.scale *= 2;
  EXPECT_NE(check_model(m).find("head input"), std::string::npos) << check_model(m);
  m = good;
  m.head.output.scale = 0.5;
  EXPECT_NE(check_model(m).find("head output"), std::string::npos) << check_model(m);
  m = good;
  m.head.table.pop_back();
  EXPECT_NE(check_model(m).find("table size"), std::string::npos) << check_model(m);
}

}  // namespace
}  // namespace mpgru::engine
