// Task se on a small se-synth set: shapes, ideal-gain targets, and the quality measure (gains of
// one change nothing, the ideal gains improve SI-SDR and STOI); errors name the file.
#include "data/se_task.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/se_synth.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

class SeTask : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    SeSynthConfig c;
    c.out = *dir_ / "se";
    c.clips[0] = 10;
    c.clips[1] = 4;
    c.clips[2] = 4;
    generate_se_synth(c);
    dataset_ = new SeDataset(load_se(c.out));
  }
  static void TearDownTestSuite() {
    delete dataset_;
    delete dir_;
  }
  static inline testing::TempDir* dir_ = nullptr;
  static inline SeDataset* dataset_ = nullptr;
};

TEST_F(SeTask, ShapesAndTargets) {
  const SeDataset& d = *dataset_;
  EXPECT_EQ(d.steps(), 251);  // 2.5 s at a 10 ms hop, + 1
  EXPECT_EQ(d.features(), 24);
  EXPECT_EQ(d.outputs(), 24);
  EXPECT_EQ(d.num_classes(), 0);
  EXPECT_EQ(d.split(Split::train).count(), 10);
  EXPECT_EQ(d.clips(Split::test).clean.size(), 4u);
  EXPECT_EQ(d.clips(Split::train).names.size(), 10u);
  EXPECT_TRUE(d.clips(Split::train).clean.empty());  // training waveforms are not kept
  for (float g : d.split(Split::train).targets) {
    ASSERT_GE(g, 0.0f);
    ASSERT_LE(g, 1.0f);
  }
  // Standardised on the training split: each feature has mean ~0 there.
  const Sequences& train = d.split(Split::train);
  double mean0 = 0;
  for (size_t i = 0; i < train.values.size(); i += 24) mean0 += train.values[i];
  EXPECT_NEAR(mean0 / static_cast<double>(train.values.size() / 24), 0.0, 1e-3);
  EXPECT_EQ(d.options().canonical(), "se;sr=16000;win=320;hop=160;bands=24;clip=40000");
}

TEST_F(SeTask, UnitGainsChangeNothingIdealGainsImprove) {
  const SeDataset& d = *dataset_;
  const Sequences& test = d.split(Split::test);
  const size_t per = static_cast<size_t>(d.steps() * d.outputs());
  const SeQuality unit = d.quality(
      Split::test, [&](int64_t, float* g) { std::fill(g, g + per, 1.0f); }, 2);
  EXPECT_NEAR(unit.si_sdri, 0.0, 0.01);
  EXPECT_NEAR(unit.stoi_enhanced, unit.stoi_noisy, 1e-3);
  const SeQuality ideal = d.quality(
      Split::test, [&](int64_t i, float* g) { std::copy(test.target(i), test.target(i) + per, g); },
      2);
  EXPECT_GT(ideal.si_sdri, 5.0);
  EXPECT_GT(ideal.stoi_enhanced, ideal.stoi_noisy);
  EXPECT_EQ(ideal.clips, 4);
  EXPECT_GT(ideal.si_sdri_ci95, 0.0);  // clips differ
  EXPECT_LT(unit.si_sdri_ci95, 0.01);  // every clip's improvement is ~0
  EXPECT_GT(ideal.stoi_enhanced_ci95, 0.0);
}

TEST(SeTaskGains, IdealGainsAreClampedRatios) {
  const std::vector<float> g = ideal_gains({4, 1, 9, 0}, {16, 1, 4, 0});
  EXPECT_FLOAT_EQ(g[0], 0.5f);
  EXPECT_FLOAT_EQ(g[1], 1.0f);
  EXPECT_FLOAT_EQ(g[2], 1.0f);  // a louder clean band is clamped
  EXPECT_FLOAT_EQ(g[3], 1.0f);  // a silent noisy band passes
}

TEST(SeTaskErrors, AMissingPairOrFolderIsNamed) {
  testing::TempDir dir;
  try {
    load_se(dir.path());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train/noisy: missing"), std::string::npos) << e.what();
  }
  fs::create_directories(dir / "train" / "noisy");
  fs::create_directories(dir / "train" / "clean");
  std::ofstream(dir / "train" / "noisy" / "a.wav") << "x";
  try {
    load_se(dir.path());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a.wav: no clean pair"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mpgru::data
