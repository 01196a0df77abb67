// A work-sharing loop over indices on a few threads: each thread (the caller's included) takes
// the next unclaimed index until none is left, so uneven items balance themselves.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mpgru::core {

// Calls body(i) for every i in [0, n) on max(threads, 1) threads. body must be safe to call
// concurrently for distinct i. If a call throws, the other indices still run; the first
// exception caught is rethrown once every thread has joined.
template <typename Body>
void parallel_for(size_t n, int threads, Body&& body) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        body(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace mpgru::core
