// Compute threads: the split per core count, and that the settings reach LibTorch and OpenBLAS.
#include "train/threads.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace mpgru::train {
namespace {

TEST(Threads, OneTorchThreadAndBlasGetsTheCores) {
  EXPECT_EQ(threads_for_cores(2).torch, 1);
  EXPECT_EQ(threads_for_cores(2).blas, 2);
  EXPECT_EQ(threads_for_cores(0).blas, 1);
}

TEST(Threads, SettingsReachLibTorchAndOpenBlas) {
  EXPECT_TRUE(set_compute_threads({1, 1}))
      << "the BLAS in use is not OpenBLAS: install libopenblas0-pthread";
  EXPECT_EQ(torch::get_num_threads(), 1);
}

TEST(Threads, BlasThreadCountReadsBackWhatWasSet) {
  const int before = blas_threads();
  ASSERT_GT(before, 0) << "the BLAS in use is not OpenBLAS: install libopenblas0-pthread";
  EXPECT_TRUE(set_blas_threads(1));
  EXPECT_EQ(blas_threads(), 1);
  EXPECT_TRUE(set_blas_threads(0));  // at least 1
  EXPECT_EQ(blas_threads(), 1);
  EXPECT_TRUE(set_blas_threads(before));
  EXPECT_EQ(blas_threads(), before);
}

}  // namespace
}  // namespace mpgru::train
