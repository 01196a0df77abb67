// The kws task on a tiny Speech Commands folder: log-mel sequences normalised with the training
// split's statistics, reachable through the task registry.
#include "data/kws_task.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "audio/wav_file.hpp"
#include "data/task.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

void make_folder(const fs::path& dir) {
  int k = 0;
  for (const char* word : {"yes", "no", "up", "bed"}) {
    fs::create_directories(dir / word);
    for (int i = 0; i < 3; ++i, ++k) {
      std::vector<float> s(16000);
      for (int n = 0; n < 16000; ++n) {
        s[n] = static_cast<float>(0.2 * std::sin(2 * M_PI * (300 + 150 * k) * n / 16000.0));
      }
      audio::write_wav_pcm16(dir / word / ("s" + std::to_string(i) + "_nohash_0.wav"), s, 16000);
    }
  }
  fs::create_directories(dir / "_background_noise_");
  std::vector<float> noise(40000);
  for (int n = 0; n < 40000; ++n) noise[n] = static_cast<float>(0.1 * std::sin(n * 0.7));
  audio::write_wav_pcm16(dir / "_background_noise_" / "n.wav", noise, 16000);
  std::ofstream(dir / "validation_list.txt") << "yes/s1_nohash_0.wav\nno/s1_nohash_0.wav\n";
  std::ofstream(dir / "testing_list.txt") << "yes/s2_nohash_0.wav\nup/s2_nohash_0.wav\n";
}

TEST(KwsTask, LogMelSequencesNormalisedByTrainStatistics) {
  testing::TempDir dir;
  make_folder(dir.path());
  const KwsDataset d = load_kws(dir.path());
  EXPECT_EQ(d.name(), "kws");
  EXPECT_EQ(d.num_classes(), 12);
  EXPECT_EQ(d.steps(), 49);
  EXPECT_EQ(d.features(), 40);
  const Sequences& train = d.split(Split::train);
  ASSERT_GT(train.count(), 0);
  train.check_shape(12);
  d.split(Split::test).check_shape(12);
  const auto f = static_cast<size_t>(d.features());
  const size_t frames = train.values.size() / f;
  const auto count = static_cast<double>(frames);
  for (size_t k = 0; k < f; ++k) {
    double sum = 0, sq = 0;
    for (size_t i = 0; i < frames; ++i) {
      sum += train.values[i * f + k];
      sq += train.values[i * f + k] * train.values[i * f + k];
    }
    const double mean = sum / count;
    EXPECT_NEAR(mean, 0.0, 1e-3) << k;
    EXPECT_NEAR(std::sqrt(sq / count - mean * mean), 1.0, 1e-3) << k;
  }
  EXPECT_EQ(d.normalisation().mean.size(), f);
  EXPECT_EQ(d.front_end(), audio::LogMelConfig{}.canonical());
}

TEST(KwsTask, StatisticsAndNormaliseAreInverse) {
  Sequences s;
  s.steps = 2;
  s.features = 2;
  s.values = {1, 10, 3, 10, 5, 10, 7, 10};  // feature 0: 1 3 5 7; feature 1 constant
  s.labels = {0, 1};
  const FeatureNormalisation n = feature_statistics(s);
  EXPECT_FLOAT_EQ(n.mean[0], 4.0f);
  EXPECT_FLOAT_EQ(n.stddev[0], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(n.mean[1], 10.0f);
  EXPECT_FLOAT_EQ(n.stddev[1], 1e-5f);  // floored, no division by zero
  normalise(s, n);
  EXPECT_FLOAT_EQ(s.values[0], -3.0f / std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(s.values[1], 0.0f);
}

TEST(KwsTask, RegistryFindsTheFolderItselfOrTheKwsSubfolder) {
  testing::TempDir dir;
  make_folder(dir / "kws");
  const auto via_parent = load_task("kws", dir.path());
  const auto direct = load_task("kws", dir / "kws");
  EXPECT_EQ(via_parent->split(Split::train).values, direct->split(Split::train).values);
  try {
    load_task("kws", dir / "nothing");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("kws-synth"), std::string::npos);
  }
}

TEST(KwsTask, BadWavFailsTheLoadUnlessSkipped) {
  testing::TempDir dir;
  make_folder(dir.path());
  audio::write_wav_pcm16(dir / "yes" / "stereo_nohash_0.wav", std::vector<float>(100), 8000);
  try {
    load_task("kws", dir.path());
    FAIL() << "a bad WAV must fail the load";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("stereo_nohash_0.wav: sample rate 8000 Hz"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--skip-bad"), std::string::npos);
  }
  const auto skipped = load_task("kws", dir.path(), LoadOptions{true});
  EXPECT_EQ(dynamic_cast<const KwsDataset&>(*skipped).skipped(), 1);
  std::filesystem::remove(dir / "yes" / "stereo_nohash_0.wav");
  EXPECT_EQ(skipped->split(Split::train).values, load_kws(dir.path()).split(Split::train).values)
      << "skipping equals never having had the bad file";
}

}  // namespace
}  // namespace mpgru::data
