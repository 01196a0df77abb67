// Lane vectors: packing, reading back, and the exact segment.
#include "export/mve_layout.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mpgru::codegen {
namespace {

void check_bits(int bits) {
  if (bits < 2 || bits > 8) {
    throw std::invalid_argument("MVE layout: " + std::to_string(bits) + "-bit weights (2..8)");
  }
}

// Where (row, col)'s weight lives: the word and the bit of its field's lowest bit.
struct Place {
  size_t word;
  int bit;
};

Place place(int32_t cols, int bits, bool narrow_input, int32_t row, int32_t col) {
  const size_t row_start = static_cast<size_t>(row) * mve_words_per_row(cols, bits);
  const int32_t per_vector = mve_vector_columns(bits);
  const int32_t v = col / per_vector, within = col % per_vector;
  const size_t vector_start = row_start + 4 * static_cast<size_t>(v);
  if (mve_byte_lanes(bits, narrow_input)) {
    const int32_t i = within / 16, lane = within % 16;
    return {vector_start + lane / 4, 8 * (lane % 4) + 8 - bits * (i + 1)};
  }
  const int32_t i = within / 8, lane = within % 8;
  return {vector_start + lane / 2, 16 * (lane % 2) + 16 - bits * (i + 1)};
}

}  // namespace

bool mve_byte_lanes(int bits, bool narrow_input) {
  check_bits(bits);
  return bits == 8 || (narrow_input && (bits == 2 || bits == 4));
}

int32_t mve_vector_columns(int bits) {
  check_bits(bits);
  return bits == 8 ? 16 : 8 * (16 / bits);
}

int32_t mve_padded_cols(int32_t cols, int bits) {
  const int32_t v = mve_vector_columns(bits);
  return (cols + v - 1) / v * v;
}

int32_t mve_words_per_row(int32_t cols, int bits) {
  const int32_t vectors = mve_padded_cols(cols, bits) / mve_vector_columns(bits);
  return 4 * vectors;
}

std::vector<uint32_t> mve_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols,
                               int bits, bool narrow_input) {
  check_bits(bits);
  if (rows < 0 || cols < 0 || static_cast<int64_t>(weights.size()) != int64_t{rows} * cols) {
    throw std::invalid_argument("MVE layout: " + std::to_string(weights.size()) + " weights for " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  }
  const int32_t limit = (1 << (bits - 1)) - 1;
  const uint32_t field_mask = (1u << bits) - 1u;
  std::vector<uint32_t> words(static_cast<size_t>(rows) * mve_words_per_row(cols, bits), 0u);
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t c = 0; c < cols; ++c) {
      const int32_t w = weights[static_cast<size_t>(r) * cols + c];
      if (w < -limit || w > limit) {
        throw std::invalid_argument("MVE layout: weight " + std::to_string(w) + " at (" +
                                    std::to_string(r) + ", " + std::to_string(c) + ") outside " +
                                    std::to_string(bits) + "-bit narrow range");
      }
      const Place p = place(cols, bits, narrow_input, r, c);
      words[p.word] |= (static_cast<uint32_t>(w) & field_mask) << p.bit;
    }
  }
  return words;
}

int32_t mve_weight(const std::vector<uint32_t>& words, int32_t cols, int bits, bool narrow_input,
                   int32_t row, int32_t col) {
  const Place p = place(cols, bits, narrow_input, row, col);
  const uint32_t field = (words.at(p.word) >> p.bit) & ((1u << bits) - 1u);
  const uint32_t sign = 1u << (bits - 1);
  return static_cast<int32_t>(field ^ sign) - static_cast<int32_t>(sign);
}

int32_t mve_segment_vectors(int bits, bool narrow_input, int32_t max_input) {
  check_bits(bits);
  if (bits == 8) return 0;
  const int lane_bits = mve_byte_lanes(bits, narrow_input) ? 8 : 16;
  const int64_t max_weight = (int64_t{1} << (bits - 1)) - 1;
  const int64_t per_vector = int64_t{mve_vector_columns(bits)} *
                             (max_weight << (lane_bits - bits)) * std::max(max_input, 1);
  return static_cast<int32_t>(
      std::clamp<int64_t>(((int64_t{1} << 31) - 1) / per_vector, 1, INT32_MAX));
}

}  // namespace mpgru::codegen
