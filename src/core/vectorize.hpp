// Helpers for the loops mpgru wants the compiler to vectorize: one function compiled for several
// x86-64 levels and picked at load time by CPU features, and a branch- and libm-free rounding.
#pragma once

#include <cmath>

// GCC function multi-versioning: AVX-512 (x86-64-v4), AVX2 and baseline clones of the same code;
// the results do not depend on the clone chosen.
#define MPGRU_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

namespace mpgru::core {

// round(u), ties away from zero. Branch-free; vectorizes (as a vector round instruction) in the
// AVX2 and AVX-512 clones when the file is built with -fno-trapping-math.
inline float round_away(float u) {
  return std::copysign(std::floor(std::fabs(u) + 0.5f), u);
}

}  // namespace mpgru::core
