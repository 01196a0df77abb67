// Ternary words: packing, reading back, and the exact segment.
#include "export/ternary_layout.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mpgru::codegen {
namespace {

// Where (row, col)'s weight lives: the word index and its field's lowest bit.
struct Place {
  size_t word;
  int bit;
  bool offset;  // row A: stored as w + 1
};

Place place(int32_t rows, int32_t cols, int32_t row, int32_t col) {
  const int32_t per_pair = ternary_words_per_pair(cols);
  const int32_t pairs = (rows + 1) / 2;
  const int32_t pair = row / 2;
  const int32_t block = pair / kTernaryBlockPairs;
  const int32_t block_pairs = std::min(kTernaryBlockPairs, pairs - block * kTernaryBlockPairs);
  const int32_t t = col / kTernaryColumns;
  const int32_t c = col % kTernaryColumns;
  const int field_a = 2 * (c / 2) + 8 * (c % 2);
  const bool is_a = row % 2 == 0;
  const int field = is_a ? field_a : (field_a + 7) % 16;
  const size_t word = static_cast<size_t>(block) * kTernaryBlockPairs * per_pair +
                      static_cast<size_t>(t) * block_pairs +
                      static_cast<size_t>(pair % kTernaryBlockPairs);
  return {word, 2 * field, is_a};
}

}  // namespace

int32_t ternary_words_per_pair(int32_t cols) {
  return (cols + kTernaryColumns - 1) / kTernaryColumns;
}

std::vector<uint32_t> ternary_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols) {
  if (rows < 0 || cols < 0 || static_cast<int64_t>(weights.size()) != int64_t{rows} * cols) {
    throw std::invalid_argument("ternary layout: " + std::to_string(weights.size()) +
                                " weights for " + std::to_string(rows) + " x " +
                                std::to_string(cols));
  }
  const int32_t per_pair = ternary_words_per_pair(cols);
  const int32_t pairs = (rows + 1) / 2;
  std::vector<uint32_t> words(static_cast<size_t>(pairs) * per_pair, 0u);
  for (int32_t r = 0; r < 2 * pairs; r += 2) {  // row A's padding: v = 1
    for (int32_t c = cols; c < per_pair * kTernaryColumns; ++c) {
      const Place p = place(rows, cols, r, c);
      words[p.word] |= 1u << p.bit;
    }
  }
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t c = 0; c < cols; ++c) {
      const int32_t w = weights[static_cast<size_t>(r) * cols + c];
      if (w < -1 || w > 1) {
        throw std::invalid_argument("ternary layout: weight " + std::to_string(w) + " at (" +
                                    std::to_string(r) + ", " + std::to_string(c) +
                                    ") outside -1..1");
      }
      const Place p = place(rows, cols, r, c);
      const uint32_t field =
          p.offset ? static_cast<uint32_t>(w + 1) : static_cast<uint32_t>(w) & 3u;
      words[p.word] |= field << p.bit;
    }
  }
  return words;
}

int32_t ternary_weight(const std::vector<uint32_t>& words, int32_t rows, int32_t cols, int32_t row,
                       int32_t col) {
  const Place p = place(rows, cols, row, col);
  const uint32_t field = (words.at(p.word) >> p.bit) & 3u;
  if (p.offset) return static_cast<int32_t>(field) - 1;
  return static_cast<int32_t>(field ^ 2u) - 2;
}

int32_t ternary_segment_words(int32_t max_input) {
  if (max_input > 255) {
    throw std::invalid_argument("ternary layout: inputs up to " + std::to_string(max_input) +
                                " (at most 255)");
  }
  const int64_t per_word = int64_t{2} * kTernaryColumns * std::max(max_input, 1);
  return static_cast<int32_t>(std::max<int64_t>(8191 / per_word, 1));
}

}  // namespace mpgru::codegen
