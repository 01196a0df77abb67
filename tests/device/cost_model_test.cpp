// The cost model: predictions are the features times the costs (flash: the exact data plus the
// fitted code), costs files round-trip and bad ones are refused, and the built-in costs know both
// targets and price a 2-bit model below an 8-bit one in flash (and on the Cortex-M4 in time).
#include "device/cost_model.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mpgru::device {
namespace {

ModelShape kws() {
  ModelShape s;
  s.features = 40;
  s.hidden = 64;
  s.outputs = 12;
  return s;
}

CostModel hand_made() {
  TargetCosts c;
  c.instructions = {{"step", 100}, {"unit", 50},          {"row", 10},    {"small_row", 10},
                    {"steps", 14}, {"ternary_steps", 10}, {"fields_4", 3}};
  c.flash = {{"program", 2000}, {"width_4", 300}, {"layer", 400}};
  CostModel m;
  m.set(Target::cortex_m4, "-O2", c);
  return m;
}

TEST(CostModel, PredictionIsTheFeaturesTimesTheCosts) {
  const CostModel m = hand_made();
  const core::Genome g = core::Genome::homogeneous({}, 4);
  const Prediction p = m.predict(kws(), g, Target::cortex_m4);
  const Features f = instruction_features(kws(), g, Target::cortex_m4);
  EXPECT_DOUBLE_EQ(p.instructions,
                   100 + 50 * 64 + 10 * 6 * 64 + 14 * f.at("steps") + 3 * f.at("fields_4"));
  EXPECT_EQ(p.flash_bytes, data_bytes(kws(), g, Target::cortex_m4) + 2000 + 300 + 400);
  // Fewer weight bits: fewer steps, so (with these positive costs) fewer instructions.
  EXPECT_LT(m.predict(kws(), core::Genome::homogeneous({}, 2), Target::cortex_m4).instructions,
            p.instructions);
}

TEST(CostModel, MissingTargetOrOptIsNamed) {
  const CostModel m = hand_made();
  EXPECT_TRUE(m.has(Target::cortex_m4));
  EXPECT_FALSE(m.has(Target::cortex_m55));
  try {
    m.predict(kws(), core::Genome::homogeneous({}, 8), Target::cortex_m55);
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("cortex-m55 -O2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cortex-m4 -O2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m.predict(kws(), core::Genome::homogeneous({}, 8), Target::cortex_m4, "-Os"),
               std::out_of_range);
}

TEST(CostModel, JsonRoundTripsAndBadFilesAreRefused) {
  const CostModel m = hand_made();
  const CostModel back = CostModel::from_json(m.to_json(), "test");
  const core::Genome g = core::Genome::homogeneous({}, 5);
  EXPECT_EQ(back.predict(kws(), g, Target::cortex_m4).instructions,
            m.predict(kws(), g, Target::cortex_m4).instructions);
  nlohmann::json bad = m.to_json();
  bad["targets"][0]["target"] = "cortex-m7";
  EXPECT_THROW(CostModel::from_json(bad, "bad.json"), std::runtime_error);
  bad = m.to_json();
  bad["targets"][0]["instructions"]["step"] = "many";
  try {
    CostModel::from_json(bad, "bad.json");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("step"), std::string::npos) << e.what();
  }
  // A coefficient of a feature this version does not compute: data of another version.
  bad = m.to_json();
  bad["targets"][0]["instructions"]["ternary_words_2"] = 1.0;
  const CostModel other = CostModel::from_json(bad, "other.json");
  EXPECT_THROW(other.predict(kws(), g, Target::cortex_m4), std::invalid_argument);
}

TEST(CostModel, BuiltInCostsKnowBothTargetsAndPriceTwoBitsBelowEightBits) {
  const CostModel& m = CostModel::builtin();
  for (Target t : all_targets()) {
    ASSERT_TRUE(m.has(t)) << to_string(t);
    const Prediction eight = m.predict(kws(), core::Genome::homogeneous({}, 8), t);
    const Prediction two = m.predict(kws(), core::Genome::homogeneous({}, 2), t);
    EXPECT_GT(two.instructions, 0) << to_string(t);
    // Ternary words beat 8-bit pair words on the Cortex-M4 (Helium's 8-bit byte products are its
    // fastest: no such order there).
    if (t == Target::cortex_m4) {
      EXPECT_LT(two.instructions, eight.instructions);
    }
    EXPECT_LT(two.flash_bytes, eight.flash_bytes) << to_string(t);
    EXPECT_GT(two.flash_bytes, data_bytes(kws(), core::Genome::homogeneous({}, 2), t));
  }
}

}  // namespace
}  // namespace mpgru::device
