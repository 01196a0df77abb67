// The batched linear layer on every kernel path this CPU has equals ref::linear, bit for bit,
// over full input ranges (signed and unsigned, 2..8 bits), odd shapes and padded batches.
#include "engine/packed_linear.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "engine/reference_kernels.hpp"
#include "fixtures/random_model.hpp"

namespace mpgru::engine {
namespace {

// Three random linears of `rows` x `cols` reading one input point (like a GRU's gates).
std::vector<QuantizedLinear> random_gates(testing::FixtureRng& rng, int32_t rows, int32_t cols,
                                          int bits, bool is_signed, int input_bits) {
  const QuantPoint input = testing::fixture_point(input_bits, is_signed, 0.05);
  std::vector<QuantizedLinear> gates;
  for (int g = 0; g < 3; ++g) {
    gates.push_back(testing::random_linear(rng, rows + g, cols, bits, input, 2 + (g + bits) % 7));
  }
  return gates;
}

TEST(PackedLinear, EveryPathEqualsTheReferenceOverFullInputRanges) {
  testing::FixtureRng rng(11);
  std::mt19937_64 values(5);
  for (KernelPath path : supported_paths()) {
    for (const auto& [rows, cols] : std::vector<std::pair<int32_t, int32_t>>{
             {1, 1}, {5, 3}, {16, 4}, {17, 29}, {64, 40}, {128, 128}, {33, 130}}) {
      for (int bits : {2, 5, 8}) {
        const bool is_signed = (rows + bits) % 2 == 0;
        const int input_bits = 2 + (rows + cols + bits) % 7;
        const std::vector<QuantizedLinear> gates =
            random_gates(rng, rows, cols, bits, is_signed, input_bits);
        const PackedLinear packed({&gates[0], &gates[1], &gates[2]}, path);
        const QuantPoint& in = gates[0].input;
        for (int32_t batch : {1, 3, 4, 12, 13}) {
          std::vector<int16_t> x(static_cast<size_t>(batch * cols));
          for (auto& v : x) {
            const uint64_t span = static_cast<uint64_t>(in.qmax() - in.qmin() + 1);
            v = static_cast<int16_t>(in.qmin() + static_cast<int32_t>(values() % span));
          }
          if (batch > 4) std::fill(x.begin(), x.begin() + cols, static_cast<int16_t>(in.qmax()));
          if (batch > 4)
            std::fill(x.begin() + cols, x.begin() + 2 * cols, static_cast<int16_t>(in.qmin()));
          AlignedBuffer<uint8_t> buffer(static_cast<size_t>(batch) * packed.input_bytes_per_row());
          AlignedBuffer<int32_t> acc(static_cast<size_t>(batch * packed.padded_rows()));
          packed.pack_input(x.data(), batch, cols, buffer.data());
          packed.multiply(buffer.data(), batch, acc.data());
          std::vector<int16_t> fused[3];
          for (size_t g = 0; g < 3; ++g)
            fused[g].resize(static_cast<size_t>(batch * gates[g].rows));
          int16_t* const outputs[3] = {fused[0].data(), fused[1].data(), fused[2].data()};
          AlignedBuffer<int32_t> scratch_acc(acc.size());
          packed.multiply_requantize(buffer.data(), batch, scratch_acc.data(), outputs);
          for (size_t g = 0; g < 3; ++g) {
            const QuantizedLinear& l = gates[g];
            std::vector<int16_t> y(static_cast<size_t>(batch * l.rows)),
                expect(static_cast<size_t>(l.rows));
            std::vector<int32_t> scratch(static_cast<size_t>(l.rows));
            packed.requantize(g, acc.data(), batch, y.data());
            EXPECT_EQ(fused[g], y) << to_string(path) << ": multiply_requantize, gate " << g;
            for (int32_t b = 0; b < batch; ++b) {
              ref::linear(l, x.data() + b * cols, expect.data(), scratch.data());
              const std::vector<int16_t> got(y.begin() + b * l.rows, y.begin() + (b + 1) * l.rows);
              ASSERT_EQ(got, expect)
                  << to_string(path) << " " << l.rows << "x" << cols << " " << bits
                  << "-bit weights, input " << input_bits << (is_signed ? " signed" : " unsigned")
                  << ", row " << b << " of " << batch << ", gate " << g;
            }
          }
        }
      }
    }
  }
}

// Found by fuzzing: a bias near the int32 limit with a signed input made the vnni path's start
// value bias - 128 * row_sum overflow int32 (undefined behaviour in C++). It is kept modulo 2^32,
// as the instruction's sums are, and the result stays exact.
TEST(PackedLinear, ABiasAtTheInt32LimitStaysExact) {
  for (KernelPath path : supported_paths()) {
    for (const int32_t bias :
         {std::numeric_limits<int32_t>::max() - 300, std::numeric_limits<int32_t>::min() + 300}) {
      QuantizedLinear l;
      l.rows = 1;
      l.cols = 2;
      l.weights = {-1, -1};  // row sum -2: the offset adds 256
      l.bias = {bias};
      l.weight_scales = {1.0};
      l.multipliers = {quant::decompose_multiplier(1e-9)};
      l.input = testing::fixture_point(8, true, 1.0);
      l.output = testing::fixture_point(8, true, 1.0);
      const PackedLinear packed({&l}, path);
      const std::vector<int16_t> x = {1, 1, 1, 1, 1, 1, 1, 1};  // 4 rows of 2
      AlignedBuffer<uint8_t> buffer(4 * packed.input_bytes_per_row());
      AlignedBuffer<int32_t> acc(static_cast<size_t>(4 * packed.padded_rows()));
      packed.pack_input(x.data(), 4, 2, buffer.data());
      packed.multiply(buffer.data(), 4, acc.data());
      EXPECT_EQ(acc[0], bias - 2) << to_string(path);
    }
  }
}

TEST(PackedLinear, UnsupportedShapesAreRefused) {
  testing::FixtureRng rng(3);
  const auto a = random_gates(rng, 4, 5, 8, true, 8);
  const auto b = random_gates(rng, 4, 6, 8, true, 8);
  EXPECT_THROW(PackedLinear({&a[0], &b[0]}, KernelPath::portable), std::invalid_argument);
  EXPECT_THROW(PackedLinear({}, KernelPath::portable), std::invalid_argument);
}

TEST(KernelPath, NamesRoundTripAndPortableIsAlwaysSupported) {
  for (KernelPath p : {KernelPath::portable, KernelPath::avx2, KernelPath::avx512_vnni}) {
    EXPECT_EQ(parse_kernel_path(to_string(p)), p);
  }
  EXPECT_THROW(parse_kernel_path("sse9"), std::invalid_argument);
  ASSERT_FALSE(supported_paths().empty());
  EXPECT_EQ(supported_paths().front(), KernelPath::portable);
  EXPECT_TRUE(is_supported(default_path()));
}

}  // namespace
}  // namespace mpgru::engine
