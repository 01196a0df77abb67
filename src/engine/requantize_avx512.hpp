// AVX-512 requantization of 16 int32 lanes, bit-exact with quant::apply_multiplier (one rounding
// of the exact 64-bit product, ties away from zero), shared by the element-wise operators and the
// product's epilogue. Inline functions compiled for AVX-512 F and BW by their attribute: include
// only from files whose callers run on such CPUs.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "quant/fixed_point.hpp"

namespace mpgru::engine::kernels::avx512 {

#define MPGRU_AVX512 __attribute__((target("avx512f,avx512bw")))

// apply_multiplier, 8 lanes of 64 bits: the int32 in the low half of every lane times m0 (low
// halves), rounded once at k = 31 - shift bits with ties away from zero:
// (p + 2^(k-1) - [p < 0]) >> k, arithmetic (for p < 0 that is -((|p| + 2^(k-1)) >> k)); |p| <
// 2^62 and k <= 62, so nothing overflows. `half` = 2^(k-1) per lane.
MPGRU_AVX512 inline __m512i apply8(__m512i x, __m512i m0, __m512i k, __m512i half) {
  const __m512i p = _mm512_mul_epi32(x, m0);          // exact signed 32 x 32 -> 64
  const __m512i negative = _mm512_srai_epi64(p, 63);  // -1 or 0
  return _mm512_srav_epi64(_mm512_add_epi64(_mm512_add_epi64(p, half), negative), k);
}

// The multiplier of 16 lanes, split as apply8 reads it: even lanes (0, 2, ..., 14) and odd lanes.
struct Multipliers16 {
  __m512i m0;             // 16 x int32 (the odd lanes' are shifted down where used)
  __m512i k_even, k_odd;  // 8 x int64 each
  __m512i half_even, half_odd;
};

MPGRU_AVX512 inline Multipliers16 uniform(const quant::Multiplier& m) {
  const int64_t k = 31 - m.shift;
  const __m512i kv = _mm512_set1_epi64(k), half = _mm512_set1_epi64(int64_t{1} << (k - 1));
  return {_mm512_set1_epi32(m.m0), kv, kv, half, half};
}

// The 16 results of x (16 x int32) in lane order, each clamped to [lo, hi] (64-bit lanes).
MPGRU_AVX512 inline __m512i apply16(__m512i x, const Multipliers16& m, __m512i lo, __m512i hi) {
  __m512i even = apply8(x, m.m0, m.k_even, m.half_even);
  __m512i odd = apply8(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m.m0, 32), m.k_odd, m.half_odd);
  even = _mm512_min_epi64(_mm512_max_epi64(even, lo), hi);
  odd = _mm512_min_epi64(_mm512_max_epi64(odd, lo), hi);
  const __m512i order = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  return _mm512_permutex2var_epi32(even, order, odd);
}

// The same without the clamp, for results known to fit int32 (an add's operand contributions).
MPGRU_AVX512 inline __m512i apply16_unclamped(__m512i x, const Multipliers16& m) {
  const __m512i even = apply8(x, m.m0, m.k_even, m.half_even);
  const __m512i odd =
      apply8(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m.m0, 32), m.k_odd, m.half_odd);
  const __m512i order = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  return _mm512_permutex2var_epi32(even, order, odd);
}

// The multipliers of 16 channels from m0 (16 int32) and their split_multipliers group (32 int64).
MPGRU_AVX512 inline Multipliers16 load_multipliers(const int32_t* m0, const int64_t* split) {
  return {_mm512_loadu_si512(m0), _mm512_loadu_si512(split), _mm512_loadu_si512(split + 8),
          _mm512_loadu_si512(split + 16), _mm512_loadu_si512(split + 24)};
}

}  // namespace mpgru::engine::kernels::avx512
