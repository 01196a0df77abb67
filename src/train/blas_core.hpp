// OpenBLAS's kernel choice: the core it runs and whether this CPU could run a faster one.
//
// OpenBLAS picks its kernels from the CPU model when it loads. A CPU model it does not know (a
// cloud VM's "Intel(R) Xeon(R) Processor" with AVX-512) falls back to its SSE3 kernels
// ("Prescott"): float training then ran 1.9 x slower than with OPENBLAS_CORETYPE=SkylakeX, with
// the same loss (one smnist epoch, 2026-12-07). OpenBLAS reads that variable only when it loads,
// before main, so mpgru can say what to set but not change the kernels of a running process.
#pragma once

#include <string>
#include <string_view>

namespace mpgru::train {

// The widest vector family of a CPU, as OpenBLAS's x86-64 kernel generations use them.
enum class VectorIsa { baseline, avx, avx2, avx512 };

// This CPU's (with the operating system's support): AVX-512 F+BW+DQ+VL, AVX2 with FMA, AVX,
// else baseline (also every non-x86 CPU).
VectorIsa cpu_vector_isa();

// The core OpenBLAS runs (openblas_get_corename, e.g. "Haswell"), or "" when the BLAS in use is
// not OpenBLAS.
std::string blas_core();

// The OPENBLAS_CORETYPE whose kernels use `isa` when OpenBLAS chose `core`, an older generation;
// "" when `core` already uses `isa`'s kernels (or newer) or is not a known x86-64 core name
// (compared without case). AVX-512 -> "SkylakeX", AVX2 -> "Haswell", AVX -> "Sandybridge".
std::string faster_blas_core(std::string_view core, VectorIsa isa);

// One line for the user when OpenBLAS runs older kernels than this CPU supports and
// OPENBLAS_CORETYPE is not set; "" otherwise.
std::string blas_core_advice();

}  // namespace mpgru::train
