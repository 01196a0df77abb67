// Pair words: packing, reading back, and the exact-accumulation segment.
#include "export/pair_layout.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mpgru::codegen {
namespace {

void check_bits(int bits) {
  if (bits < 2 || bits > 8) {
    throw std::invalid_argument("pair layout: " + std::to_string(bits) + "-bit weights (2..8)");
  }
}

// Where (row, col)'s weight lives: the word index and the bit of its lane's lowest bit.
struct Place {
  size_t word;
  int bit;
};

Place place(int32_t rows, int32_t cols, int bits, int32_t row, int32_t col) {
  const int32_t per_row = pair_words_per_row(cols, bits);
  const int32_t block = row / kBlockRows;
  const int32_t block_rows = std::min(kBlockRows, rows - block * kBlockRows);
  const int32_t t = col / word_weights(bits);
  const int32_t within = col % word_weights(bits);
  const int32_t i = within / 2;
  const size_t word = static_cast<size_t>(block) * kBlockRows * per_row +
                      static_cast<size_t>(t) * block_rows + static_cast<size_t>(row % kBlockRows);
  return {word, (within % 2) * 16 + 16 - bits * (i + 1)};
}

}  // namespace

int lane_weights(int bits) {
  check_bits(bits);
  return 16 / bits;
}

int word_weights(int bits) {
  return 2 * lane_weights(bits);
}

int32_t pair_words_per_row(int32_t cols, int bits) {
  const int32_t p = word_weights(bits);
  return (cols + p - 1) / p;
}

std::vector<uint32_t> pair_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols,
                                int bits) {
  if (static_cast<int64_t>(weights.size()) != int64_t{rows} * cols) {
    throw std::invalid_argument("pair layout: " + std::to_string(weights.size()) + " weights for " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  }
  const int32_t limit = (1 << (bits - 1)) - 1;
  std::vector<uint32_t> words(static_cast<size_t>(rows) * pair_words_per_row(cols, bits), 0u);
  const uint32_t field_mask = (1u << bits) - 1u;
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t c = 0; c < cols; ++c) {
      const int32_t w = weights[static_cast<size_t>(r) * cols + c];
      if (w < -limit || w > limit) {
        throw std::invalid_argument("pair layout: weight " + std::to_string(w) + " at (" +
                                    std::to_string(r) + ", " + std::to_string(c) + ") outside " +
                                    std::to_string(bits) + "-bit narrow range");
      }
      const Place p = place(rows, cols, bits, r, c);
      words[p.word] |= (static_cast<uint32_t>(w) & field_mask) << p.bit;
    }
  }
  return words;
}

int32_t pair_weight(const std::vector<uint32_t>& words, int32_t rows, int32_t cols, int bits,
                    int32_t row, int32_t col) {
  const Place p = place(rows, cols, bits, row, col);
  const uint32_t field = (words.at(p.word) >> p.bit) & ((1u << bits) - 1u);
  const uint32_t sign = 1u << (bits - 1);
  return static_cast<int32_t>(field ^ sign) - static_cast<int32_t>(sign);
}

int32_t pair_segment_words(int bits, int32_t max_input) {
  check_bits(bits);
  const int64_t max_weight = (int64_t{1} << (bits - 1)) - 1;
  const int64_t per_word =
      int64_t{word_weights(bits)} * (max_weight << (16 - bits)) * std::max(max_input, 1);
  const int64_t words = ((int64_t{1} << 31) - 1) / per_word;
  return static_cast<int32_t>(std::clamp<int64_t>(words, 1, INT32_MAX));
}

}  // namespace mpgru::codegen
