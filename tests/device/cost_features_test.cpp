// The cost features: hand-counted for the sMNIST shape on each target, and never more work or
// bytes for fewer weight bits.
#include "device/cost_features.hpp"

#include <gtest/gtest.h>

#include "device/kernel_geometry.hpp"
#include "fixtures/random_model.hpp"

namespace mpgru::device {
namespace {

ModelShape smnist() {
  ModelShape s;
  s.features = 28;
  s.hidden = 128;
  s.outputs = 10;
  s.input_signed = false;
  return s;
}

TEST(CostFeatures, HandCountedForEightAndTwoBitSmnistOnTheCortexM4) {
  const Features eight =
      instruction_features(smnist(), core::Genome::homogeneous({}, 8), Target::cortex_m4);
  // Pair words of 4 8-bit weights (2 activation pairs): lin_i 32 blocks x 7 words, lin_h 32 x
  // 32, 3 gates each; one exact segment per block.
  EXPECT_EQ(eight.at("steps"), 3 * 32 * 7 + 3 * 32 * 32);
  EXPECT_EQ(eight.at("fields_8"), 2 * eight.at("steps"));
  EXPECT_EQ(eight.at("calls"), 6 * 32);
  EXPECT_EQ(eight.at("rest_steps"), 0);
  EXPECT_EQ(eight.at("ternary_steps"), 0);
  EXPECT_EQ(eight.at("linear"), 6);
  EXPECT_EQ(eight.at("row") + eight.at("small_row"), 6 * 128);
  EXPECT_EQ(eight.at("unit"), 128);
  EXPECT_EQ(eight.at("input"), 28);
  EXPECT_EQ(eight.at("gain"), 0);
  EXPECT_EQ(eight.at("input_pass"), 0);
  const Features two =
      instruction_features(smnist(), core::Genome::homogeneous({}, 2), Target::cortex_m4);
  // Ternary words, 8 columns of a row pair each, in blocks of 4 pairs: lin_i 16 blocks x 4
  // words (28 -> 32 columns), lin_h 16 x 16; every 2-bit input fits one segment; each linear
  // sums its 8 x words inputs once.
  EXPECT_EQ(two.at("ternary_steps"), 3 * 16 * 4 + 3 * 16 * 16);
  EXPECT_EQ(two.at("fields_2"), 4 * two.at("ternary_steps"));
  EXPECT_EQ(two.at("calls"), 6 * 16);
  EXPECT_EQ(two.at("input_pass"), 3 * 32 + 3 * 128);
  EXPECT_EQ(two.at("steps"), 0);
  // 4 bits: 8 weights (4 pairs) per word.
  const Features four =
      instruction_features(smnist(), core::Genome::homogeneous({}, 4), Target::cortex_m4);
  EXPECT_EQ(four.at("steps"), 3 * 32 * 4 + 3 * 32 * 16);
  EXPECT_EQ(four.at("fields_4"), 4 * four.at("steps"));
}

TEST(CostFeatures, HandCountedForSmnistOnTheCortexM55) {
  const Features eight =
      instruction_features(smnist(), core::Genome::homogeneous({}, 8), Target::cortex_m55);
  // Lane vectors of 16 bytes: lin_i reads unsigned 8-bit inputs (up to 255) as int16, 8 columns
  // a step (28 -> 32 columns: 4 steps); lin_h's signed state fits int8, 16 a step (8 steps),
  // narrowed once per linear (128 inputs).
  EXPECT_EQ(eight.at("steps"), 3 * 32 * 4 + 3 * 32 * 8);
  EXPECT_EQ(eight.at("plain_fields"), eight.at("steps"));
  EXPECT_EQ(eight.at("fields_8"), 0);
  EXPECT_EQ(eight.at("input_pass"), 3 * 128);
  EXPECT_EQ(eight.at("calls"), 6);
  // 4 bits: 32 columns per vector; every 4-bit input fits a byte, so byte lanes: 2 fields of 16
  // weights per vector; lin_i 1 vector, lin_h 4.
  const Features four =
      instruction_features(smnist(), core::Genome::homogeneous({}, 4), Target::cortex_m55);
  EXPECT_EQ(four.at("steps"), 3 * 32 * 1 + 3 * 32 * 4);
  EXPECT_EQ(four.at("fields_4"), 2 * four.at("steps"));
  EXPECT_EQ(four.at("ternary_steps"), 0);
}

TEST(CostFeatures, DataBytesAreTheGeneratorsArraysOfEachTarget) {
  // 8 bits: pair words (lin_i 7, lin_h 32, head 32 words per row), 9 bytes per row (bias, m0,
  // shift) and three 255-entry tables; Helium: 16-byte vectors (lin_i 2, lin_h 8, head 8).
  const core::Genome eight = core::Genome::homogeneous({}, 8);
  const int64_t rest = 9 * (6 * 128 + 10) + 3 * 255;
  EXPECT_EQ(data_bytes(smnist(), eight, Target::cortex_m4),
            4 * (3 * 128 * 7 + 3 * 128 * 32 + 10 * 32) + rest);
  EXPECT_EQ(data_bytes(smnist(), eight, Target::cortex_m55),
            16 * (3 * 128 * 2 + 3 * 128 * 8 + 10 * 8) + rest);
  ModelShape tokens = smnist();
  tokens.vocabulary = 100;
  tokens.features = 16;
  const core::Genome g = core::Genome::homogeneous(genome_layout(tokens), 3);
  const Features f = flash_features(tokens, g, Target::cortex_m4);
  EXPECT_EQ(f.at("embedding"), 1);
  EXPECT_EQ(f.at("width_3"), 1);
  EXPECT_EQ(f.at("width_8"), 0);
  EXPECT_EQ(f.at("data_bytes"), static_cast<double>(data_bytes(tokens, g, Target::cortex_m4)));
  EXPECT_GE(data_bytes(tokens, g, Target::cortex_m4), (100 * 16 * 3 + 7) / 8);
}

TEST(CostFeatures, FewerWeightBitsNeverCostMoreStepsOrBytes) {
  for (Target t : all_targets()) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      const core::Genome g = testing::random_genome({}, seed);
      for (size_t i = 0; i < g.size(); ++i) {
        if (!core::is_weight(g.table()[i].op) || g.bits(i) == core::kMinBits) continue;
        core::Genome lower = g;
        lower.set_bits(i, g.bits(i) - 1);
        const Features a = instruction_features(smnist(), g, t);
        const Features b = instruction_features(smnist(), lower, t);
        EXPECT_LE(b.at("steps") + b.at("ternary_steps"), a.at("steps") + a.at("ternary_steps"))
            << to_string(t) << ' ' << lower.to_compact();
        EXPECT_LE(data_bytes(smnist(), lower, t), data_bytes(smnist(), g, t))
            << to_string(t) << ' ' << lower.to_compact();
      }
    }
  }
}

TEST(CostFeatures, SmallMultipliersAreLikelyWhenTheOutputGridIsNarrow) {
  // qmax_y / (qmax_w qmax_x): 127 / (127 * 127) is far below 1; 127 / (1 * 1) far above.
  EXPECT_TRUE(likely_small_multipliers({128, 128, 8, 8, true, 8}));
  EXPECT_FALSE(likely_small_multipliers({128, 128, 2, 2, true, 8}));
  EXPECT_EQ(instruction_features(smnist(), core::Genome::homogeneous({}, 8), Target::cortex_m4)
                .at("small_row"),
            6 * 128);
}

}  // namespace
}  // namespace mpgru::device
