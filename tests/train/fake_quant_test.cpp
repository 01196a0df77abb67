// Fake quantizers: engine rounding and ranges forward, straight-through and LSQ gradients back.
#include "train/fake_quant.hpp"

#include <gtest/gtest.h>

namespace mpgru::train {
namespace {

TEST(FakeQuant, RoundsHalfAwayFromZeroAndClampsToTheNarrowRange) {
  const torch::Tensor v = torch::tensor({0.25f, -0.25f, 0.74f, 10.0f, -10.0f, 0.0f});
  const torch::Tensor s = torch::tensor(0.5f);
  const torch::Tensor q = fake_quant(v, s, -7, 7, 1.0);  // 4-bit signed narrow
  const std::vector<float> want = {0.5f, -0.5f, 0.5f, 3.5f, -3.5f, 0.0f};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_FLOAT_EQ(q[static_cast<int64_t>(i)].item<float>(), want[i]);
  EXPECT_FLOAT_EQ(round_half_away(torch::tensor(-2.5f)).item<float>(), -3.0f);
  EXPECT_FLOAT_EQ(round_half_away(torch::tensor(2.5f)).item<float>(), 3.0f);
}

TEST(FakeQuant, StraightThroughInsideZeroOutside) {
  const torch::Tensor v = torch::tensor({0.3f, -1.2f, 5.0f, -5.0f}).requires_grad_(true);
  fake_quant(v, torch::tensor(0.5f), -3, 3, 1.0).sum().backward();
  const std::vector<float> want = {1, 1, 0, 0};  // |v/s| <= 3 inside
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_FLOAT_EQ(v.grad()[static_cast<int64_t>(i)].item<float>(), want[i]);
}

// LSQ: d/ds = (round(v/s) - v/s) inside, qmin or qmax outside, times the gradient scale.
TEST(FakeQuant, StepSizeGradientIsLsq) {
  const std::vector<float> values = {0.3f, -1.2f, 0.9f, 5.0f, -5.0f};
  for (double g : {1.0, 0.25}) {
    for (size_t i = 0; i < values.size(); ++i) {
      const torch::Tensor s = torch::tensor(0.5f).requires_grad_(true);
      fake_quant(torch::tensor(values[i]), s, -3, 3, g).backward();
      const double u = values[i] / 0.5;
      const double want = (u > 3    ? 3
                           : u < -3 ? -3
                                    : std::copysign(std::floor(std::fabs(u) + 0.5), u) - u) *
                          g;
      EXPECT_NEAR(s.grad().item<double>(), want, 1e-6) << values[i];
    }
  }
}

// The step-size gradient against central finite differences of LSQ's surrogate
// s * clamp(v/s) + s * c0, c0 = round(u0) - u0 held at the base point (what autograd sees).
TEST(FakeQuant, StepSizeGradientMatchesFiniteDifferencesOfTheSurrogate) {
  torch::manual_seed(1);
  const torch::Tensor v = torch::randn({64}).to(torch::kFloat64) * 2;
  const double s0 = 0.37, h = 1e-6;
  const torch::Tensor s = torch::tensor(s0, torch::kFloat64).requires_grad_(true);
  fake_quant(v, s, -7, 7, 1.0).sum().backward();
  const torch::Tensor u0 = torch::clamp(v / s0, -7, 7);
  const torch::Tensor c0 = round_half_away(u0) - u0;
  auto surrogate = [&](double sv) {
    return (sv * torch::clamp(v / sv, -7, 7) + sv * c0).sum().item<double>();
  };
  const double fd = (surrogate(s0 + h) - surrogate(s0 - h)) / (2 * h);
  EXPECT_NEAR(s.grad().item<double>(), fd, 1e-4);
}

// The single-pass autograd version: same values, same input and step-size gradients.
TEST(FakeQuant, FusedEqualsComposedForwardAndGradients) {
  torch::manual_seed(3);
  for (double g : {1.0, 0.05}) {
    const torch::Tensor v0 = torch::randn({7, 33}) * 3;
    const torch::Tensor v1 = v0.clone().requires_grad_(true), v2 = v0.clone().requires_grad_(true);
    const torch::Tensor s1 = torch::tensor(0.4f).requires_grad_(true);
    const torch::Tensor s2 = torch::tensor(0.4f).requires_grad_(true);
    const torch::Tensor w = torch::randn({7, 33});
    const torch::Tensor a = fake_quant(v1, s1, -7, 7, g), b = fake_quant_fused(v2, s2, -7, 7, g);
    EXPECT_TRUE(torch::allclose(a, b));
    (a * w).sum().backward();
    (b * w).sum().backward();
    EXPECT_TRUE(torch::allclose(v1.grad(), v2.grad()));
    EXPECT_NEAR(s1.grad().item<double>(), s2.grad().item<double>(),
                1e-4 * std::max(1.0, std::fabs(s1.grad().item<double>())));
  }
}

// A value on the edge of the range (v / s = 7 exactly, as a channel's largest weight under a
// max-abs step) is inside: value 7 s and gradient 1 at every gradient scale, in every version.
// (The usual step s g + (s - s g).detach() is an ulp below s = 0.392657548 at g = 0.3, which
// would put the value outside, with a zero gradient.)
TEST(FakeQuant, UsesTheStepExactlyAtAnyGradientScale) {
  const float s0 = 0.392657548f;
  const torch::Tensor v0 = torch::tensor({{7.0f * s0, -7.0f * s0}});
  const torch::Tensor s = torch::tensor({{s0}});
  using Quantizer =
      torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, double, double, double);
  for (Quantizer f : {Quantizer{fake_quant}, Quantizer{fake_quant_rows}}) {
    for (double g : {1.0, 0.3, 0.017}) {
      const torch::Tensor v = v0.clone().requires_grad_(true);
      const torch::Tensor q = f(v, s, -7, 7, g);
      q.sum().backward();
      EXPECT_TRUE(torch::equal(q, v0)) << g;
      EXPECT_TRUE(torch::equal(v.grad(), torch::ones_like(v0))) << g;
    }
  }
  const torch::Tensor v = v0.clone().requires_grad_(true);
  fake_quant_fused(v, s.squeeze(), -7, 7, 0.3).sum().backward();
  EXPECT_TRUE(torch::equal(v.grad(), torch::ones_like(v0)));
}

// The per-row version (per-channel weights): same values, same input and step-size gradients.
TEST(FakeQuant, RowsEqualsComposedForwardAndGradients) {
  torch::manual_seed(4);
  for (double g : {1.0, 0.05}) {
    const torch::Tensor v0 = torch::randn({5, 33}) * 3;
    const torch::Tensor s0 =
        v0.abs().amax(1, true) / 7;  // max-abs: each row has a value on the edge
    const torch::Tensor v1 = v0.clone().requires_grad_(true), v2 = v0.clone().requires_grad_(true);
    const torch::Tensor s1 = s0.clone().requires_grad_(true), s2 = s0.clone().requires_grad_(true);
    const torch::Tensor w = torch::randn({5, 33});
    const torch::Tensor a = fake_quant(v1, s1, -7, 7, g), b = fake_quant_rows(v2, s2, -7, 7, g);
    EXPECT_TRUE(torch::allclose(a, b));
    (a * w).sum().backward();
    (b * w).sum().backward();
    EXPECT_TRUE(torch::allclose(v1.grad(), v2.grad()));
    EXPECT_TRUE(torch::allclose(s1.grad(), s2.grad(), 1e-4, 1e-6));
  }
}

// Biases on the accumulator grid: rounded half away from zero, gradient straight through.
TEST(FakeQuant, RoundToGridRoundsAndPassesTheGradient) {
  const torch::Tensor b = torch::tensor({0.25f, -0.25f, 0.75f, -1.3f}).requires_grad_(true);
  const torch::Tensor step = torch::tensor({0.5f, 0.5f, 0.5f, 1.0f});
  const torch::Tensor q = round_to_grid(b, step);
  const std::vector<float> want = {0.5f, -0.5f, 1.0f, -1.0f};  // ties 0.5, -0.5, 1.5 away from 0
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_FLOAT_EQ(q[static_cast<int64_t>(i)].item<float>(), want[i]);
  (q * torch::tensor({1.0f, 2.0f, 3.0f, 4.0f})).sum().backward();
  EXPECT_TRUE(torch::equal(b.grad(), torch::tensor({1.0f, 2.0f, 3.0f, 4.0f})));
}

TEST(FakeQuant, UnitGridRoundsTheSigmoidTieLikeTheEngine) {
  const torch::Tensor v = torch::tensor({0.26f, -0.9f, 2.0f});
  EXPECT_TRUE(torch::allclose(fake_quant_unit(v, -7, 7),
                              fake_quant(v, torch::tensor(1.0f / 7), -7, 7, 1.0)));
  // sigma(0) = 0.5 on the 3-bit unsigned grid: 3.5 steps, a tie, rounds away from zero to 4/7.
  EXPECT_FLOAT_EQ(fake_quant_unit(torch::sigmoid(torch::tensor(0.0f)), 0, 7).item<float>(),
                  4.0f / 7);
  EXPECT_NEAR(lsq_grad_scale(100, 7), 1.0 / std::sqrt(700.0), 1e-12);
}

// Oscillation dampening at 2 bits (grid -1, 0, 1), built by hand: per value v / s, its clamp,
// its grid point, the term (clamp - point)^2 s^2 and the gradient 2 (clamp - point) s inside the
// range, 0 outside; none to the step size. Per channel: row 0 at s = 0.2, row 1 at s = 0.5.
TEST(FakeQuant, DampeningPullsValuesInsideTheRangeToTheirGridPoints) {
  const torch::Tensor v =
      torch::tensor({0.26f, -0.9f, 0.1f, 0.05f, 0.2f, -0.4f}).view({2, 3}).requires_grad_(true);
  const torch::Tensor s = torch::tensor({0.2f, 0.5f}).view({2, 1}).requires_grad_(true);
  const torch::Tensor loss = dampening_loss(v, s, -1, 1);
  // v / s: 1.3 (clamped to 1, point 1), -4.5 (-1, -1), 0.5 (a tie: point 1, 0.5 below it),
  //        0.1 (point 0), 0.4 (point 0), -0.8 (point -1, 0.2 above it)
  const std::vector<double> term = {0, 0, 0.5 * 0.2, 0.1 * 0.5, 0.4 * 0.5, 0.2 * 0.5};
  double want = 0;
  for (double t : term) want += t * t;
  loss.backward();
  EXPECT_NEAR(loss.item<double>(), want, 1e-6);
  const std::vector<double> grad = {0, 0, -2 * 0.1, 2 * 0.05, 2 * 0.2, 2 * 0.1};
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_NEAR(v.grad().view({-1})[i].item<double>(), grad[static_cast<size_t>(i)], 1e-6) << i;
  EXPECT_FALSE(s.grad().defined());
}

}  // namespace
}  // namespace mpgru::train
