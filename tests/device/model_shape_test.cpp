// The linears of a step: their shapes and bits follow the genome's genes and the layer wiring.
#include "device/model_shape.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mpgru::device {
namespace {

using core::Op;

ModelShape smnist() {
  ModelShape s;
  s.features = 28;
  s.hidden = 128;
  s.outputs = 10;
  s.input_signed = false;
  return s;
}

TEST(StepLinears, OneLayerClassifierRunsSixLinearsPerStep) {
  core::Genome g = core::Genome::homogeneous({1, false, false}, 8);
  g = core::Genome::parse(g.layout(),
                          "x=3,w_i.r=2,w_i.z=4,w_i.n=5,w_h.r=6,w_h.z=7,w_h.n=2,"
                          "lin_i.r=8,lin_i.z=8,lin_i.n=8,lin_h.r=8,lin_h.z=8,"
                          "lin_h.n=8,sum.r=8,sum.z=8,sum.n=8,act.r=8,act.z=8,"
                          "act.n=8,mul.rn=8,mul.un=8,mul.zh=8,h=5,w_o=3,out=8");
  const std::vector<LinearShape> l = step_linears(smnist(), g);
  ASSERT_EQ(l.size(), 6u);
  const int weights[6] = {2, 6, 4, 7, 5, 2};  // lin_i.r, lin_h.r, lin_i.z, ...
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(l[i].rows, 128);
    EXPECT_EQ(l[i].weight_bits, weights[i]) << i;
    const bool input = i % 2 == 0;
    EXPECT_EQ(l[i].cols, input ? 28 : 128);
    EXPECT_EQ(l[i].input_bits, input ? 3 : 5);
    EXPECT_EQ(l[i].input_signed, !input);
    EXPECT_EQ(l[i].max_input(), input ? 7 : 15);
  }
  const std::vector<LinearShape> with_head = step_linears(smnist(), g, true);
  ASSERT_EQ(with_head.size(), 7u);
  EXPECT_EQ(with_head.back().rows, 10);
  EXPECT_EQ(with_head.back().weight_bits, 3);
}

TEST(StepLinears, DeeperLayersReadThePreviousStateAndAPerStepHeadRunsEveryStep) {
  ModelShape s = smnist();
  s.layers = 2;
  s.per_step = true;
  s.outputs = 7;
  core::Genome g = core::Genome::homogeneous(genome_layout(s), 8);
  g.set_bits(g.table().size() - 1, 2);  // gain
  const std::vector<LinearShape> l = step_linears(s, g);
  ASSERT_EQ(l.size(), 13u);
  g = core::Genome::homogeneous(genome_layout(s), 6);
  const std::vector<LinearShape> six = step_linears(s, g);
  EXPECT_EQ(six[6].cols, 128);
  EXPECT_TRUE(six[6].input_signed);
  EXPECT_EQ(six[12].rows, 7);
}

TEST(ModelShape, GenomeOfAnotherLayoutOrBadShapeIsRefused) {
  const core::Genome two_layers = core::Genome::homogeneous({2, false, false}, 8);
  EXPECT_THROW(step_linears(smnist(), two_layers), std::invalid_argument);
  ModelShape bad = smnist();
  bad.hidden = 0;
  EXPECT_THROW(step_linears(bad, core::Genome::homogeneous({}, 8)), std::invalid_argument);
  ModelShape tokens = smnist();
  tokens.vocabulary = 100;
  EXPECT_THROW(step_linears(tokens, core::Genome::homogeneous({}, 8)), std::invalid_argument);
}

}  // namespace
}  // namespace mpgru::device
