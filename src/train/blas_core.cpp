// OpenBLAS's kernel choice against the CPU's vector instructions.
#include "train/blas_core.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <utility>

namespace mpgru::train {
namespace {

// OpenBLAS's x86-64 core names (driver/others/dynamic.c) by the vector family of their kernels.
// Not listed (no advice): Excavator, whose own kernels OpenBLAS tuned for a CPU with AVX2.
constexpr std::array<std::pair<std::string_view, VectorIsa>, 24> kCores{{
    {"katmai", VectorIsa::baseline},       {"coppermine", VectorIsa::baseline},
    {"northwood", VectorIsa::baseline},    {"prescott", VectorIsa::baseline},
    {"banias", VectorIsa::baseline},       {"atom", VectorIsa::baseline},
    {"core2", VectorIsa::baseline},        {"penryn", VectorIsa::baseline},
    {"dunnington", VectorIsa::baseline},   {"nehalem", VectorIsa::baseline},
    {"athlon", VectorIsa::baseline},       {"opteron", VectorIsa::baseline},
    {"opteron_sse3", VectorIsa::baseline}, {"barcelona", VectorIsa::baseline},
    {"nano", VectorIsa::baseline},         {"bobcat", VectorIsa::baseline},
    {"sandybridge", VectorIsa::avx},       {"bulldozer", VectorIsa::avx},
    {"piledriver", VectorIsa::avx},        {"steamroller", VectorIsa::avx},
    {"haswell", VectorIsa::avx2},          {"zen", VectorIsa::avx2},
    {"skylakex", VectorIsa::avx512},       {"cooperlake", VectorIsa::avx512},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Per VectorIsa, in its order: the family's name and the OPENBLAS_CORETYPE whose kernels use it.
struct IsaNames {
  const char* isa;
  const char* core;
};
constexpr std::array<IsaNames, 4> kIsaNames{
    {{"SSE", ""}, {"AVX", "Sandybridge"}, {"AVX2", "Haswell"}, {"AVX-512", "SkylakeX"}}};

const IsaNames& names(VectorIsa isa) {
  return kIsaNames[static_cast<std::size_t>(isa)];
}

}  // namespace

VectorIsa cpu_vector_isa() {
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return VectorIsa::avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return VectorIsa::avx2;
  if (__builtin_cpu_supports("avx")) return VectorIsa::avx;
#endif
  return VectorIsa::baseline;
}

std::string blas_core() {
  using CoreName = char* (*)();
  const auto name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (name == nullptr) return "";
  const char* core = name();
  return core != nullptr ? std::string(core) : std::string();
}

std::string faster_blas_core(std::string_view core, VectorIsa isa) {
  const std::string key = lower(core);
  const auto known =
      std::find_if(kCores.begin(), kCores.end(), [&key](const auto& c) { return c.first == key; });
  if (known == kCores.end() || known->second >= isa) return "";
  return names(isa).core;
}

std::string blas_core_advice() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
  const std::string core = blas_core();
  const VectorIsa isa = cpu_vector_isa();
  const std::string faster = faster_blas_core(core, isa);
  if (faster.empty()) return "";
  return "note: OpenBLAS runs its " + core + " kernels on this " + names(isa).isa +
         " CPU (a CPU model it does not know); set OPENBLAS_CORETYPE=" + faster +
         " before mpgru starts to train up to about 2 x faster (README, Threads)";
}

}  // namespace mpgru::train
