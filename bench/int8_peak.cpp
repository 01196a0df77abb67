// Peak loops: 12 independent accumulators hide the instructions' latency, so the loop runs at the
// instruction's throughput.
#include "int8_peak.hpp"

#include <immintrin.h>

#include <chrono>
#include <cstdint>

namespace mpgru::bench {
namespace {

constexpr int64_t kIterations = 20'000'000;

// Twelve named accumulators (an array made GCC spill them to the stack), each a chain of
// dependent instructions; the chains are independent.
#define MPGRU_TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) int32_t vnni_loop(int64_t n,
                                                                                   int8_t seed) {
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(seed);
#define MPGRU_DECLARE(i) __m512i a##i = _mm512_set1_epi32(i);
  MPGRU_TWELVE(MPGRU_DECLARE)
#undef MPGRU_DECLARE
  for (int64_t i = 0; i < n; ++i) {
#define MPGRU_STEP(i) a##i = _mm512_dpbusd_epi32(a##i, x, w);
    MPGRU_TWELVE(MPGRU_STEP)
#undef MPGRU_STEP
  }
  __m512i s = _mm512_setzero_si512();
#define MPGRU_SUM(i) s = _mm512_add_epi32(s, a##i);
  MPGRU_TWELVE(MPGRU_SUM)
#undef MPGRU_SUM
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, s);
  return lanes[0];
}

// Six chains (AVX2 has 16 vector registers: six accumulators, six distinct inputs, the weights);
// the weights are made opaque every iteration so the products are computed every time.
#define MPGRU_SIX(X) X(0) X(1) X(2) X(3) X(4) X(5)

__attribute__((target("avx2"), noinline)) int32_t avx2_loop(int64_t n, int8_t seed) {
  __m256i w = _mm256_set1_epi16(seed);
#define MPGRU_DECLARE(i) \
  __m256i a##i = _mm256_set1_epi32(i), x##i = _mm256_set1_epi16(static_cast<int16_t>(3 + i));
  MPGRU_SIX(MPGRU_DECLARE)
#undef MPGRU_DECLARE
  for (int64_t i = 0; i < n; ++i) {
    __asm__ volatile("" : "+x"(w));
#define MPGRU_STEP(i) a##i = _mm256_add_epi32(a##i, _mm256_madd_epi16(x##i, w));
    MPGRU_SIX(MPGRU_STEP)
#undef MPGRU_STEP
  }
  __m256i s = _mm256_setzero_si256();
#define MPGRU_SUM(i) s = _mm256_add_epi32(s, a##i);
  MPGRU_SIX(MPGRU_SUM)
#undef MPGRU_SUM
  return _mm256_extract_epi32(s, 0);
}

}  // namespace

double int8_peak_macs_per_second(engine::KernelPath path) {
  using Clock = std::chrono::steady_clock;
  volatile int32_t sink = 0;
  volatile int8_t seed_source = -2;  // not a constant: the loop cannot be folded
  const int8_t seed = seed_source;
  const auto start = Clock::now();
  double macs = 0;
  switch (path) {
    case engine::KernelPath::avx512_vnni:
      sink = vnni_loop(kIterations, seed);
      macs = 12.0 * 64.0 * static_cast<double>(kIterations);
      break;
    case engine::KernelPath::avx2:
      sink = avx2_loop(kIterations, seed);
      macs = 6.0 * 16.0 * static_cast<double>(kIterations);
      break;
    case engine::KernelPath::portable:
      return 0;
  }
  (void)sink;
  return macs / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace mpgru::bench
