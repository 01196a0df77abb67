// The device layout of 2-bit (ternary) weights: "ternary words", two rows per multiply.
//
// A ternary weight is -1, 0 or +1. Rows go in pairs (A = row 2p, B = row 2p + 1); one 32-bit
// word holds 8 columns of both rows as 16 two-bit fields f0..f15 (f_i at bits [2i, 2i + 2)):
//   row A, column c (c = 0..7, k = c / 2): field 2k + 8 (c mod 2), as v = w + 1 (0, 1, 2);
//   row B, column c: field (7 + 2k + 8 (c mod 2)) mod 16, as w's 2-bit two's complement.
// Rotating the word right by 4k and masking with 0xC003C003 then leaves, in each 16-bit lane,
// A's column (2k or 2k + 1) as v in the low 2 bits and B's column as w in the top 2 bits:
//   lane = w_B 2^14 + v_A   (an int16),
// so one dual 16-bit multiply-accumulate (SMLAD) of the lane pair with the activation pair
// (x_{2k}, x_{2k+1}) adds x v_A + 2^14 x w_B for both columns: four products in one instruction.
// Over a segment of n columns the low part L = sum x v_A stays within [-8191, 8191] when
// 2 n max|x| <= 8191, so L is the accumulator's low 14 bits sign-extended and row B's sum is
// (acc - L) / 2^14, exactly; row A's sum is L - sum x (v = w + 1), the sum of the inputs over the
// same columns being one count per layer input, shared by every row.
//
//   W = ceil(cols / 8) words per row pair; padded columns hold v = 1 in A (w = 0) and 0 in B;
//   a missing row B (odd rows) holds 0. Pairs go in blocks of 4 (8 rows); a block's words are
//   interleaved: word t of pair 4q + u is at index 4 q W + t n_q + u, n_q the pairs of block q.
//
// Flash: exactly 2 bits per weight plus a row's padding to 8 columns (and a missing row B).
// The inputs beyond `cols` that a kernel reads must be in range (the exported model writes 0).
#pragma once

#include <cstdint>
#include <vector>

namespace mpgru::codegen {

constexpr int kTernaryBlockPairs = 4;
constexpr int kTernaryColumns = 8;  // columns per word

// Words per row pair of a `cols`-column linear.
int32_t ternary_words_per_pair(int32_t cols);

// The weights (rows x cols, row-major, each -1, 0 or +1) as ternary words.
std::vector<uint32_t> ternary_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols);

// Weight (row, col) read back from ternary words: the inverse of ternary_pack, for tests.
int32_t ternary_weight(const std::vector<uint32_t>& words, int32_t rows, int32_t cols, int32_t row,
                       int32_t col);

// Words per exact segment for inputs of magnitude at most `max_input` (1..255): the most words
// whose low part 2 * 8 * words * max_input stays within 8191 (at least 1).
int32_t ternary_segment_words(int32_t max_input);

}  // namespace mpgru::codegen
