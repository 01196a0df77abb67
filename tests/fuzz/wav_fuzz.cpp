// libFuzzer: WAV files through libsndfile and mpgru's checks (rate, channels, samples).
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "audio/wav_file.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = mpgru::fuzz::as_file(data, size, ".wav");
  try {
    (void)mpgru::audio::read_wav(path, 16000);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
