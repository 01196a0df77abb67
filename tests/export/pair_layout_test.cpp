// Pair words (export/pair_layout.hpp): every weight read back where the layout puts it, every
// shifted-and-masked pair the int16 lanes the kernels multiply, the row blocks' interleaving,
// the padding, and the exact-accumulation segment against its bound.
#include "export/pair_layout.hpp"

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

int32_t lane(uint32_t pair, int which) {
  return static_cast<int16_t>(static_cast<uint16_t>(pair >> (16 * which)));
}

TEST(PairLayout, WeightsPerLaneAndWord) {
  const int lanes[] = {8, 5, 4, 3, 2, 2, 2};
  for (int bits = 2; bits <= 8; ++bits) {
    EXPECT_EQ(lane_weights(bits), lanes[bits - 2]) << bits;
    EXPECT_EQ(word_weights(bits), 2 * lanes[bits - 2]) << bits;
  }
  EXPECT_THROW(lane_weights(1), std::invalid_argument);
  EXPECT_THROW(lane_weights(9), std::invalid_argument);
  EXPECT_EQ(pair_words_per_row(28, 8), 7);
  EXPECT_EQ(pair_words_per_row(28, 2), 2);
  EXPECT_EQ(pair_words_per_row(128, 3), 13);  // 10 per word
}

// Odd shapes: rows not a multiple of the block, columns not of the word, single rows and columns.
TEST(PairLayout, EveryWeightReadsBackAndEveryPairIsItsLanes) {
  const int32_t shapes[][2] = {{1, 1}, {3, 7}, {4, 16}, {5, 29}, {10, 128}, {13, 33}};
  for (int bits = 2; bits <= 8; ++bits) {
    const int k = lane_weights(bits);
    const uint32_t mask = ((((1u << bits) - 1u) << (16 - bits)) * 0x00010001u);
    for (const auto& shape : shapes) {
      const int32_t rows = shape[0], cols = shape[1];
      SCOPED_TRACE(std::to_string(bits) + " bits, " + std::to_string(rows) + " x " +
                   std::to_string(cols));
      const std::vector<int8_t> w = random_weights(rows, cols, bits, 7 * bits + rows);
      const std::vector<uint32_t> words = pair_pack(w, rows, cols, bits);
      const int32_t per_row = pair_words_per_row(cols, bits);
      ASSERT_EQ(words.size(), static_cast<size_t>(rows) * per_row);
      for (int32_t r = 0; r < rows; ++r) {
        const int32_t block = r / kBlockRows;
        const int32_t n = std::min(kBlockRows, rows - block * kBlockRows);
        for (int32_t t = 0; t < per_row; ++t) {
          const uint32_t word =
              words[static_cast<size_t>(block) * kBlockRows * per_row + t * n + r % kBlockRows];
          for (int i = 0; i < k; ++i) {
            const uint32_t pair = (word << (bits * i)) & mask;
            for (int which = 0; which < 2; ++which) {
              const int32_t col = t * 2 * k + 2 * i + which;
              const int32_t expected = col < cols ? w[static_cast<size_t>(r) * cols + col] : 0;
              ASSERT_EQ(lane(pair, which), expected * (1 << (16 - bits)))
                  << "row " << r << " col " << col;
            }
          }
        }
        for (int32_t c = 0; c < cols; ++c) {
          ASSERT_EQ(pair_weight(words, rows, cols, bits, r, c),
                    w[static_cast<size_t>(r) * cols + c]);
        }
      }
    }
  }
}

TEST(PairLayout, RefusesWeightsOutsideTheNarrowRangeAndWrongCounts) {
  EXPECT_THROW(pair_pack({-2}, 1, 1, 2), std::invalid_argument);  // 2 bits: -1..1
  EXPECT_THROW(pair_pack({8}, 1, 1, 4), std::invalid_argument);
  EXPECT_THROW(pair_pack({1, 1}, 1, 1, 4), std::invalid_argument);
}

// The segment is the most words whose worst-case scaled sum stays below 2^31, never zero.
TEST(PairLayout, SegmentIsTheLargestSafeWordCount) {
  for (int bits = 2; bits <= 8; ++bits) {
    for (int32_t max_input : {1, 7, 127, 255}) {
      const int64_t per_word = int64_t{word_weights(bits)} *
                               (((int64_t{1} << (bits - 1)) - 1) << (16 - bits)) * max_input;
      const int64_t s = pair_segment_words(bits, max_input);
      EXPECT_LE(s * per_word, (int64_t{1} << 31) - 1) << bits << " " << max_input;
      EXPECT_GT((s + 1) * per_word, (int64_t{1} << 31) - 1) << bits << " " << max_input;
    }
  }
  EXPECT_EQ(pair_segment_words(8, 255), 64);  // 64 words of 4 products 127 * 2^8 * 255 < 2^31
}

}  // namespace
}  // namespace mpgru::codegen
