// The C runtime's primitives (src/export/runtime) against the engine's: bit-exact on edge values
// and on random ones.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/reference_kernels.hpp"
#include "export/pair_layout.hpp"
#include "export/ternary_layout.hpp"
#include "quant/bitpack.hpp"
#include "quant/fixed_point.hpp"

extern "C" {
#include "mpgru_input.h"
#include "mpgru_rt.h"
}

namespace mpgru {
namespace {

mpgru_multiplier to_c(const quant::Multiplier& m) {
  return {m.m0, static_cast<int8_t>(m.shift)};
}

TEST(Runtime, ApplyMultiplierMatchesTheEngine) {
  std::mt19937_64 rng(1);
  const int32_t edges[] = {0,
                           1,
                           -1,
                           2,
                           -2,
                           3,
                           255,
                           -255,
                           65535,
                           std::numeric_limits<int32_t>::max(),
                           std::numeric_limits<int32_t>::min(),
                           1 << 30,
                           -(1 << 30)};
  for (int shift = -31; shift <= 30; ++shift) {
    for (int32_t m0 : {0, 1 << 30, (1 << 30) + 1, std::numeric_limits<int32_t>::max()}) {
      const quant::Multiplier m{m0, m0 == 0 ? 0 : shift};
      for (int32_t x : edges) {
        ASSERT_EQ(mpgru_apply_multiplier(x, to_c(m)), quant::apply_multiplier(x, m))
            << x << " * " << m0 << " 2^" << shift;
      }
      for (int i = 0; i < 200; ++i) {
        const auto x = static_cast<int32_t>(rng());
        ASSERT_EQ(mpgru_apply_multiplier(x, to_c(m)), quant::apply_multiplier(x, m));
      }
    }
  }
}

TEST(Runtime, SaturatingLeftShiftMatchesTheEngine) {
  for (int e = 0; e <= 31; ++e) {
    for (int32_t x : {0, 1, -1, 255, -255, std::numeric_limits<int32_t>::max(),
                      std::numeric_limits<int32_t>::min()}) {
      EXPECT_EQ(mpgru_saturating_left_shift(x, e), quant::saturating_left_shift(x, e));
    }
  }
}

TEST(Runtime, PackedValuesAndDotProductsMatchTheStream) {
  std::mt19937_64 rng(2);
  for (int bits = 2; bits <= 8; ++bits) {
    const int32_t hi = quant::signed_max(bits);
    std::vector<int8_t> w(301);
    std::vector<int16_t> x(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = static_cast<int8_t>(static_cast<int32_t>(rng() % (2 * hi + 1)) - hi);
      x[i] = static_cast<int16_t>(static_cast<int32_t>(rng() % 511) - 255);
    }
    const std::vector<uint8_t> packed = quant::pack_signed(w, bits);
    for (uint32_t i = 0; i < w.size(); ++i)
      ASSERT_EQ(mpgru_packed_at(packed.data(), i, bits), w[i]);
    // Every start and length: rows of a packed matrix begin anywhere inside a byte.
    for (uint32_t first = 0; first < 20; ++first) {
      for (int32_t n :
           {0, 1, 4, 7, 33, 36, 280}) {  // 4, 36, 280: the byte-aligned 2- and 4-bit paths
        int32_t expected = 17;
        for (int32_t j = 0; j < n; ++j) expected += w[first + j] * x[static_cast<size_t>(j)];
        ASSERT_EQ(
            mpgru_dot(packed.data(), first * static_cast<uint32_t>(bits), bits, x.data(), n, 17),
            expected)
            << bits << " bits, first " << first << ", n " << n;
      }
    }
  }
}

TEST(Runtime, QuantizeMatchesTheEngine) {
  std::mt19937_64 rng(3);
  for (const auto& [bits, is_signed] :
       {std::pair{8, false}, {8, true}, {4, true}, {2, true}, {5, false}}) {
    engine::QuantPoint p;
    p.bits = bits;
    p.is_signed = is_signed;
    p.scale = 1.0 / 255.0;
    std::vector<double> xs = {0.0,
                              -0.0,
                              0.5 * p.scale,
                              -0.5 * p.scale,
                              1.5 * p.scale,
                              -2.5 * p.scale,
                              1e300,
                              -1e300,
                              0.49999999999999994 * p.scale,
                              3.0};
    for (int i = 0; i < 2000; ++i)
      xs.push_back((static_cast<double>(rng() >> 11) * 0x1p-53 - 0.5) * 4);
    for (double x : xs) {
      ASSERT_EQ(mpgru_quantize(x, p.scale, p.qmin(), p.qmax()), engine::ref::quantize(p, x)) << x;
    }
    EXPECT_EQ(mpgru_quantize(std::nan(""), p.scale, p.qmin(), p.qmax()), 0);
  }
}

TEST(Runtime, OperatorsMatchTheReferenceKernels) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 50; ++trial) {
    const auto real = [&] { return 0.001 + static_cast<double>(rng() % 1000) / 1000.0; };
    engine::QuantizedAdd add;
    add.a = {8, true, real()};
    add.b = {8, true, real()};
    add.output = {static_cast<int>(2 + rng() % 7), true, real()};
    add.params = quant::make_add_params(add.a.scale, add.b.scale, add.output.scale);
    const mpgru_add c_add = {to_c(add.params.a), to_c(add.params.b), to_c(add.params.out),
                             static_cast<int16_t>(add.output.qmin()),
                             static_cast<int16_t>(add.output.qmax())};
    engine::QuantizedMul mul;
    mul.a = {8, false, real()};
    mul.b = {8, true, real()};
    mul.output = {static_cast<int>(2 + rng() % 7), true, real()};
    mul.multiplier = quant::decompose_multiplier(mul.a.scale * mul.b.scale / mul.output.scale);
    const mpgru_mul c_mul = {to_c(mul.multiplier), static_cast<int16_t>(mul.output.qmin()),
                             static_cast<int16_t>(mul.output.qmax())};
    for (int32_t a = -127; a <= 127; a += 3) {
      for (int32_t b = -127; b <= 127; b += 5) {
        ASSERT_EQ(mpgru_add_apply(&c_add, a, b), engine::ref::add(add, a, b));
        ASSERT_EQ(mpgru_mul_apply(&c_mul, a + 127, b), engine::ref::mul(mul, a + 127, b));
      }
    }
  }
}

}  // namespace
}  // namespace mpgru

