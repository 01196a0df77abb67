// Seeded randomness for the synthetic data generators, fixed across standard libraries: FNV-1a
// hashes of tags, splitmix64 seeds and streams, and its own uniform and normal draws (the std::
// distributions are implementation-defined, and generated files must not depend on them).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace mpgru::data {

// FNV-1a, 64 bit: a fixed hash (std::hash may differ between libraries).
inline uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// splitmix64's output function: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t splitmix(uint64_t x) {
  return mix64(x + kGolden);
}

inline uint64_t derive_seed(uint64_t seed, const std::string& tag, uint64_t index = 0) {
  return splitmix(splitmix(seed ^ fnv1a(tag)) ^ index);
}

// splitmix64 with its own distributions: the std:: distributions are implementation-defined,
// and the files must not depend on the standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += kGolden); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int64_t integer(int64_t lo, int64_t hi) {  // [lo, hi]; bias < 2^-40 for our ranges
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  // Standard normal by Box-Muller.
  double normal() {
    const double u = 1.0 - uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * 3.14159265358979323846 * uniform());
  }

 private:
  uint64_t state_;
};

}  // namespace mpgru::data
