// The work a target's matrix-vector kernel does for one linear, counted in its own units: the
// weight "steps" of its inner loop (a 4-row block's word or vector), the calls of its segment
// loop (one per exact segment), the rows outside whole blocks, the passes over the inputs besides
// the products, the requantization's rows; and the bytes of the weights in that target's layout.
//
//   cortex-m4: the DSP kernels of src/export/runtime/mpgru_rt.c on the scalar layouts: pair words
//     (src/export/pair_layout.hpp: 4-row blocks, words of 2 (16 / b) columns, exact segments of
//     pair_segment_words) for 3..8 bits; ternary words (src/export/ternary_layout.hpp: blocks of 4
//     row pairs, 8 columns per word, segments of ternary_segment_words, one pass summing the
//     inputs) for 2 bits.
//   cortex-m55: the Helium kernels on lane vectors (src/export/mve_layout.hpp: rows one after
//     another, 4 at a time; 8 bits as bytes, 16 columns per step when every input fits a byte
//     (one pass narrowing the inputs) else 8; below 8 bits 128-bit vectors of 8 (16 / b)
//     columns, 8 / b fields of 16 weights in byte lanes (2 and 4 bits with inputs that fit a
//     byte) or 16 / b fields of 8, exact segments).
// Whether a linear's multipliers are all below 0.25 (the runtime's fast requantization) depends on
// the calibrated scales; it is estimated from the bits (likely_small_multipliers).
#pragma once

#include <cstdint>

#include "device/model_shape.hpp"
#include "device/target.hpp"

namespace mpgru::device {

// A step is one load of each block row's weights (a word, a vector); its fields the products it
// feeds (pair words: 16 / b activation pairs; ternary words: 4; lane vectors: 16 / b vectors of
// 8, or 1 at 8 bits), each unpacked and multiplied for every row of the block.
struct KernelWork {
  bool ternary = false;     // ternary words (their steps are counted apart)
  bool plain = false;       // fields that need no unpacking (Helium's bytes at 8 bits)
  double block_steps = 0;   // inner-loop steps of whole 4-row blocks (4-pair blocks: ternary)
  double block_fields = 0;  // the fields of those steps
  double block_calls = 0;   // segment calls of whole blocks
  double rest_steps = 0;    // steps of the rows (pairs) outside whole blocks, row by row
  double rest_fields = 0;
  double rest_calls = 0;  // their segments
  double input_pass = 0;  // inputs read once more (ternary input sums, Helium's narrowing)
  int64_t weight_bytes = 0;
};

KernelWork kernel_work(Target target, const LinearShape& linear);

// Inputs the kernel reads (cols padded to whole words or vectors) on `target`.
int32_t padded_cols(Target target, const LinearShape& linear);

// Whether every row's multiplier S_w S_x / S_y is likely below 0.25: log2 of the grids' largest
// values, qmax_y / (qmax_w qmax_x), at most 0.5. The calibrated ranges decide it; this threshold
// separated the stand-in models' linears of scripts/device_costs.sh (a few misjudged at the
// boundary).
bool likely_small_multipliers(const LinearShape& linear);

}  // namespace mpgru::device
