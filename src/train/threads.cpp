// Compute-thread control for LibTorch and OpenBLAS.
#include "train/threads.hpp"

#include <dlfcn.h>

#include <torch/torch.h>

#include <algorithm>

namespace mpgru::train {

ComputeThreads threads_for_cores(int cores) {
  return {1, std::max(1, cores)};
}

namespace {

// OpenBLAS's entry points, looked up once in the loaded libraries (null if absent).
template <typename Function>
Function openblas_function(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

int blas_threads() {
  static const auto get = openblas_function<int (*)()>("openblas_get_num_threads");
  return get != nullptr ? get() : 0;
}

bool set_blas_threads(int threads) {
  static const auto set = openblas_function<void (*)(int)>("openblas_set_num_threads");
  if (set == nullptr) return false;
  set(std::max(1, threads));
  return true;
}

bool set_compute_threads(const ComputeThreads& threads) {
  torch::set_num_threads(std::max(1, threads.torch));
  return set_blas_threads(threads.blas);
}

}  // namespace mpgru::train
