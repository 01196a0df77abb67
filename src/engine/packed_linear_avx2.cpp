// The AVX2 product of PackedLinear (layout and exactness: packed_linear.hpp). Compiled for AVX2
// by a function attribute and only called when the CPU has it (engine/kernel_path.hpp).
#include <immintrin.h>

#include <cstring>

#include "engine/packed_linear.hpp"

namespace mpgru::engine::kernels {
namespace {

// Two int16 inputs x[j], x[j + 1] as one 32-bit lane, repeated in all eight lanes.
__attribute__((target("avx2"))) inline __m256i pair(const int16_t* x) {
  int32_t v;
  std::memcpy(&v, x, sizeof(v));
  return _mm256_set1_epi32(v);
}

}  // namespace

// 4 inputs (then the last 1-3 one at a time) x 16 output rows per inner loop: 8 int32 accumulators,
// two weight vectors per column pair (rows 0-7 and 8-15 of the block), vpmaddwd then vpaddd.
__attribute__((target("avx2"))) void multiply_avx2(const int16_t* weights, const int32_t* init,
                                                   int32_t rows, int32_t cols, const int16_t* x,
                                                   int32_t batch, int32_t* acc) {
  const auto pairs = static_cast<size_t>(cols) / 2, stride = static_cast<size_t>(cols);
  const auto out_stride = static_cast<size_t>(rows);
  for (size_t blk = 0; blk < static_cast<size_t>(rows) / 16; ++blk) {
    const int16_t* w = weights + blk * pairs * 32;
    const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(init + blk * 16));
    const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(init + blk * 16 + 8));
    size_t b = 0;
    for (; b + 4 <= static_cast<size_t>(batch); b += 4) {
      const int16_t* x0 = x + b * stride;
      const int16_t* x1 = x0 + stride;
      const int16_t* x2 = x1 + stride;
      const int16_t* x3 = x2 + stride;
      __m256i a00 = i0, a01 = i1, a10 = i0, a11 = i1, a20 = i0, a21 = i1, a30 = i0, a31 = i1;
      for (size_t g = 0; g < pairs; ++g) {
        const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 32));
        const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 32 + 16));
        const __m256i p0 = pair(x0 + 2 * g), p1 = pair(x1 + 2 * g);
        const __m256i p2 = pair(x2 + 2 * g), p3 = pair(x3 + 2 * g);
        a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(p0, w0));
        a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(p0, w1));
        a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(p1, w0));
        a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(p1, w1));
        a20 = _mm256_add_epi32(a20, _mm256_madd_epi16(p2, w0));
        a21 = _mm256_add_epi32(a21, _mm256_madd_epi16(p2, w1));
        a30 = _mm256_add_epi32(a30, _mm256_madd_epi16(p3, w0));
        a31 = _mm256_add_epi32(a31, _mm256_madd_epi16(p3, w1));
      }
      int32_t* out = acc + b * out_stride + blk * 16;
      const __m256i results[8] = {a00, a01, a10, a11, a20, a21, a30, a31};
      for (size_t i = 0; i < 4; ++i) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i * out_stride), results[2 * i]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i * out_stride + 8),
                            results[2 * i + 1]);
      }
    }
    for (; b < static_cast<size_t>(batch); ++b) {  // the last 1-3 inputs, one at a time
      const int16_t* x0 = x + b * stride;
      __m256i a00 = i0, a01 = i1;
      for (size_t g = 0; g < pairs; ++g) {
        const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 32));
        const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * 32 + 16));
        const __m256i p0 = pair(x0 + 2 * g);
        a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(p0, w0));
        a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(p0, w1));
      }
      int32_t* out = acc + b * out_stride + blk * 16;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), a00);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), a01);
    }
  }
}

}  // namespace mpgru::engine::kernels
