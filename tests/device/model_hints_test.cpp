// Model hints: the text form round-trips and bad text is refused; a model's hints name every
// linear and layer, and a layer whose tables are constant computes nothing.
#include "device/model_hints.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fixtures/random_model.hpp"

namespace mpgru::device {
namespace {

TEST(ModelHints, TextRoundTripsAndBadTextIsRefused) {
  ModelHints h;
  h.small_multipliers = {true, false, true, true, false, false, true};
  h.layers = {UnitWork{}, UnitWork{0, 0, 0, 0, 0, 0}};
  const std::string text = to_string(h);
  EXPECT_EQ(text, "small=1011001;units=4.3.3.4.11.0/0.0.0.0.0.0");
  const ModelHints back = parse_hints(text);
  EXPECT_EQ(back.small_multipliers, h.small_multipliers);
  ASSERT_EQ(back.layers.size(), 2u);
  EXPECT_FALSE(back.layers[0].dead());
  EXPECT_TRUE(back.layers[1].dead());
  EXPECT_EQ(back.layers[0].short_applies, 11);
  for (const char* bad :
       {"", "small=;units=4.3.3.4.11.0", "small=1012;units=4.3.3.4.11.0", "small=1;units=4.3.3",
        "small=1;units=5.3.3.4.11.0", "units=4.3.3.4.11.0;small=1", "small=1;units=4.3.3.9.9.9"}) {
    EXPECT_THROW(parse_hints(bad), std::invalid_argument) << bad;
  }
}

TEST(ModelHints, AModelNamesEveryLinearAndLayer) {
  const core::Genome g = testing::random_genome({2, false}, 3);
  const engine::IntegerModel m = testing::random_model(g, 6, 8, 3, 5);
  const ModelHints h = hints_of(m);
  EXPECT_EQ(h.small_multipliers.size(), 13u);  // 6 per layer and the head
  ASSERT_EQ(h.layers.size(), 2u);
  for (const UnitWork& w : h.layers) {
    EXPECT_LE(w.exact_applies + w.short_applies + w.long_applies, 3 * w.adds + w.muls);
  }
}

TEST(ModelHints, ALayerWithConstantTablesComputesNothing) {
  const core::Genome g = testing::random_genome({1, false}, 4);
  engine::IntegerModel m = testing::random_model(g, 6, 8, 3, 5);
  // Every table constant: r, z and n are, so is every product and the new state.
  for (engine::Lut& l : m.layers[0].act) {
    for (int16_t& v : l.table) v = 0;
  }
  const ModelHints h = hints_of(m);
  EXPECT_TRUE(h.layers[0].dead()) << to_string(h);
  EXPECT_EQ(h.layers[0].exact_applies + h.layers[0].short_applies + h.layers[0].long_applies, 0);
}

}  // namespace
}  // namespace mpgru::device
