// The batched engine's element-wise operators with AVX-512 (F, BW) intrinsics, for the
// avx512_vnni path: 16 entries per instruction, the tables by in-register permutes, requantization
// as two 8-lane 64-bit products. The same integers as the passes of optimized_kernels.hpp and the
// reference kernels (tested through BatchEngine on every path): apply_multiplier's single rounding
// of the exact 64-bit product, half away from zero, then the output clamp. Tails shorter than 16
// run the portable passes. Call only when the CPU has AVX-512 F and BW.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/optimized_kernels.hpp"

namespace mpgru::engine::kernels {

// opt::add_pass.
void add_avx512(const opt::AddTable& t, const int16_t* qa, const int16_t* qb, int16_t* out,
                size_t n);
// opt::mul_pass.
void mul_avx512(const QuantizedMul& m, const int16_t* a, const int16_t* b, int16_t* out, size_t n,
                int32_t a_offset, bool negate_a);
// ref::lut; `table256` is l.table padded with zeros to 256 entries (any 2..8-bit input range).
void lut_avx512(const Lut& l, const int16_t* table256, const int16_t* in, int16_t* out, size_t n);
// y[b][c] = clamp(apply(acc[b][c], {m0[c], shift[c]}), lo, hi) for c < rows, b < batch, as
// PackedLinear::requantize; `split` holds split_multipliers(shift, rows).
void requantize_avx512(const int32_t* acc, size_t acc_stride, const int32_t* m0,
                       const int32_t* shift, const int64_t* split, size_t rows, int32_t lo,
                       int32_t hi, size_t batch, int16_t* y);

// The per-channel rounding of every whole group of 16 channels as the AVX-512 requantization
// reads it: per group, k = 31 - shift of the even then the odd channels (8 each), then 2^(k-1)
// likewise; 32 int64 per group, rows / 16 groups.
void split_multipliers(const int32_t* shift, size_t rows, int64_t* split);

}  // namespace mpgru::engine::kernels
