// Kernel work per linear and target.
#include "device/kernel_geometry.hpp"

#include <algorithm>
#include <cmath>

#include "export/mve_layout.hpp"
#include "export/pair_layout.hpp"
#include "export/ternary_layout.hpp"

namespace mpgru::device {
namespace {

constexpr int32_t kBlockRows = 4;

int32_t ceil_div(int32_t a, int32_t b) {
  return (a + b - 1) / b;
}

double log2_qmax(int bits, bool is_signed) {
  return std::log2(is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1);
}

KernelWork m4_work(const LinearShape& l) {
  KernelWork k;
  if (l.weight_bits == 2) {  // ternary words: blocks of 4 row pairs
    const int32_t words = codegen::ternary_words_per_pair(l.cols);
    const int32_t segments = ceil_div(words, codegen::ternary_segment_words(l.max_input()));
    const int32_t pairs = ceil_div(l.rows, 2);
    const int32_t blocks = l.rows / (2 * codegen::kTernaryBlockPairs);
    const int32_t rest = pairs - codegen::kTernaryBlockPairs * blocks;
    k.ternary = true;
    k.block_steps = static_cast<double>(blocks) * words;
    k.block_fields = 4 * k.block_steps;
    k.block_calls = static_cast<double>(blocks) * segments;
    k.rest_steps = static_cast<double>(rest) * words;
    k.rest_fields = 4 * k.rest_steps;
    k.rest_calls = static_cast<double>(rest) * segments;
    k.input_pass = codegen::kTernaryColumns * words;
    k.weight_bytes = int64_t{4} * pairs * words;
    return k;
  }
  const int32_t words = codegen::pair_words_per_row(l.cols, l.weight_bits);
  const int32_t segments =
      ceil_div(words, codegen::pair_segment_words(l.weight_bits, l.max_input()));
  const int32_t blocks = l.rows / kBlockRows, rest = l.rows % kBlockRows;
  const int32_t fields = codegen::lane_weights(l.weight_bits);  // activation pairs per word
  k.block_steps = static_cast<double>(blocks) * words;
  k.block_fields = fields * k.block_steps;
  k.block_calls = static_cast<double>(blocks) * segments;
  k.rest_steps = static_cast<double>(rest) * words;
  k.rest_fields = fields * k.rest_steps;
  k.rest_calls = static_cast<double>(rest) * segments;
  k.weight_bytes = int64_t{4} * l.rows * words;
  return k;
}

KernelWork m55_work(const LinearShape& l) {
  KernelWork k;
  const int32_t vectors = codegen::mve_words_per_row(l.cols, l.weight_bits) / 4;
  const bool narrow = l.max_input() <= 127;  // every input fits int8
  const int32_t blocks = l.rows / kBlockRows, rest = l.rows % kBlockRows;
  k.weight_bytes = int64_t{16} * l.rows * vectors;
  if (l.weight_bits == 8) {
    const int32_t bytes = 16 * vectors;
    const int32_t steps = narrow ? vectors : 2 * vectors;
    const int32_t calls = narrow ? ceil_div(bytes, 256) : 1;  // narrowed 256 inputs at a time
    k.plain = true;
    k.block_steps = k.block_fields = static_cast<double>(blocks) * steps;
    k.block_calls = calls;
    k.rest_steps = k.rest_fields = static_cast<double>(rest) * steps;
    k.rest_calls = static_cast<double>(rest) * calls;
    k.input_pass = narrow ? bytes : 0;
    return k;
  }
  const int32_t segments =
      ceil_div(vectors, codegen::mve_segment_vectors(l.weight_bits, narrow, l.max_input()));
  // Fields per vector: 8 / b of 16 weights (byte lanes), or 16 / b of 8.
  const int32_t fields =
      codegen::mve_byte_lanes(l.weight_bits, narrow) ? 8 / l.weight_bits : 16 / l.weight_bits;
  k.block_steps = static_cast<double>(blocks) * vectors;
  k.block_fields = fields * k.block_steps;
  k.block_calls = static_cast<double>(blocks) * segments;
  if (codegen::mve_byte_lanes(l.weight_bits, narrow))
    k.input_pass = codegen::mve_vector_columns(l.weight_bits) * vectors;
  k.rest_steps = static_cast<double>(rest) * vectors;
  k.rest_fields = fields * k.rest_steps;
  k.rest_calls = static_cast<double>(rest) * segments;
  return k;
}

}  // namespace

KernelWork kernel_work(Target target, const LinearShape& l) {
  return target == Target::cortex_m55 ? m55_work(l) : m4_work(l);
}

int32_t padded_cols(Target target, const LinearShape& l) {
  if (target == Target::cortex_m55) return codegen::mve_padded_cols(l.cols, l.weight_bits);
  if (l.weight_bits == 2) {
    return codegen::ternary_words_per_pair(l.cols) * codegen::kTernaryColumns;
  }
  return codegen::pair_words_per_row(l.cols, l.weight_bits) * codegen::word_weights(l.weight_bits);
}

bool likely_small_multipliers(const LinearShape& l) {
  return log2_qmax(l.output_bits, true) - log2_qmax(l.weight_bits, true) -
             log2_qmax(l.input_bits, l.input_signed) <=
         0.5;
}

}  // namespace mpgru::device
