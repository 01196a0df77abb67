// Optimized kernels must be bit-exact with the reference kernels: same logits, every sequence.
#include "engine/optimized_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "fixtures/random_float_model.hpp"
#include "fixtures/random_model.hpp"

namespace mpgru::engine {
namespace {

void expect_identical_logits(const IntegerModel& m, const data::Sequences& data) {
  GruEngine ref(m, Kernels::reference), fast(m, Kernels::optimized);
  std::vector<int32_t> a(static_cast<size_t>(m.classes)), b(a.size());
  for (int64_t i = 0; i < data.count(); ++i) {
    ref.run(data.sequence(i), static_cast<int32_t>(data.steps), a.data());
    fast.run(data.sequence(i), static_cast<int32_t>(data.steps), b.data());
    ASSERT_EQ(a, b) << "sequence " << i << ", genome " << m.genome.to_compact();
  }
}

TEST(OptimizedKernels, LinearIsBitExactWithReference) {
  std::mt19937_64 rng(3);
  for (int bits = 2; bits <= 8; ++bits) {
    const core::Genome g = core::Genome::homogeneous({1, false}, bits);
    const IntegerModel m = testing::random_model(g, 37, 24, 5, 100 + static_cast<uint64_t>(bits));
    const opt::PreparedModel p = opt::prepare(m);
    const QuantizedLinear& l = m.layers[0].lin_i[kGateZ];
    std::vector<int16_t> x(static_cast<size_t>(l.cols)), y_ref(static_cast<size_t>(l.rows)),
        y_opt(y_ref.size());
    std::vector<int32_t> acc(y_ref.size());
    for (int trial = 0; trial < 200; ++trial) {
      for (auto& v : x) {
        v = static_cast<int16_t>(
            l.input.qmin() +
            static_cast<int32_t>(rng() %
                                 static_cast<uint64_t>(l.input.qmax() - l.input.qmin() + 1)));
      }
      ref::linear(l, x.data(), y_ref.data(), acc.data());
      opt::linear(p.layers[0].lin_i[kGateZ], x.data(), y_opt.data(), acc.data());
      ASSERT_EQ(y_ref, y_opt) << bits << "-bit, trial " << trial;
    }
  }
}

TEST(OptimizedKernels, EngineIsBitExactOnRandomModelsAndGenomes) {
  std::mt19937_64 rng(9);
  const data::Sequences data = testing::random_sequences(30, 12, 9, 5);
  for (int trial = 0; trial < 40; ++trial) {
    core::Genome g = core::Genome::homogeneous({1 + trial % 2, false}, 8);
    for (size_t i = 0; i < g.size(); ++i) g.set_bits(i, 2 + static_cast<int>(rng() % 7));
    expect_identical_logits(testing::random_model(g, 9, 16 + trial % 3, 5, rng()), data);
  }
}

TEST(OptimizedKernels, EngineIsBitExactOnAConvertedModel) {
  const auto f = testing::random_float_model(28, 64, 10);
  const auto data = testing::random_sequences(100, 28, 28, 10);
  quant::CalibrationOptions o;
  o.sequences = 50;
  const auto c = quant::calibrate(f, data, o);
  for (int bits : {8, 4, 2}) {
    expect_identical_logits(convert(f, c, core::Genome::homogeneous({1, false}, bits), 28), data);
  }
}

}  // namespace
}  // namespace mpgru::engine

namespace mpgru::engine {
namespace {

TEST(OptimizedKernels, QuantizePassEqualsReferenceQuantize) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<float> wide(-300.0f, 300.0f);
  for (int bits = 2; bits <= 8; ++bits) {
    for (bool is_signed : {true, false}) {
      for (double scale : {0.25, 0.1, 1.0 / 3.0, 0.0078125, 2.5}) {
        const QuantPoint p{bits, is_signed, scale};
        std::vector<float> x;
        for (int k = -300; k <= 300; ++k) {  // every tie k + 0.5 and its neighbours
          const auto tie = static_cast<float>((k + 0.5) * scale);
          x.insert(x.end(), {tie, std::nextafter(tie, 1e9f), std::nextafter(tie, -1e9f)});
        }
        for (int i = 0; i < 2000; ++i) x.push_back(wide(rng) * static_cast<float>(scale));
        x.insert(x.end(), {0.0f, -0.0f, 1e30f, -1e30f, 3e38f, -3e38f});
        std::vector<int16_t> got(x.size());
        opt::quantize_pass(p, x.data(), got.data(), x.size());
        for (size_t i = 0; i < x.size(); ++i) {
          ASSERT_EQ(got[i], ref::quantize(p, x[i]))
              << "x " << x[i] << ", scale " << scale << ", " << bits << (is_signed ? "s" : "u");
        }
      }
    }
  }
}

}  // namespace
}  // namespace mpgru::engine
