// The AVX-512 VNNI product of PackedLinear (layout and exactness: packed_linear.hpp). Compiled for
// AVX-512 VNNI by a function attribute and only called when the CPU has it
// (engine/kernel_path.hpp).
#include <immintrin.h>

#include <cstring>

#include "engine/packed_linear.hpp"

namespace mpgru::engine::kernels {
namespace {

#define MPGRU_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

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
                     const uint8_t* x, size_t stride, int32_t* out, size_t out_stride) {
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
  for (int r = 0; r < ROWS; ++r) {
    for (int k = 0; k < BLOCKS; ++k) {
      _mm512_storeu_si512(out + static_cast<size_t>(r) * out_stride + 16 * k, a[r][k]);
    }
  }
}

}  // namespace

MPGRU_VNNI void multiply_avx512_vnni(const int8_t* weights, const int32_t* init, int32_t rows,
                                     int32_t cols, const uint8_t* x, int32_t batch, int32_t* acc) {
  const auto groups = static_cast<size_t>(cols) / 4, stride = static_cast<size_t>(cols);
  const size_t block_bytes = groups * 64, out_stride = static_cast<size_t>(rows);
  const size_t blocks = static_cast<size_t>(rows) / 16;
  const auto rows_in = static_cast<size_t>(batch);
  size_t blk = 0;
  for (; blk + 2 <= blocks; blk += 2) {
    size_t b = 0;
    for (; b + 4 <= rows_in; b += 4) {
      tile<4, 2>(weights + blk * block_bytes, block_bytes, init + blk * 16, groups, x + b * stride,
                 stride, acc + b * out_stride + blk * 16, out_stride);
    }
    for (; b < rows_in; ++b) {
      tile<1, 2>(weights + blk * block_bytes, block_bytes, init + blk * 16, groups, x + b * stride,
                 stride, acc + b * out_stride + blk * 16, out_stride);
    }
  }
  for (; blk < blocks; ++blk) {
    size_t b = 0;
    for (; b + 4 <= rows_in; b += 4) {
      tile<4, 1>(weights + blk * block_bytes, block_bytes, init + blk * 16, groups, x + b * stride,
                 stride, acc + b * out_stride + blk * 16, out_stride);
    }
    for (; b < rows_in; ++b) {
      tile<1, 1>(weights + blk * block_bytes, block_bytes, init + blk * 16, groups, x + b * stride,
                 stride, acc + b * out_stride + blk * 16, out_stride);
    }
  }
}

}  // namespace mpgru::engine::kernels