namespace mpgru {
namespace {

// Every width's kernel (mpgru_rows_B) on its layout (pair words; ternary words at 2 bits) against
// the plain dot product, for odd shapes, the largest inputs and every segment boundary.
TEST(Runtime, RowKernelsMatchThePlainDotProduct) {
  const int32_t shapes[][2] = {{1, 1}, {3, 7}, {4, 16}, {7, 29}, {9, 33}, {13, 128}, {20, 60}};
  std::mt19937_64 rng(12);
  for (int bits = 2; bits <= 8; ++bits) {
    for (const auto& shape : shapes) {
      for (int32_t max_input : {1, 7, 127, 255}) {
        const int32_t rows = shape[0], cols = shape[1];
        SCOPED_TRACE(std::to_string(bits) + " bits, " + std::to_string(rows) + " x " +
                     std::to_string(cols) + ", |x| <= " + std::to_string(max_input));
        const int32_t limit = (1 << (bits - 1)) - 1;
        std::vector<int8_t> w(static_cast<size_t>(rows) * cols);
        for (int8_t& v : w)
          v = static_cast<int8_t>(static_cast<int32_t>(rng() % (2 * limit + 1)) - limit);
        std::vector<int16_t> x(static_cast<size_t>(MPGRU_PADDED_COLS(cols, bits)), 0);
        for (int32_t j = 0; j < cols; ++j) {
          // Mostly the extremes, where a segment's bound is tight.
          const int32_t r = static_cast<int32_t>(rng() % 4);
          x[j] = static_cast<int16_t>(r == 0   ? max_input
                                      : r == 1 ? -max_input
                                               : static_cast<int32_t>(rng() % (2 * max_input + 1)) -
                                                     max_input);
        }
        std::vector<int32_t> bias(static_cast<size_t>(rows));
        for (int32_t& b : bias) b = static_cast<int32_t>(rng() % 2000001) - 1000000;
        const bool ternary = bits == 2;
        const std::vector<uint32_t> words = ternary ? codegen::ternary_pack(w, rows, cols)
                                                    : codegen::pair_pack(w, rows, cols, bits);
        const mpgru_rows_kernel kernels[] = {mpgru_rows_2, mpgru_rows_3, mpgru_rows_4, mpgru_rows_5,
                                             mpgru_rows_6, mpgru_rows_7, mpgru_rows_8};
        mpgru_linear l{};
        l.kernel = kernels[bits - 2];
        l.words = words.data();
        l.bias = bias.data();
        l.rows = rows;
        l.words_per_row = ternary ? codegen::ternary_words_per_pair(cols)
                                  : codegen::pair_words_per_row(cols, bits);
        l.segment = ternary ? codegen::ternary_segment_words(max_input)
                            : codegen::pair_segment_words(bits, max_input);
        l.bits = static_cast<int8_t>(bits);
        std::vector<int32_t> acc(static_cast<size_t>(rows), 0);
        l.kernel(&l, x.data(), acc.data());
        for (int32_t r = 0; r < rows; ++r) {
          int64_t expected = bias[static_cast<size_t>(r)];
          for (int32_t j = 0; j < cols; ++j)
            expected += w[static_cast<size_t>(r) * cols + j] * x[j];
          ASSERT_EQ(acc[static_cast<size_t>(r)], expected) << "row " << r;
        }
      }
    }
  }
}

}  // namespace
}  // namespace mpgru
