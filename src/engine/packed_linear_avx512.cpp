// The AVX-512 VNNI product of PackedLinear (layout and exactness: packed_linear.hpp). Compiled for
// AVX-512 VNNI by a function attribute and only called when the CPU has it
// (engine/kernel_path.hpp).
// GCC 12 reports its own AVX-512 headers' undefined-source idiom as maybe-uninitialized
// (GCC PR 105593) once they are inlined here; the warning is about the headers, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

#include "engine/packed_linear.hpp"
#include "engine/requantize_avx512.hpp"

namespace mpgru::engine::kernels {
namespace {

#define MPGRU_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

// Where the finished accumulators go: nowhere (stored as int32 into acc) or requantized.
struct Epilogue {
  int32_t* acc = nullptr;  // acc[b][row], row stride out_stride (when blocks is null)
  size_t out_stride = 0;
  const BlockOutput* blocks = nullptr;  // per 16-row block: requantize and store int16
  int16_t* const* outputs = nullptr;    // per part
  const int32_t* m0 = nullptr;          // per row
  const int64_t* split = nullptr;       // split_multipliers, 32 per block
};

// Four u8 inputs x[j..j+3] as one 32-bit lane, repeated in all sixteen lanes.
MPGRU_VNNI inline __m512i quad(const uint8_t* x) {
  int32_t v;
  std::memcpy(&v, x, sizeof(v));
  return _mm512_set1_epi32(v);
}

// ROWS inputs x BLOCKS blocks of 16 rows: ROWS * BLOCKS accumulators, one vpdpbusd per input and
// block per group of four columns.
template <int ROWS, int BLOCKS>
MPGRU_VNNI void tile(const int8_t* w, size_t block_bytes, const int32_t* init, size_t groups,
                     const uint8_t* x, size_t stride, size_t b, size_t blk, const Epilogue& e) {
  __m512i a[ROWS][BLOCKS];
  for (int k = 0; k < BLOCKS; ++k) {
    const __m512i i = _mm512_loadu_si512(init + 16 * k);
    for (int r = 0; r < ROWS; ++r) a[r][k] = i;
  }
  for (size_t g = 0; g < groups; ++g) {
    __m512i wk[BLOCKS];
    for (int k = 0; k < BLOCKS; ++k) wk[k] = _mm512_load_si512(w + k * block_bytes + g * 64);
    for (int r = 0; r < ROWS; ++r) {
      const __m512i q = quad(x + static_cast<size_t>(r) * stride + 4 * g);
      for (int k = 0; k < BLOCKS; ++k) a[r][k] = _mm512_dpbusd_epi32(a[r][k], q, wk[k]);
    }
  }
  if (e.blocks == nullptr) {
    for (int r = 0; r < ROWS; ++r) {
      for (int k = 0; k < BLOCKS; ++k) {
        _mm512_storeu_si512(e.acc + (b + r) * e.out_stride + (blk + k) * 16, a[r][k]);
      }
    }
    return;
  }
  for (int k = 0; k < BLOCKS; ++k) {
    const BlockOutput& o = e.blocks[blk + k];
    const avx512::Multipliers16 m =
        avx512::load_multipliers(e.m0 + (blk + k) * 16, e.split + (blk + k) * 32);
    const __m512i lo = _mm512_set1_epi64(o.lo), hi = _mm512_set1_epi64(o.hi);
    const auto valid = static_cast<__mmask16>((1u << o.valid) - 1);
    for (int r = 0; r < ROWS; ++r) {
      _mm512_mask_cvtepi32_storeu_epi16(e.outputs[o.part] + o.first + (b + r) * o.stride, valid,
                                        avx512::apply16(a[r][k], m, lo, hi));
    }
  }
}

// BLOCKS blocks from block `blk` for every input: groups of 4 inputs, then the last 1-3 alone.
template <int BLOCKS>
MPGRU_VNNI void block_column(const int8_t* weights, size_t block_bytes, const int32_t* init,
                             size_t groups, const uint8_t* x, size_t stride, size_t inputs,
                             size_t blk, const Epilogue& e) {
  const int8_t* w = weights + blk * block_bytes;
  size_t b = 0;
  for (; b + 4 <= inputs; b += 4) {
    tile<4, BLOCKS>(w, block_bytes, init + blk * 16, groups, x + b * stride, stride, b, blk, e);
  }
  for (; b < inputs; ++b) {
    tile<1, BLOCKS>(w, block_bytes, init + blk * 16, groups, x + b * stride, stride, b, blk, e);
  }
}

// Every block pair (then the odd block).
MPGRU_VNNI void product(const int8_t* weights, const int32_t* init, int32_t rows, int32_t cols,
                        const uint8_t* x, int32_t batch, const Epilogue& e) {
  const auto groups = static_cast<size_t>(cols) / 4, stride = static_cast<size_t>(cols);
  const size_t block_bytes = groups * 64;
  const size_t blocks = static_cast<size_t>(rows) / 16;
  const auto inputs = static_cast<size_t>(batch);
  size_t blk = 0;
  for (; blk + 2 <= blocks; blk += 2) {
    block_column<2>(weights, block_bytes, init, groups, x, stride, inputs, blk, e);
  }
  if (blk < blocks) block_column<1>(weights, block_bytes, init, groups, x, stride, inputs, blk, e);
}

}  // namespace

MPGRU_VNNI void multiply_avx512_vnni(const int8_t* weights, const int32_t* init, int32_t rows,
                                     int32_t cols, const uint8_t* x, int32_t batch, int32_t* acc) {
  Epilogue e;
  e.acc = acc;
  e.out_stride = static_cast<size_t>(rows);
  product(weights, init, rows, cols, x, batch, e);
}

MPGRU_VNNI void multiply_requantize_avx512_vnni(const int8_t* weights, const int32_t* init,
                                                int32_t rows, int32_t cols, const uint8_t* x,
                                                int32_t batch, const int32_t* m0,
                                                const int64_t* split, const BlockOutput* blocks,
                                                int16_t* const* outputs) {
  Epilogue e;
  e.blocks = blocks;
  e.outputs = outputs;
  e.m0 = m0;
  e.split = split;
  product(weights, init, rows, cols, x, batch, e);
}

}  // namespace mpgru::engine::kernels
