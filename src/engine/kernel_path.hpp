// The instruction-set paths of the batched linear kernel (engine/packed_linear.hpp), chosen at run
// time by CPU features. Every path gives the same integers (tested bit-exact against the reference
// kernels); only the speed differs.
#pragma once

#include <string>
#include <vector>

namespace mpgru::engine {

enum class KernelPath {
  portable,     // plain C++ loops (any CPU)
  avx2,         // int16 pairs, vpmaddwd: exact by construction (no int16 saturation)
  avx512_vnni,  // u8 x s8 quadruples, vpdpbusd into int32
};

const char* to_string(KernelPath path);

// Parses "portable", "avx2" or "avx512_vnni"; throws std::invalid_argument naming the text and
// the accepted names otherwise.
KernelPath parse_kernel_path(const std::string& name);

// The paths this CPU runs, portable first, widest last.
std::vector<KernelPath> supported_paths();

bool is_supported(KernelPath path);

// The widest supported path, unless the environment variable MPGRU_KERNEL_PATH names one (for
// tests and measurements). Throws std::invalid_argument if it names an unknown path or one this
// CPU does not support.
KernelPath default_path();

}  // namespace mpgru::engine
