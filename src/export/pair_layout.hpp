// The device layout of a linear layer's weights: "pair words", written by the generator and read
// by the runtime's matrix-vector kernels (src/export/runtime/mpgru_rt.c), plain C and DSP alike,
// for 3- to 8-bit weights (2-bit weights use ternary words, ternary_layout.hpp; Helium its lane
// vectors, mve_layout.hpp). The functions below accept 2 bits too.
//
// A b-bit weight w (b in 2..8, signed narrow range) is stored as its b-bit two's complement in the
// top bits of a 16-bit lane, so that a lane read as int16 is w * 2^(16 - b): a Cortex-M4's SMLAD
// multiplies two such lanes by two int16 activations in one instruction, with no unpacking beyond
// one AND of a shifted word, and the exact sum is shifted back by 16 - b at the end.
//
//   k = 16 / b weights per lane (b 2: 8, 3: 5, 4: 4, 5: 3, 6: 2, 7: 2, 8: 2), P = 2k per word.
//   A row's columns are padded with zero weights to W * P, W = ceil(cols / P) words per row.
//   Word t of a row holds columns j = t P .. t P + P - 1: column j + 2i (i < k) in the low lane at
//   bits [16 - b (i + 1), 16 - b i), column j + 2i + 1 at the same bits of the high lane (+ 16);
//   the lanes' remaining low bits (16 mod b) are zero. Hence
//     pair_i = (word << (b i)) & M_b,   M_b = ((2^b - 1) << (16 - b)) * 0x00010001,
//   is the int16 pair (w_{j+2i} 2^(16-b), w_{j+2i+1} 2^(16-b)) that meets the activation pair
//   (x_{j+2i}, x_{j+2i+1}), two consecutive int16 of the input.
//   Rows are taken in blocks of 4 (the last block holds the rest, n = rows mod 4 if not 0), and
//   a block's words are interleaved: word t of row 4q + u is at index 4 q W + t n_q + u, n_q the
//   rows of block q. A kernel working on a block loads each activation pair once for its rows.
//
// Flash: rows * W words; at 2, 4 and 8 bits exactly the packed bits plus a row's padding to P
// columns; at 3 and 5 bits one bit in 16 more; at 6 and 7 bits 4 and 2 bits in 16 more.
//
// Accumulating in int32 is exact while |sum| < 2^31: `segment_words` is the number of words whose
// scaled products cannot reach 2^31 in magnitude for any input in range; a kernel shifts its
// partial sums back (exactly: they are multiples of 2^(16 - b)) after at most that many words.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model.hpp"

namespace mpgru::codegen {

constexpr int kBlockRows = 4;

// Weights per 16-bit lane and per 32-bit word at `bits` (2..8).
int lane_weights(int bits);
int word_weights(int bits);

// Words per row of a `cols`-column linear at `bits`.
int32_t pair_words_per_row(int32_t cols, int bits);

// The weights (rows x cols, row-major, each in the narrow signed range of `bits`) as pair words.
std::vector<uint32_t> pair_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols,
                                int bits);

// Weight (row, col) read back from pair words: the inverse of pair_pack, for tests.
int32_t pair_weight(const std::vector<uint32_t>& words, int32_t rows, int32_t cols, int bits,
                    int32_t row, int32_t col);

// Words per exact segment: the most words whose products with inputs of magnitude at most
// `max_input` stay below 2^31 in magnitude, scaled by 2^(16 - bits) (at least 1).
int32_t pair_segment_words(int bits, int32_t max_input);

}  // namespace mpgru::codegen
