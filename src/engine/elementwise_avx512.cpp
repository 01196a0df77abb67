// AVX-512 element-wise operators (see the header for the contract).
#include "engine/elementwise_avx512.hpp"

// GCC 12 reports its own AVX-512 headers' undefined-source idiom as maybe-uninitialized
// (GCC PR 105593) once they are inlined here; the warning is about the headers, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <limits>

namespace mpgru::engine::kernels {
namespace {

#define MPGRU_AVX512 __attribute__((target("avx512f,avx512bw")))

// apply_multiplier of the int32 in the low half of every 64-bit lane by the int32 m0 in the low
// half of the same lane, k = count (30 - shift, 64-bit lanes), clamped to [lo, hi].
MPGRU_AVX512 inline __m512i apply8(__m512i x, __m512i m0, __m512i count, __m512i lo, __m512i hi) {
  const __m512i product = _mm512_mul_epi32(x, m0);  // exact signed 32 x 32 -> 64
  const __m512i magnitude = _mm512_abs_epi64(product);
  const __m512i one = _mm512_set1_epi64(1);
  const __m512i rounded =
      _mm512_srli_epi64(_mm512_add_epi64(_mm512_srlv_epi64(magnitude, count), one), 1);
  const __mmask8 negative = _mm512_cmplt_epi64_mask(product, _mm512_setzero_si512());
  const __m512i y = _mm512_mask_sub_epi64(rounded, negative, _mm512_setzero_si512(), rounded);
  return _mm512_min_epi64(_mm512_max_epi64(y, lo), hi);
}

// 16 int32 lanes: the even ones in the low halves, the odd ones shifted down, recombined.
// `m0` and `count` hold one int32 per lane.
MPGRU_AVX512 inline __m512i apply16(__m512i x, __m512i m0, __m512i count, __m512i lo, __m512i hi) {
  const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i even = apply8(x, m0, _mm512_and_si512(count, low), lo, hi);
  const __m512i odd = apply8(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m0, 32),
                             _mm512_srli_epi64(count, 32), lo, hi);
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

MPGRU_AVX512 inline __m512i load16(const int16_t* p) {
  return _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

MPGRU_AVX512 inline void store16(int16_t* p, __m512i v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(v));
}

}  // namespace

MPGRU_AVX512 void add_avx512(const opt::AddTable& t, const int16_t* qa, const int16_t* qb,
                             int16_t* out, size_t n) {
  // Each operand's contribution apply(q << 20, M) computed, not looked up: on AMD Zen 4 two
  // gathers cost more than the two extra products. |q| <= 255, so q << 20 needs no saturation.
  const QuantizedAdd& s = *t.source;
  const int32_t wide = std::numeric_limits<int32_t>::max();
  const __m512i wide_lo = _mm512_set1_epi64(-wide - 1), wide_hi = _mm512_set1_epi64(wide);
  const __m512i ma = _mm512_set1_epi32(s.params.a.m0),
                ka = _mm512_set1_epi32(30 - s.params.a.shift);
  const __m512i mb = _mm512_set1_epi32(s.params.b.m0),
                kb = _mm512_set1_epi32(30 - s.params.b.shift);
  const __m512i m0 = _mm512_set1_epi32(s.params.out.m0);
  const __m512i count = _mm512_set1_epi32(30 - s.params.out.shift);
  const __m512i lo = _mm512_set1_epi64(s.output.qmin()), hi = _mm512_set1_epi64(s.output.qmax());
  size_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512i a =
        apply16(_mm512_slli_epi32(load16(qa + c), quant::kAddLeftShift), ma, ka, wide_lo, wide_hi);
    const __m512i b =
        apply16(_mm512_slli_epi32(load16(qb + c), quant::kAddLeftShift), mb, kb, wide_lo, wide_hi);
    store16(out + c, apply16(_mm512_add_epi32(a, b), m0, count, lo, hi));
  }
  if (c < n) {
    int32_t sum[16];
    opt::add_pass(t, qa + c, qb + c, out + c, sum, n - c);
  }
}

