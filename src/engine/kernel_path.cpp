// CPU feature detection with GCC's __builtin_cpu_supports (cpuid, read once by the runtime).
#include "engine/kernel_path.hpp"

#include <cstdlib>
#include <stdexcept>

namespace mpgru::engine {

const char* to_string(KernelPath path) {
  switch (path) {
    case KernelPath::portable:
      return "portable";
    case KernelPath::avx2:
      return "avx2";
    case KernelPath::avx512_vnni:
      return "avx512_vnni";
  }
  return "unknown";
}

KernelPath parse_kernel_path(const std::string& name) {
  for (KernelPath p : {KernelPath::portable, KernelPath::avx2, KernelPath::avx512_vnni}) {
    if (name == to_string(p)) return p;
  }
  throw std::invalid_argument("unknown kernel path '" + name +
                              "' (expected portable, avx2 or avx512_vnni)");
}

bool is_supported(KernelPath path) {
#if defined(__x86_64__)
  switch (path) {
    case KernelPath::portable:
      return true;
    case KernelPath::avx2:
      return __builtin_cpu_supports("avx2") != 0;
    case KernelPath::avx512_vnni:
      return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0 &&
             __builtin_cpu_supports("avx512vnni") != 0;
  }
  return false;
#else
  return path == KernelPath::portable;
#endif
}

std::vector<KernelPath> supported_paths() {
  std::vector<KernelPath> paths;
  for (KernelPath p : {KernelPath::portable, KernelPath::avx2, KernelPath::avx512_vnni}) {
    if (is_supported(p)) paths.push_back(p);
  }
  return paths;
}

KernelPath default_path() {
  if (const char* forced = std::getenv("MPGRU_KERNEL_PATH"); forced != nullptr && *forced) {
    const KernelPath p = parse_kernel_path(forced);
    if (!is_supported(p)) {
      throw std::invalid_argument(std::string("MPGRU_KERNEL_PATH=") + forced +
                                  ": this CPU does not support that kernel path");
    }
    return p;
  }
  return supported_paths().back();
}

}  // namespace mpgru::engine
