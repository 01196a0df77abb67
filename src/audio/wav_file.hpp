// WAV files through libsndfile: mono clips in, 16-bit PCM mono clips out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace mpgru::audio {

// A bad or unreadable audio file; what() names the file and the problem.
class WavError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Clip {
  int sample_rate = 0;
  std::vector<float> samples;  // mono, full scale [-1, 1)
};

// The most frames read_wav reads (checked before allocating): 2^26, 70 minutes at 16 kHz.
constexpr int64_t kMaxWavFrames = int64_t{1} << 26;

// Reads a mono sound file (any format libsndfile reads; Speech Commands are 16-bit PCM WAV).
// Throws WavError naming `path` if it cannot be opened or decoded (missing, truncated header,
// not a sound file), has other than one channel, has zero or more than kMaxWavFrames frames, a
// sample that is not finite (a float WAV), or — when expected_rate > 0 — another sample rate.
Clip read_wav(const std::filesystem::path& path, int expected_rate = 0);

// Converts to 16-bit PCM as libsndfile reads it back (x = pcm / 32768): round(x * 32768) with
// ties away from zero, clamped to [-32768, 32767].
std::vector<int16_t> to_pcm16(const std::vector<float>& samples);

// Writes a 16-bit PCM mono WAV (to_pcm16 of `samples`). The same samples always give the same
// bytes (no PEAK chunk, no timestamps). Throws WavError naming `path` on failure.
void write_wav_pcm16(const std::filesystem::path& path, const std::vector<float>& samples,
                     int sample_rate);

}  // namespace mpgru::audio
