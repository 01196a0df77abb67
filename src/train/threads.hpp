// Compute threads of LibTorch's pool and of OpenBLAS, set explicitly: left alone they
// oversubscribe the cores (torch 2 + BLAS 2 threads ran a GRU-128 step 3.5x slower than 1 + 2).
#pragma once

namespace mpgru::train {

struct ComputeThreads {
  int torch = 1;  // LibTorch intra-op (OpenMP) threads
  int blas = 1;   // OpenBLAS threads
};

// The split for a job allowed `cores` cores: LibTorch 1 thread, OpenBLAS the rest (measured
// fastest for the GRU training step; see bench/train_step_bench.cpp).
ComputeThreads threads_for_cores(int cores);

// Applies `threads`. OpenBLAS is reached through openblas_set_num_threads when the loaded BLAS
// provides it (it reads OPENBLAS_NUM_THREADS only when loaded, before main). Returns false if the
// BLAS in use is not OpenBLAS (then its thread count is whatever it chose).
bool set_compute_threads(const ComputeThreads& threads);

// OpenBLAS's thread count now, or 0 if the BLAS in use is not OpenBLAS.
int blas_threads();
// Sets OpenBLAS's thread count (at least 1); false, and nothing done, if the BLAS is not OpenBLAS.
bool set_blas_threads(int threads);

}  // namespace mpgru::train
