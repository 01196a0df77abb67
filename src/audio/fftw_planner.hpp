// FFTW's planner (plan creation and destruction) is global and not thread-safe; only the
// execute functions are. Every mpgru module that plans holds this one lock while it does.
#pragma once

#include <mutex>

namespace mpgru::audio {

std::mutex& fftw_planner_mutex();

}  // namespace mpgru::audio
