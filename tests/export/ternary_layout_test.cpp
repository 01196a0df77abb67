// Ternary words (export/ternary_layout.hpp): every weight read back where the layout puts it,
// every rotated-and-masked word the lanes the kernel multiplies (row A's w + 1 low, row B's w
// high), the pairs' blocks and padding, and the exact segment against its bound.
#include "export/ternary_layout.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

namespace mpgru::codegen {
namespace {

std::vector<int8_t> random_ternary(int32_t rows, int32_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> w(static_cast<size_t>(rows) * cols);
  for (int8_t& v : w) v = static_cast<int8_t>(static_cast<int32_t>(rng() % 3) - 1);
  return w;
}

uint32_t ror(uint32_t v, int n) {
  return n == 0 ? v : (v >> n) | (v << (32 - n));
}

int32_t lane(uint32_t v, int which) {
  return static_cast<int16_t>(static_cast<uint16_t>(v >> (16 * which)));
}

TEST(TernaryLayout, WordsPerPair) {
  EXPECT_EQ(ternary_words_per_pair(1), 1);
  EXPECT_EQ(ternary_words_per_pair(8), 1);
  EXPECT_EQ(ternary_words_per_pair(28), 4);
  EXPECT_EQ(ternary_words_per_pair(128), 16);
}

// Odd shapes: odd rows (a missing row B), a partial last block, columns not a multiple of 8.
TEST(TernaryLayout, EveryLaneIsRowBOverRowAPlusOne) {
  const int32_t shapes[][2] = {{1, 1}, {2, 8}, {3, 7}, {8, 16}, {9, 29}, {13, 33}, {384, 128}};
  for (const auto& shape : shapes) {
    const int32_t rows = shape[0], cols = shape[1];
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(cols));
    const std::vector<int8_t> w = random_ternary(rows, cols, 31 * rows + cols);
    const std::vector<uint32_t> words = ternary_pack(w, rows, cols);
    const int32_t per_pair = ternary_words_per_pair(cols);
    const int32_t pairs = (rows + 1) / 2;
    ASSERT_EQ(words.size(), static_cast<size_t>(pairs) * per_pair);
    const auto weight = [&](int32_t r, int32_t c) {
      return r < rows && c < cols ? int32_t{w[static_cast<size_t>(r) * cols + c]} : 0;
    };
    for (int32_t p = 0; p < pairs; ++p) {
      const int32_t block = p / kTernaryBlockPairs;
      const int32_t n = std::min(kTernaryBlockPairs, pairs - block * kTernaryBlockPairs);
      for (int32_t t = 0; t < per_pair; ++t) {
        const uint32_t word = words[static_cast<size_t>(block) * kTernaryBlockPairs * per_pair +
                                    static_cast<size_t>(t) * n + p % kTernaryBlockPairs];
        for (int k = 0; k < 4; ++k) {
          const uint32_t lanes = ror(word, 4 * k) & 0xC003C003u;
          for (int which = 0; which < 2; ++which) {
            const int32_t c = 8 * t + 2 * k + which;
            ASSERT_EQ(lane(lanes, which), weight(2 * p + 1, c) * 16384 + weight(2 * p, c) + 1)
                << "pair " << p << " col " << c;
          }
        }
      }
    }
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t c = 0; c < cols; ++c) {
        ASSERT_EQ(ternary_weight(words, rows, cols, r, c), weight(r, c));
      }
    }
  }
}

TEST(TernaryLayout, RefusesNonTernaryWeightsAndWrongCounts) {
  EXPECT_THROW(ternary_pack({2}, 1, 1), std::invalid_argument);
  EXPECT_THROW(ternary_pack({-2}, 1, 1), std::invalid_argument);
  EXPECT_THROW(ternary_pack({1, 1}, 1, 1), std::invalid_argument);
  EXPECT_THROW(ternary_segment_words(256), std::invalid_argument);
}

// The low part of a segment, 2 * 8 * words * max|x|, stays within 8191; one more word would not.
TEST(TernaryLayout, SegmentIsTheLargestSafeWordCount) {
  for (int32_t max_input : {1, 3, 7, 63, 127, 255}) {
    const int64_t s = ternary_segment_words(max_input);
    EXPECT_LE(2 * 8 * s * max_input, 8191) << max_input;
    EXPECT_GT(2 * 8 * (s + 1) * max_input, 8191) << max_input;
  }
  EXPECT_EQ(ternary_segment_words(255), 2);
  EXPECT_EQ(ternary_segment_words(7), 73);
}

}  // namespace
}  // namespace mpgru::codegen
