// OpenBLAS's kernel choice: the advice table, the loaded core's name, the variable that silences
// it.
#include "train/blas_core.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

namespace mpgru::train {
namespace {

struct CoreCase {
  const char* core;
  VectorIsa isa;
  const char* expected;  // the OPENBLAS_CORETYPE advised, "" for none
};

class FasterBlasCore : public ::testing::TestWithParam<CoreCase> {};

TEST_P(FasterBlasCore, AdvisesTheCpusGenerationOnlyWhenTheCoreIsOlder) {
  const CoreCase& c = GetParam();
  EXPECT_EQ(faster_blas_core(c.core, c.isa), c.expected) << c.core;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FasterBlasCore,
    ::testing::Values(
        // the fallback seen on a cloud VM with AVX-512 (2026-12-07)
        CoreCase{"Prescott", VectorIsa::avx512, "SkylakeX"},
        CoreCase{"prescott", VectorIsa::avx2, "Haswell"},  // case does not matter
        CoreCase{"Nehalem", VectorIsa::avx, "Sandybridge"},
        CoreCase{"Sandybridge", VectorIsa::avx2, "Haswell"},
        CoreCase{"Haswell", VectorIsa::avx512, "SkylakeX"},
        CoreCase{"Zen", VectorIsa::avx512, "SkylakeX"},
        // already the CPU's generation, or newer: nothing to advise
        CoreCase{"SkylakeX", VectorIsa::avx512, ""}, CoreCase{"Cooperlake", VectorIsa::avx512, ""},
        CoreCase{"Haswell", VectorIsa::avx2, ""}, CoreCase{"SkylakeX", VectorIsa::avx2, ""},
        CoreCase{"Prescott", VectorIsa::baseline, ""},
        // not an x86-64 core OpenBLAS names (or not OpenBLAS at all): nothing either
        CoreCase{"Excavator", VectorIsa::avx2, ""}, CoreCase{"NEOVERSEN1", VectorIsa::baseline, ""},
        CoreCase{"", VectorIsa::avx512, ""}, CoreCase{"Prescott2", VectorIsa::avx512, ""}));

TEST(BlasCore, NamesTheCoreOpenBlasLoaded) {
  const std::string core = blas_core();
  ASSERT_FALSE(core.empty()) << "the BLAS in use is not OpenBLAS: install libopenblas0-pthread";
  // The advice is exactly the table's verdict on this core and CPU (unless the variable is set).
  const std::string faster = faster_blas_core(core, cpu_vector_isa());
  const std::string advice = blas_core_advice();
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || faster.empty()) {
    EXPECT_EQ(advice, "");
  } else {
    EXPECT_NE(advice.find(core), std::string::npos) << advice;
    EXPECT_NE(advice.find("OPENBLAS_CORETYPE=" + faster), std::string::npos) << advice;
  }
}

TEST(BlasCore, TheVariableSilencesTheAdvice) {
  const char* before = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = before != nullptr ? before : "";
  ::setenv("OPENBLAS_CORETYPE", "Prescott", 1);
  EXPECT_EQ(blas_core_advice(), "");
  if (before != nullptr) {
    ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  } else {
    ::unsetenv("OPENBLAS_CORETYPE");
  }
}

#if defined(__x86_64__) && defined(__linux__)
// The family read from the kernel's CPU flags (an independent source on Linux x86-64).
VectorIsa isa_from_cpuinfo() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line) && line.rfind("flags", 0) != 0) {
  }
  std::istringstream words(line);
  const std::set<std::string> flags{std::istream_iterator<std::string>(words), {}};
  const auto has = [&flags](const char* f) { return flags.count(f) > 0; };
  if (has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl")) {
    return VectorIsa::avx512;
  }
  if (has("avx2") && has("fma")) return VectorIsa::avx2;
  return has("avx") ? VectorIsa::avx : VectorIsa::baseline;
}

TEST(BlasCore, CpuFamilyAgreesWithProcCpuinfo) {
  EXPECT_EQ(static_cast<int>(cpu_vector_isa()), static_cast<int>(isa_from_cpuinfo()));
}
#endif

}  // namespace
}  // namespace mpgru::train
