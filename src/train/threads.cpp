// Compute-thread control for LibTorch and OpenBLAS.
#include "train/threads.hpp"

#include <dlfcn.h>

#include <torch/torch.h>

#include <algorithm>

namespace mpgru::train {

ComputeThreads threads_for_cores(int cores) {
  return {1, std::max(1, cores)};
}

bool set_compute_threads(const ComputeThreads& threads) {
  torch::set_num_threads(std::max(1, threads.torch));
  using SetThreads = void (*)(int);
  auto* set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_blas == nullptr) return false;
  set_blas(std::max(1, threads.blas));
  return true;
}

}  // namespace mpgru::train
