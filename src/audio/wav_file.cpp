// libsndfile wrappers with errors that name the file.
#include "audio/wav_file.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

namespace mpgru::audio {
namespace {

struct CloseSndfile {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, CloseSndfile>;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& problem) {
  throw WavError(path.string() + ": " + problem);
}

}  // namespace

Clip read_wav(const std::filesystem::path& path, int expected_rate) {
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) fail(path, std::string("cannot read audio: ") + sf_strerror(nullptr));
  if (info.channels != 1) fail(path, std::to_string(info.channels) + " channels, expected mono");
  if (expected_rate > 0 && info.samplerate != expected_rate) {
    fail(path, "sample rate " + std::to_string(info.samplerate) + " Hz, expected " +
                   std::to_string(expected_rate) + " Hz");
  }
  if (info.frames <= 0) fail(path, "no audio frames (empty file)");
  if (info.frames > kMaxWavFrames) {
    fail(path, std::to_string(info.frames) +
                   " frames, more than any clip or noise bed mpgru "
                   "reads (" +
                   std::to_string(kMaxWavFrames) + ")");
  }
  Clip clip;
  clip.sample_rate = info.samplerate;
  clip.samples.resize(static_cast<size_t>(info.frames));
  const sf_count_t read = sf_readf_float(file.get(), clip.samples.data(), info.frames);
  if (read != info.frames) {
    fail(path, "truncated: " + std::to_string(read) + " of " + std::to_string(info.frames) +
                   " frames readable");
  }
  for (size_t i = 0; i < clip.samples.size(); ++i) {
    if (!std::isfinite(clip.samples[i])) {
      fail(path, "sample " + std::to_string(i) + " is not a finite number");
    }
  }
  return clip;
}

std::vector<int16_t> to_pcm16(const std::vector<float>& samples) {
  std::vector<int16_t> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const double x = static_cast<double>(samples[i]) * 32768.0;
    const double rounded = std::copysign(std::floor(std::fabs(x) + 0.5), x);
    out[i] = static_cast<int16_t>(std::clamp(rounded, -32768.0, 32767.0));
  }
  return out;
}

void write_wav_pcm16(const std::filesystem::path& path, const std::vector<float>& samples,
                     int sample_rate) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SndfilePtr file(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!file) fail(path, std::string("cannot write: ") + sf_strerror(nullptr));
  sf_command(file.get(), SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);
  const std::vector<int16_t> pcm = to_pcm16(samples);
  const auto frames = static_cast<sf_count_t>(pcm.size());
  if (sf_writef_short(file.get(), pcm.data(), frames) != frames) {
    fail(path, std::string("write failed: ") + sf_strerror(file.get()));
  }
}

}  // namespace mpgru::audio
