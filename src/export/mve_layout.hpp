// The Helium (MVE, Cortex-M55/M85) layout of a linear layer's weights: "lane vectors", written by
// the generator beside the scalar layouts (pair words, ternary words) and chosen by the
// preprocessor (MPGRU_MVE in mpgru_rt.h), read by the runtime's MVE kernels.
//
// Rows are stored one after another (a kernel walks 4 rows at once, each input vector loaded
// once for the 4), each padded with zero weights to a whole number of vectors:
//   byte lanes (8 bits; 2 and 4 bits when every input fits int8): a 128-bit vector of 16 int8
//     lanes holds k = 8 / b weights per lane in its top bits: lane l, field i (bits
//     [8 - b (i + 1), 8 - b i)) is column 16 i + l of the vector's 16 k columns, so that
//     (vector << b i) & M_b is 16 weights times 2^(8 - b) against 16 inputs narrowed to int8, in
//     one VMLADAVA.S8 (8 bits: the bytes themselves; with inputs that do not fit int8, a widening
//     load, VLDRB.S16, is 8 of them against 8 int16 inputs);
//   half lanes (3, 5, 6, 7 bits; 2 and 4 with wider inputs): a vector of 8 int16 lanes holds
//     k = 16 / b weights per lane in its top bits as pair words do: lane l, field i (bits
//     [16 - b (i + 1), 16 - b i)) is column 8 i + l of the vector's 8 k columns, and
//     (vector << b i) & M_b is 8 weights times 2^(16 - b) against 8 int16 inputs (VMLADAVA.S16).
//   The int32 sums wrap modulo 2^32 like every accumulation of the runtime; scaled sums are divided
//   exactly by the scale after at most `segment` vectors (mve_segment_vectors).
// Either way a vector holds 128 / b weights (2, 4, 8 bits) or 8 (16 / b) (3: 40, 5: 24, 6 and 7:
// 16), the same columns for both lane widths.
// Flash: 8, 4, 2 bits exactly the packed bits plus a row's padding (to 16, 32, 64 columns);
// 3 and 5 bits one bit in 16 more; 6 and 7 bits 4 and 2 bits in 16 more (to 40, 24, 16 columns).
#pragma once

#include <cstdint>
#include <vector>

namespace mpgru::codegen {

// Whether a linear of `bits`-bit weights is laid out in byte lanes (else half lanes).
bool mve_byte_lanes(int bits, bool narrow_input);

// Columns per 128-bit vector at `bits` (2..8): 16 (8 bits) or 8 * (16 / bits).
int32_t mve_vector_columns(int bits);

// Words (uint32) per row, and the columns a kernel reads (cols rounded up to whole vectors).
int32_t mve_words_per_row(int32_t cols, int bits);
int32_t mve_padded_cols(int32_t cols, int bits);

// The weights (rows x cols, row-major, each in the narrow signed range of `bits`) as MVE words;
// narrow_input: every input of the linear fits int8 (byte lanes at 2 and 4 bits).
std::vector<uint32_t> mve_pack(const std::vector<int8_t>& weights, int32_t rows, int32_t cols,
                               int bits, bool narrow_input);

// Weight (row, col) read back: the inverse of mve_pack, for tests.
int32_t mve_weight(const std::vector<uint32_t>& words, int32_t cols, int bits, bool narrow_input,
                   int32_t row, int32_t col);

// Vectors per exact segment below 8 bits: the most whose scaled products with inputs of magnitude
// at most `max_input` stay below 2^31 (at least 1); 8 bits need none (0).
int32_t mve_segment_vectors(int bits, bool narrow_input, int32_t max_input);

}  // namespace mpgru::codegen
