// The fused QAT recurrence against the unfused op-by-op autograd graph: same forward values and
// the same gradients for every weight and step size.
#include "train/qat_sequence.hpp"

#include <gtest/gtest.h>

#include <random>

#include "fixtures/random_float_model.hpp"
#include "train/qat_gru.hpp"

namespace mpgru::train {
namespace {

struct Grads {
  torch::Tensor logits;
  std::vector<torch::Tensor> grads;
};

Grads run(const quant::FloatGruModel& f, const quant::ScaleSet& s, const core::Genome& g,
          const torch::Tensor& x, const torch::Tensor& y, bool fused) {
  QatGru qat(f, s, g);
  qat->set_fused(fused);
  const torch::Tensor logits = qat->forward(x);
  torch::cross_entropy_loss(logits, y).backward();
  Grads out{logits.detach(), {}};
  for (const torch::Tensor& p : qat->parameters()) {
    out.grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  }
  return out;
}

class QatSequenceGenomes : public ::testing::TestWithParam<int> {};

TEST_P(QatSequenceGenomes, FusedEqualsUnfusedForwardAndGradients) {
  const quant::FloatGruModel f = testing::random_float_model(6, 16, 4, 1, 7);
  const data::Sequences data = testing::random_sequences(64, 9, 6, 4);
  quant::CalibrationOptions o;
  o.sequences = 64;
  const quant::Calibration c = quant::calibrate(f, data, o);
  core::Genome g = core::Genome::homogeneous({1, false}, 8);
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()));
  if (GetParam() > 0) {
    for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, 3 + static_cast<int>(rng() % 6));
  }
  const quant::ScaleSet s = quant::ptq_scales(f, c, g);
  const torch::Tensor x =
      torch::from_blob(const_cast<float*>(data.values.data()), {64, 9, 6}).clone();
  std::vector<int64_t> labels(data.labels.begin(), data.labels.end());
  const torch::Tensor y = torch::tensor(labels, torch::kInt64);
  const Grads fused = run(f, s, g, x, y, true);
  const Grads plain = run(f, s, g, x, y, false);
  EXPECT_TRUE(torch::allclose(fused.logits, plain.logits, 1e-4, 1e-5)) << g.to_compact();
  ASSERT_EQ(fused.grads.size(), plain.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    const double scale = std::max(plain.grads[i].norm().item<double>(), 1e-6);
    const double diff = (fused.grads[i] - plain.grads[i]).norm().item<double>();
    EXPECT_LT(diff / scale, 1e-3) << "parameter " << i << ", genome " << g.to_compact();
  }
}

INSTANTIATE_TEST_SUITE_P(Genomes, QatSequenceGenomes, ::testing::Values(0, 1, 2, 3));

}  // namespace
}  // namespace mpgru::train
