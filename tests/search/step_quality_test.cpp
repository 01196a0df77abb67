// The quality of per-step models as the search scores it: the mean and 95 % interval over clips
// on known values, refusal of accuracy, of a task that is not speech enhancement and of a model
// with another number of gains, and per-clip scores of an integer model on a small hand-made
// enhancement set (one per clip, finite, near the float model's, independent of the threads).
#include "search/step_quality.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/stft.hpp"
#include "data/se_task.hpp"
#include "engine/convert.hpp"
#include "fixtures/messages.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/synthetic_dataset.hpp"
#include "quant/calibration.hpp"

namespace mpgru::search {
namespace {

using report::Metric;

constexpr int32_t kBands = 24;
constexpr double kPi = 3.14159265358979323846;

using testing::contains;
using testing::invalid_argument_of;

// ---------------------------------------------------------------------------------------------
// mean_interval: 1.96 x the standard error, with the n - 1 standard deviation.

TEST(MeanInterval, KnownValues) {
  // {1, 2, 3, 4}: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, sd sqrt(5 / 3).
  const MeanInterval m = mean_interval({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_DOUBLE_EQ(m.ci95, 1.96 * std::sqrt(5.0 / 3.0) / 2.0);
  EXPECT_NEAR(m.ci95, 1.2652, 1e-4);
  // {-3.5, -1.5}: mean -2.5, sd sqrt(2), standard error 1.
  const MeanInterval negative = mean_interval({-3.5f, -1.5f});
  EXPECT_DOUBLE_EQ(negative.mean, -2.5);
  EXPECT_DOUBLE_EQ(negative.ci95, 1.96);
  // Every clip alike: no spread.
  const MeanInterval same = mean_interval({7.25f, 7.25f, 7.25f});
  EXPECT_DOUBLE_EQ(same.mean, 7.25);
  EXPECT_EQ(same.ci95, 0.0);
}

TEST(MeanInterval, OneClipHasNoIntervalAndNoClipsNothing) {
  const MeanInterval one = mean_interval({7.92f});
  EXPECT_DOUBLE_EQ(one.mean, static_cast<double>(7.92f));
  EXPECT_EQ(one.ci95, 0.0);
  const MeanInterval none = mean_interval({});
  EXPECT_EQ(none.mean, 0.0);
  EXPECT_EQ(none.ci95, 0.0);
}

// The mean is summed in double over the float values, as the evaluation store re-checks it
// (search/evaluation_store.cpp), not in float.
TEST(MeanInterval, MeanIsTheDoubleSumOfTheFloats) {
  std::vector<float> scores;
  for (int i = 0; i < 1000; ++i) scores.push_back(0.1f + static_cast<float>(i % 7) * 1.3f);
  double sum = 0;
  for (const float v : scores) sum += v;
  EXPECT_NEAR(mean_interval(scores).mean, sum / 1000.0, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// The enhancement set: 0.1 s clips (11 frames of 24 bands), a 440 Hz tone under seeded noise.

data::Sequences frames(int64_t clips, int64_t steps, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  data::Sequences s;
  s.steps = steps;
  s.features = kBands;
  s.outputs = kBands;
  for (int64_t i = 0; i < clips * steps * kBands; ++i) {
    s.values.push_back(u(rng));
    s.targets.push_back(0.5f);
  }
  return s;
}

data::SeDataset enhancement_set() {
  data::SeOptions options;
  options.clip_seconds = 0.1;
  const auto samples = static_cast<size_t>(options.clip_samples());
  const int64_t steps = audio::Stft(options.stft).frames(samples);
  std::mt19937_64 rng(11);
  std::normal_distribution<float> noise(0.0f, 0.15f);
  data::Sequences splits[3];
  data::SeClips clips[3];
  const int64_t counts[3] = {4, 3, 2};  // train, validation, test
  for (int s = 0; s < 3; ++s) {
    splits[s] = frames(counts[s], steps, rng);
    for (int64_t i = 0; i < counts[s]; ++i) {
      clips[s].names.push_back("clip" + std::to_string(i));
      if (s == 0) continue;  // training waveforms are not kept
      std::vector<float> clean(samples), noisy(samples);
      for (size_t t = 0; t < samples; ++t) {
        const double phase = 2 * kPi * 440.0 * static_cast<double>(t) / 16000.0;
        clean[t] = static_cast<float>(0.5 * std::sin(phase + static_cast<double>(i)));
        noisy[t] = clean[t] + noise(rng);
      }
      clips[s].clean.push_back(clean);
      clips[s].noisy.push_back(noisy);
    }
  }
  data::FeatureNormalisation normalisation{std::vector<float>(kBands, 0.0f),
                                           std::vector<float>(kBands, 1.0f)};
  return data::SeDataset(splits, clips, normalisation, options, 0);
}

// A float model with a per-step head of `outputs` sigmoid gains.
quant::FloatGruModel per_step_float(int32_t outputs) {
  quant::FloatGruModel f = testing::random_float_model(kBands, 8, outputs, 1, 5);
  f.outputs = outputs;
  f.classes = 0;
  return f;
}

// Homogeneous 8-bit, calibrated on the set's training frames.
engine::IntegerModel per_step_integer(const quant::FloatGruModel& f, const data::Dataset& set) {
  const data::Sequences& train = set.split(data::Split::train);
  quant::CalibrationOptions o;
  o.sequences = train.count();
  return engine::convert(f, quant::calibrate(f, train, o),
                         core::Genome::homogeneous(quant::genome_layout(f), 8),
                         static_cast<int32_t>(train.steps));
}

class StepQuality : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { set_ = new data::SeDataset(enhancement_set()); }
  static void TearDownTestSuite() {
    delete set_;
    set_ = nullptr;
  }
  static const data::SeDataset& set() { return *set_; }
  static inline data::SeDataset* set_ = nullptr;
};

// On a real enhancement task, so that the metric alone is what is refused.
TEST_F(StepQuality, AccuracyIsRefused) {
  const quant::FloatGruModel f = per_step_float(kBands);
  const engine::IntegerModel m = per_step_integer(f, set());
  for (const data::Split split : {data::Split::validation, data::Split::test}) {
    const std::string what =
        invalid_argument_of([&] { clip_scores(m, set(), split, Metric::Kind::accuracy, 1); });
    EXPECT_TRUE(contains(what, "accuracy")) << what;
  }
  const std::string what =
      invalid_argument_of([&] { float_validation_score(f, set(), Metric::Kind::accuracy, 1); });
  EXPECT_TRUE(contains(what, "sisdr or stoi")) << what;
}

TEST(StepQualityTask, ANonEnhancementDatasetIsRefused) {
  const data::InMemoryDataset pulse = testing::pulse_dataset(3, 8);
  engine::IntegerModel m;  // refused before the model is run
  m.per_step = true;
  m.classes = kBands;
  const quant::FloatGruModel f = per_step_float(kBands);
  for (const Metric::Kind metric : {Metric::Kind::sisdr, Metric::Kind::stoi}) {
    const std::string integer =
        invalid_argument_of([&] { clip_scores(m, pulse, data::Split::validation, metric, 1); });
    EXPECT_TRUE(contains(integer, "task pulse")) << integer;
    EXPECT_TRUE(contains(integer, "per step")) << integer;
    const std::string floating =
        invalid_argument_of([&] { float_validation_score(f, pulse, metric, 1); });
    EXPECT_TRUE(contains(floating, "task pulse")) << floating;
  }
  // Accuracy is refused whatever the task.
  EXPECT_THROW(clip_scores(m, pulse, data::Split::validation, Metric::Kind::accuracy, 1),
               std::invalid_argument);
  EXPECT_THROW(float_validation_score(f, pulse, Metric::Kind::accuracy, 1), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// r2_scores: each sequence's share 1 - SSE_i / (SST / N), whose mean is the split's R^2.

data::Sequences two_by_two(std::vector<float> targets) {
  data::Sequences s;
  s.steps = 2;
  s.features = 1;
  s.outputs = 1;
  s.values = {0, 0, 0, 0};
  s.targets = std::move(targets);
  return s;
}

TEST(R2Scores, KnownValues) {
  // Targets {0, 1 | 1, 0}: mean 0.5, SST = 4 x 0.25 = 1. Predicting {0, 1 | 0.5, 0.5}: SSE_0 = 0,
  // SSE_1 = 0.25 + 0.25 = 0.5, so shares 1 - 0 = 1 and 1 - 0.5 x 2 / 1 = 0; R^2 = 1 - 0.5 = 0.5.
  const data::Sequences s = two_by_two({0, 1, 1, 0});
  const std::vector<float> predicted = {0, 1, 0.5f, 0.5f};
  const std::vector<float> r2 = r2_scores(s, [&](int64_t i, float* out) {
    out[0] = predicted[static_cast<size_t>(2 * i)];
    out[1] = predicted[static_cast<size_t>(2 * i + 1)];
  });
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_FLOAT_EQ(r2[0], 1.0f);
  EXPECT_FLOAT_EQ(r2[1], 0.0f);
  EXPECT_DOUBLE_EQ(mean_interval(r2).mean, 0.5);
  // The mean of the targets scores 0; perfect predictions 1.
  const auto constant = r2_scores(s, [](int64_t, float* out) { out[0] = out[1] = 0.5f; });
  EXPECT_NEAR(mean_interval(constant).mean, 0.0, 1e-12);
  const auto perfect = r2_scores(s, [&](int64_t i, float* out) {
    const float* t = s.target(i);
    out[0] = t[0];
    out[1] = t[1];
  });
  EXPECT_DOUBLE_EQ(mean_interval(perfect).mean, 1.0);
}

TEST(R2Scores, ConstantTargetsAreRefused) {
  const data::Sequences s = two_by_two({0.25f, 0.25f, 0.25f, 0.25f});
  const std::string what =
      invalid_argument_of([&] { r2_scores(s, [](int64_t, float* out) { out[0] = out[1] = 0; }); });
  EXPECT_TRUE(contains(what, "do not vary")) << what;
}

TEST(DefaultQuality, SisdrForSpeechEnhancementR2ForOtherPerStepTasks) {
  const data::InMemoryDataset pulse = testing::pulse_dataset(3, 8);
  EXPECT_EQ(default_quality(pulse), Metric::Kind::r2);
}

TEST_F(StepQuality, AnotherNumberOfGainsIsRefused) {
  const quant::FloatGruModel f = per_step_float(12);
  const std::string floating =
      invalid_argument_of([&] { float_validation_score(f, set(), Metric::Kind::sisdr, 1); });
  EXPECT_TRUE(contains(floating, "12 outputs")) << floating;
  const engine::IntegerModel m = per_step_integer(f, set());
  const std::string integer = invalid_argument_of(
      [&] { clip_scores(m, set(), data::Split::validation, Metric::Kind::sisdr, 1); });
  EXPECT_TRUE(contains(integer, "12 outputs")) << integer;
}

TEST_F(StepQuality, AClassifierIntegerModelIsRefused) {
  engine::IntegerModel m;
  m.classes = kBands;  // as many logits as the task has gains, but no per-step head
  const std::string what = invalid_argument_of(
      [&] { clip_scores(m, set(), data::Split::validation, Metric::Kind::sisdr, 1); });
  EXPECT_TRUE(contains(what, "not per-step")) << what;
}

TEST_F(StepQuality, IntegerModelScoresEveryClipNearTheFloatModel) {
  const quant::FloatGruModel f = per_step_float(kBands);
  const engine::IntegerModel m = per_step_integer(f, set());
  const std::vector<float> val =
      clip_scores(m, set(), data::Split::validation, Metric::Kind::sisdr, 1);
  const std::vector<float> test = clip_scores(m, set(), data::Split::test, Metric::Kind::sisdr, 1);
  ASSERT_EQ(val.size(), 3u);
  ASSERT_EQ(test.size(), 2u);
  for (const float v : val) EXPECT_TRUE(std::isfinite(v)) << v;
  for (const float v : test) EXPECT_TRUE(std::isfinite(v)) << v;
  // The threads share the clips out; each clip's score does not depend on them.
  EXPECT_EQ(clip_scores(m, set(), data::Split::validation, Metric::Kind::sisdr, 2), val);
  // The float model's validation score: the mean of its own clips' improvements.
  const double reference = float_validation_score(f, set(), Metric::Kind::sisdr, 1);
  const data::Sequences& s = set().split(data::Split::validation);
  const data::SeQuality q = set().quality(
      data::Split::validation,
      [&](int64_t i, float* gains) {
        quant::forward_steps(f, s.sequence(i), static_cast<int32_t>(s.steps), gains);
      },
      1, false);
  EXPECT_NEAR(reference, q.si_sdri, 1e-5);
  // Homogeneous 8-bit gains (on a 1/255 grid) enhance as the float ones do, to within the
  // iso-quality tolerance (here about 0.06 dB apart).
  const double tolerance = Metric{Metric::Kind::sisdr, 1}.tolerance();
  EXPECT_NEAR(mean_interval(val).mean, reference, tolerance);
  EXPECT_NE(mean_interval(val).mean, mean_interval(test).mean);  // other clips, other scores
}

}  // namespace
}  // namespace mpgru::search
