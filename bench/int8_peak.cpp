// Peak loops: 12 independent accumulators hide the instructions' latency, so the loop runs at the
// instruction's throughput.
#include "int8_peak.hpp"

#include <immintrin.h>

#include <chrono>
#include <cstdint>

namespace mpgru::bench {
namespace {

constexpr int64_t kIterations = 20'000'000;

__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) int32_t vnni_loop(int64_t n) {
  __m512i a[12];
  for (auto& v : a) v = _mm512_set1_epi32(1);
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  for (int64_t i = 0; i < n; ++i) {
    for (auto& v : a) v = _mm512_dpbusd_epi32(v, x, w);
    __asm__ volatile("" : "+v"(a[0]), "+v"(a[6]));
  }
  __m512i s = a[0];
  for (int k = 1; k < 12; ++k) s = _mm512_add_epi32(s, a[k]);
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, s);
  return lanes[0];
}

__attribute__((target("avx2"), noinline)) int32_t avx2_loop(int64_t n) {
  __m256i a[12];
  for (auto& v : a) v = _mm256_set1_epi32(1);
  const __m256i x = _mm256_set1_epi16(3), w = _mm256_set1_epi16(-2);
  for (int64_t i = 0; i < n; ++i) {
    for (auto& v : a) v = _mm256_add_epi32(v, _mm256_madd_epi16(x, w));
    __asm__ volatile("" : "+x"(a[0]), "+x"(a[6]));
  }
  __m256i s = a[0];
  for (int k = 1; k < 12; ++k) s = _mm256_add_epi32(s, a[k]);
  return _mm256_extract_epi32(s, 0);
}

}  // namespace

double int8_peak_macs_per_second(engine::KernelPath path) {
  using Clock = std::chrono::steady_clock;
  volatile int32_t sink = 0;
  const auto start = Clock::now();
  double macs = 0;
  switch (path) {
    case engine::KernelPath::avx512_vnni:
      sink = vnni_loop(kIterations);
      macs = 12.0 * 64.0 * static_cast<double>(kIterations);
      break;
    case engine::KernelPath::avx2:
      sink = avx2_loop(kIterations);
      macs = 12.0 * 16.0 * static_cast<double>(kIterations);
      break;
    case engine::KernelPath::portable:
      return 0;
  }
  (void)sink;
  return macs / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace mpgru::bench
