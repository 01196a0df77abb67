// The fused QAT recurrence against the unfused op-by-op autograd graph: same forward values and
// the same gradients for every weight and step size, on one or two cores; safe when forward
// passes overlap (its buffers are reused across calls).
#include "train/qat_sequence.hpp"

#include <gtest/gtest.h>

#include <random>

#include "fixtures/random_float_model.hpp"
#include "train/qat_gru.hpp"

namespace mpgru::train {
namespace {

// A small random model, its PTQ scales for a genome and a labelled batch.
struct Problem {
  quant::FloatGruModel model;
  core::Genome genome;
  quant::ScaleSet scales;
  torch::Tensor x, y;
};

// genome_seed 0: homogeneous 8 bits, else random bits in 3..8.
Problem make_problem(int layers, uint64_t genome_seed) {
  const data::Sequences data = testing::random_sequences(64, 9, 6, 4);
  const quant::FloatGruModel model = testing::random_float_model(6, 16, 4, layers, 7);
  quant::CalibrationOptions o;
  o.sequences = 64;
  const quant::Calibration c = quant::calibrate(model, data, o);
  core::Genome genome = core::Genome::homogeneous({layers, false}, 8);
  std::mt19937_64 rng(genome_seed);
  if (genome_seed > 0) {
    for (size_t i = 0; i < genome.size(); ++i) genome.set_bits(i, 3 + static_cast<int>(rng() % 6));
  }
  std::vector<int64_t> labels(data.labels.begin(), data.labels.end());
  return {model, genome, quant::ptq_scales(model, c, genome),
          torch::from_blob(const_cast<float*>(data.values.data()), {64, 9, 6}).clone(),
          torch::tensor(labels, torch::kInt64)};
}

struct Grads {
  torch::Tensor logits;
  std::vector<torch::Tensor> grads;
};

Grads grads_of(QatGru& qat) {
  Grads out;
  for (const torch::Tensor& p : qat->parameters()) {
    out.grads.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
  }
  return out;
}

// Logits and parameter gradients of one cross-entropy step; threads 0: the module's default.
Grads run(const Problem& s, bool fused, int threads = 0) {
  QatGru qat(s.model, s.scales, s.genome);
  qat->set_fused(fused);
  qat->set_threads(threads);
  const torch::Tensor logits = qat->forward(s.x);
  torch::cross_entropy_loss(logits, s.y).backward();
  Grads out = grads_of(qat);
  out.logits = logits.detach();
  return out;
}

// |a - b| / |b| (Frobenius norms; |b| at least 1e-6).
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(b.norm().item<double>(), 1e-6);
}

struct Case {
  int layers;
  uint64_t genome_seed;
};

class QatSequenceCases : public ::testing::TestWithParam<Case> {};

TEST_P(QatSequenceCases, FusedEqualsUnfusedForwardAndGradients) {
  const Problem s = make_problem(GetParam().layers, GetParam().genome_seed);
  const Grads fused = run(s, true);
  const Grads plain = run(s, false);
  EXPECT_TRUE(torch::allclose(fused.logits, plain.logits, 1e-4, 1e-5)) << s.genome.to_compact();
  ASSERT_EQ(fused.grads.size(), plain.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    EXPECT_LT(relative_difference(fused.grads[i], plain.grads[i]), 1e-3)
        << "parameter " << i << ", genome " << s.genome.to_compact();
  }
}

// Two cores run the two fixed halves of the batch rows, each through all steps: the element-wise
// math and the step-size sums are those of one core; only the matrix products may round
// differently (OpenBLAS picks its kernels by matrix size), which moves the cancelling sums of
// some step-size gradients by up to ~1e-4 relative. A wrong row split would move them by O(1).
TEST_P(QatSequenceCases, TwoCoresGiveTheValuesOfOne) {
  const Problem s = make_problem(GetParam().layers, GetParam().genome_seed);
  const Grads one = run(s, true, 1);
  const Grads two = run(s, true, 2);
  EXPECT_TRUE(torch::allclose(one.logits, two.logits, 1e-6, 1e-7));
  for (size_t i = 0; i < one.grads.size(); ++i) {
    EXPECT_LT(relative_difference(two.grads[i], one.grads[i]), 1e-3) << "parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Genomes, QatSequenceCases,
                         ::testing::Values(Case{1, 0}, Case{1, 1}, Case{1, 2}, Case{1, 3},
                                           Case{2, 4}));

// Two forward passes before one backward: the second must not write into buffers the first
// still holds for its backward pass. Gradients equal the sum of two separate steps.
TEST(QatSequence, OverlappingForwardPassesKeepTheirOwnBuffers) {
  const Problem s = make_problem(1, 1);
  const torch::Tensor x2 = s.x.flip(0), y2 = s.y.flip(0);
  QatGru qat(s.model, s.scales, s.genome);
  torch::cross_entropy_loss(qat->forward(s.x), s.y).backward();
  torch::cross_entropy_loss(qat->forward(x2), y2).backward();
  const Grads separate = grads_of(qat);
  QatGru overlapped(s.model, s.scales, s.genome);
  const torch::Tensor loss1 = torch::cross_entropy_loss(overlapped->forward(s.x), s.y);
  const torch::Tensor loss2 = torch::cross_entropy_loss(overlapped->forward(x2), y2);
  (loss1 + loss2).backward();
  const Grads together = grads_of(overlapped);
  for (size_t i = 0; i < separate.grads.size(); ++i) {
    EXPECT_TRUE(torch::allclose(separate.grads[i], together.grads[i], 1e-5, 1e-7))
        << "parameter " << i;
  }
}

}  // namespace
}  // namespace mpgru::train
