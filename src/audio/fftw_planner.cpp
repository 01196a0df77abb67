// The one lock around FFTW's planner.
#include "audio/fftw_planner.hpp"

namespace mpgru::audio {

std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace mpgru::audio
