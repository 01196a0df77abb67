#include "core/parallel_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace mpgru::core {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnceForAnyThreadCount) {
  for (int threads : {0, 1, 2, 5}) {
    std::vector<std::atomic<int>> seen(1000);
    parallel_for(seen.size(), threads, [&](size_t i) { ++seen[i]; });
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].load(), 1) << i << " " << threads;
  }
  int calls = 0;
  parallel_for(0, 3, [&](size_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ParallelFor, RethrowsAfterEveryOtherIndexRan) {
  std::atomic<int> ran{0};
  EXPECT_THROW(parallel_for(100, 2,
                            [&](size_t i) {
                              ++ran;
                              if (i == 7) throw std::runtime_error("item 7");
                            }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace mpgru::core
