// AVX-512 element-wise operators (see the header for the contract).
#include "engine/elementwise_avx512.hpp"

// GCC 12 reports its own AVX-512 headers' undefined-source idiom as maybe-uninitialized
// (GCC PR 105593) once they are inlined here; the warning is about the headers, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>

#include "engine/requantize_avx512.hpp"

namespace mpgru::engine::kernels {
namespace {

using avx512::apply16;
using avx512::apply16_unclamped;
using avx512::Multipliers16;
using avx512::uniform;

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
  // gathers cost more than the two extra products. |q| <= 255 and M <= 0.5 (check_model), so
  // q << 20 needs no saturation and the contributions stay below 2^27: no int32 clamp either.
  const QuantizedAdd& s = *t.source;
  const Multipliers16 ma = uniform(s.params.a), mb = uniform(s.params.b);
  const Multipliers16 mo = uniform(s.params.out);
  const __m512i lo = _mm512_set1_epi64(s.output.qmin()), hi = _mm512_set1_epi64(s.output.qmax());
  size_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512i a =
        apply16_unclamped(_mm512_slli_epi32(load16(qa + c), quant::kAddLeftShift), ma);
    const __m512i b =
        apply16_unclamped(_mm512_slli_epi32(load16(qb + c), quant::kAddLeftShift), mb);
    store16(out + c, apply16(_mm512_add_epi32(a, b), mo, lo, hi));
  }
  if (c < n) {
    int32_t sum[16];
    opt::add_pass(t, qa + c, qb + c, out + c, sum, n - c);
  }
}

MPGRU_AVX512 void mul_avx512(const QuantizedMul& m, const int16_t* a, const int16_t* b,
                             int16_t* out, size_t n, int32_t a_offset, bool negate_a) {
  const Multipliers16 mm = uniform(m.multiplier);
  const __m512i lo = _mm512_set1_epi64(m.output.qmin()), hi = _mm512_set1_epi64(m.output.qmax());
  const __m512i offset = _mm512_set1_epi32(a_offset);
  size_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m512i va = load16(a + c);
    const __m512i qa = negate_a ? _mm512_sub_epi32(offset, va) : _mm512_add_epi32(offset, va);
    store16(out + c, apply16(_mm512_mullo_epi32(qa, load16(b + c)), mm, lo, hi));
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
                                    const int32_t* shift, const int64_t* split, size_t rows,
                                    int32_t lo, int32_t hi, size_t batch, int16_t* y) {
  const __m512i lo64 = _mm512_set1_epi64(lo), hi64 = _mm512_set1_epi64(hi);
  const size_t chunks = rows / 16;
  for (size_t b = 0; b < batch; ++b) {
    const int32_t* a = acc + b * acc_stride;
    int16_t* out = y + b * rows;
    for (size_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t* s = split + chunk * 32;  // k even, k odd, half even, half odd
      const Multipliers16 m{_mm512_loadu_si512(m0 + chunk * 16), _mm512_loadu_si512(s),
                            _mm512_loadu_si512(s + 8), _mm512_loadu_si512(s + 16),
                            _mm512_loadu_si512(s + 24)};
      store16(out + chunk * 16, apply16(_mm512_loadu_si512(a + chunk * 16), m, lo64, hi64));
    }
    for (size_t c = chunks * 16; c < rows; ++c) {
      const int32_t v = quant::apply_multiplier(a[c], quant::Multiplier{m0[c], shift[c]});
      out[c] = static_cast<int16_t>(std::min(std::max(v, lo), hi));
    }
  }
}

void split_multipliers(const int32_t* shift, size_t rows, int64_t* split) {
  for (size_t chunk = 0; chunk < rows / 16; ++chunk) {
    int64_t* s = split + chunk * 32;
    for (size_t i = 0; i < 8; ++i) {
      for (size_t odd = 0; odd < 2; ++odd) {
        const int64_t k = 31 - shift[chunk * 16 + 2 * i + odd];
        s[odd * 8 + i] = k;
        s[16 + odd * 8 + i] = int64_t{1} << (k - 1);
      }
    }
  }
}

}  // namespace mpgru::engine::kernels
