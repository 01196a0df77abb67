// What every module that uses FFTW shares: the lock around FFTW's planner (plan creation and
// destruction are global and not thread-safe; only the execute functions are), and 64-byte
// aligned float buffers for the new-array execute functions.
#pragma once

#include <fftw3.h>

#include <cstddef>
#include <memory>
#include <mutex>

namespace mpgru::audio {

std::mutex& fftw_planner_mutex();

struct FreeDeleter {
  void operator()(float* p) const;
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;

// n floats, 64-byte aligned (so every execute sees the alignment its plan was made with). Plain
// aligned_alloc rather than fftwf_malloc: FFTW documents only its execute functions as
// thread-safe, and buffers are allocated on the calling threads. Throws std::bad_alloc.
AlignedFloats aligned_floats(size_t n);

inline fftwf_complex* as_complex(float* p) {
  return reinterpret_cast<fftwf_complex*>(p);
}

}  // namespace mpgru::audio
