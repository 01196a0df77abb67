// The one lock around FFTW's planner, and aligned buffers.
#include "audio/fftw_support.hpp"

#include <cstdlib>
#include <new>

namespace mpgru::audio {

std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

void FreeDeleter::operator()(float* p) const {
  std::free(p);
}

AlignedFloats aligned_floats(size_t n) {
  constexpr size_t kAlign = 64;
  const size_t bytes = (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, bytes == 0 ? kAlign : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return AlignedFloats(static_cast<float*>(p));
}

}  // namespace mpgru::audio
