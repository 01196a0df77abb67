// Lane vectors (export/mve_layout.hpp): every weight read back where the layout puts it, every
// field of a vector the 8 scaled weights of its columns (as the Helium kernels shift and mask it),
// the rows' padding, and the exact segment against its bound.
#include "export/mve_layout.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace mpgru::codegen {
namespace {

std::vector<int8_t> random_weights(int32_t rows, int32_t cols, int bits, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int32_t limit = (1 << (bits - 1)) - 1;
  std::vector<int8_t> w(static_cast<size_t>(rows) * cols);
  for (int8_t& v : w)
    v = static_cast<int8_t>(static_cast<int32_t>(rng() % (2 * limit + 1)) - limit);
  return w;
}

TEST(MveLayout, VectorColumnsAndPadding) {
  const int32_t columns[] = {64, 40, 32, 24, 16, 16, 16};
  for (int bits = 2; bits <= 8; ++bits) EXPECT_EQ(mve_vector_columns(bits), columns[bits - 2]);
  EXPECT_EQ(mve_padded_cols(28, 8), 32);
  EXPECT_EQ(mve_padded_cols(28, 2), 64);
  EXPECT_EQ(mve_words_per_row(128, 8), 32);  // 128 bytes
  EXPECT_EQ(mve_words_per_row(128, 4), 16);  // 4 vectors
  EXPECT_EQ(mve_words_per_row(30, 3), 4);    // one vector of 40 columns
  EXPECT_THROW(mve_vector_columns(9), std::invalid_argument);
}

// Each field i of vector v, (lanes << b i) & M_b, is the weights of its columns times the lane's
// scale: byte lanes (8 bits; 2 and 4 with narrow inputs) 16 columns per field, 2^(8 - b); half
// lanes 8 columns per field, 2^(16 - b). Odd shapes included.
TEST(MveLayout, EveryFieldIsItsColumnsScaled) {
  const int32_t shapes[][2] = {{1, 1}, {3, 7}, {5, 29}, {13, 33}, {4, 128}, {2, 300}};
  for (int bits = 2; bits <= 8; ++bits) {
    for (const bool narrow : {false, true}) {
      for (const auto& shape : shapes) {
        const int32_t rows = shape[0], cols = shape[1];
        SCOPED_TRACE(std::to_string(bits) + " bits, " + std::to_string(rows) + " x " +
                     std::to_string(cols) + (narrow ? ", narrow inputs" : ""));
        const std::vector<int8_t> w = random_weights(rows, cols, bits, 5 * bits + cols);
        const std::vector<uint32_t> words = mve_pack(w, rows, cols, bits, narrow);
        const int32_t per_row = mve_words_per_row(cols, bits);
        ASSERT_EQ(words.size(), static_cast<size_t>(rows) * per_row);
        const bool bytes = mve_byte_lanes(bits, narrow);
        EXPECT_EQ(bytes, bits == 8 || (narrow && (bits == 2 || bits == 4)));
        const int lane_bits = bytes ? 8 : 16;
        const int32_t lanes = 128 / lane_bits;
        const uint32_t mask = ((1u << bits) - 1u) << (lane_bits - bits);
        const auto weight = [&](int32_t r, int32_t c) {
          return c < cols ? int32_t{w[static_cast<size_t>(r) * cols + c]} : 0;
        };
        for (int32_t r = 0; r < rows; ++r) {
          const uint32_t* row = words.data() + static_cast<size_t>(r) * per_row;
          for (int32_t c = 0; c < mve_padded_cols(cols, bits); ++c) {
            const int32_t v = c / mve_vector_columns(bits), within = c % mve_vector_columns(bits);
            const int32_t i = within / lanes, lane = within % lanes;
            const int32_t per_word = 32 / lane_bits;
            const uint32_t lane_value =
                (row[4 * v + lane / per_word] >> (lane_bits * (lane % per_word))) &
                ((1u << lane_bits) - 1u);
            const uint32_t field = ((lane_value << (bits * i)) & mask);
            const int32_t as_signed = static_cast<int32_t>(field) -
                                      static_cast<int32_t>((field >> (lane_bits - 1)) << lane_bits);
            ASSERT_EQ(as_signed, weight(r, c) * (1 << (lane_bits - bits)))
                << "row " << r << " col " << c;
          }
          for (int32_t c = 0; c < cols; ++c) {
            ASSERT_EQ(mve_weight(words, cols, bits, narrow, r, c), weight(r, c));
          }
        }
      }
    }
  }
}

TEST(MveLayout, RefusesWeightsOutsideTheNarrowRangeAndWrongCounts) {
  EXPECT_THROW(mve_pack({-2}, 1, 1, 2, true), std::invalid_argument);
  EXPECT_THROW(mve_pack({-128}, 1, 1, 8, false), std::invalid_argument);
  EXPECT_THROW(mve_pack({1, 1}, 1, 1, 4, false), std::invalid_argument);
}

// Below 8 bits the segment is the most vectors whose worst-case scaled sum stays below 2^31.
TEST(MveLayout, SegmentIsTheLargestSafeVectorCount) {
  for (int bits = 2; bits <= 7; ++bits) {
    for (const bool narrow : {false, true}) {
      const int lane_bits = mve_byte_lanes(bits, narrow) ? 8 : 16;
      for (int32_t max_input : {1, 7, 127, 255}) {
        const int64_t per_vector = int64_t{mve_vector_columns(bits)} *
                                   (((int64_t{1} << (bits - 1)) - 1) << (lane_bits - bits)) *
                                   max_input;
        const int64_t s = mve_segment_vectors(bits, narrow, max_input);
        EXPECT_LE(s * per_vector, (int64_t{1} << 31) - 1) << bits << " " << max_input;
        EXPECT_GT((s + 1) * per_vector, (int64_t{1} << 31) - 1) << bits << " " << max_input;
      }
    }
  }
  EXPECT_EQ(mve_segment_vectors(8, false, 255), 0);  // unscaled bytes: the int32 sum wraps exactly
}

}  // namespace
}  // namespace mpgru::codegen