MPGRU_AVX512 void mul_avx512(const QuantizedMul& m, const int16_t* a, const int16_t* b,
                             int16_t* out, size_t n, int32_t a_offset, bool negate_a) {
  const __m512i m0 = _mm512_set1_epi32(m.multiplier.m0);
  const __m512i count = _mm512_set1_epi32(30 - m.multiplier.shift);
  const __m512i lo = _mm512_set1_epi64(m.output.qmin()), hi = _mm512_set1_epi64(m.output.qmax());
  const __m512i offset = _mm512_set1_epi32(a_offset);
  size_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512i va = load16(a + c);
    const __m512i qa = negate_a ? _mm512_sub_epi32(offset, va) : _mm512_add_epi32(offset, va);
    store16(out + c, apply16(_mm512_mullo_epi32(qa, load16(b + c)), m0, count, lo, hi));
  }
  if (c < n) opt::mul_pass(m, a + c, b + c, out + c, n - c, a_offset, negate_a);
}

MPGRU_AVX512 void lut_avx512(const Lut& l, const int16_t* table256, const int16_t* in, int16_t* out,
                             size_t n) {
  // 32 lookups per step with in-register permutes of the table (8 registers of 32 entries; an
  // index's bits 0-5 pick within a pair of registers, bits 6 and 7 pick the pair): no gathers.
  __m512i t[8];
  for (int k = 0; k < 8; ++k) t[k] = _mm512_loadu_si512(table256 + 32 * k);
  const __m512i qmin = _mm512_set1_epi16(static_cast<int16_t>(l.input.qmin()));
  const __m512i bit6 = _mm512_set1_epi16(64), bit7 = _mm512_set1_epi16(128);
  size_t c = 0;
  for (; c + 32 <= n; c += 32) {
    const __m512i index = _mm512_sub_epi16(_mm512_loadu_si512(in + c), qmin);  // 0..255
    const __m512i r0 = _mm512_permutex2var_epi16(t[0], index, t[1]);
    const __m512i r1 = _mm512_permutex2var_epi16(t[2], index, t[3]);
    const __m512i r2 = _mm512_permutex2var_epi16(t[4], index, t[5]);
    const __m512i r3 = _mm512_permutex2var_epi16(t[6], index, t[7]);
    const __mmask32 m6 = _mm512_test_epi16_mask(index, bit6);
    const __mmask32 m7 = _mm512_test_epi16_mask(index, bit7);
    const __m512i low = _mm512_mask_blend_epi16(m6, r0, r1);
    const __m512i high = _mm512_mask_blend_epi16(m6, r2, r3);
    _mm512_storeu_si512(out + c, _mm512_mask_blend_epi16(m7, low, high));
  }
  if (c < n) opt::lut_pass(l, in + c, out + c, n - c);
}

MPGRU_AVX512 void requantize_avx512(const int32_t* acc, size_t acc_stride, const int32_t* m0,
                                    const int32_t* count, size_t rows, int32_t lo, int32_t hi,
                                    size_t batch, int16_t* y) {
  const __m512i lo64 = _mm512_set1_epi64(lo), hi64 = _mm512_set1_epi64(hi);
  for (size_t b = 0; b < batch; ++b) {
    const int32_t* a = acc + b * acc_stride;
    int16_t* out = y + b * rows;
    size_t c = 0;
    for (; c + 16 <= rows; c += 16) {
      const __m512i x = _mm512_loadu_si512(a + c);
      store16(out + c,
              apply16(x, _mm512_loadu_si512(m0 + c), _mm512_loadu_si512(count + c), lo64, hi64));
    }
    for (; c < rows; ++c) {
      const int32_t v = quant::apply_multiplier(a[c], quant::Multiplier{m0[c], 30 - count[c]});
      out[c] = static_cast<int16_t>(std::min(std::max(v, lo), hi));
    }
  }
}

}  // namespace mpgru::engine::kernels
