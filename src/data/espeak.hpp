// espeak-ng as a speech source for the synthetic data sets: probing it, checking voices, speaking
// a text with a voice, speed and pitch, and reading the WAV it writes to stdout.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "audio/wav_file.hpp"

namespace mpgru::data {

struct EspeakInfo {
  std::string version;             // "eSpeak NG text-to-speech: 1.51"
  std::filesystem::path data_dir;  // empty if the version line does not say
};

// `espeak --version`; throws std::runtime_error naming the command if it cannot run.
EspeakInfo probe_espeak(const std::string& espeak);

// espeak-ng falls back to a default voice, with exit status 0, when a language or variant does
// not exist; so every one is checked up front. Throws std::runtime_error naming the missing one.
void check_espeak_voices(const std::string& espeak, const EspeakInfo& info,
                         const std::vector<std::string>& dialects,
                         const std::vector<std::string>& variants);

// "en-gb+klatt" ("en-gb" for the variant "default").
std::string espeak_voice_name(const std::string& dialect, const std::string& variant);

// The PCM16 mono WAV espeak-ng writes to stdout. Its RIFF and data sizes are placeholders
// (0x7ffff000: a pipe cannot seek back), so the data runs to the end of the stream.
audio::Clip parse_espeak_wav(const std::string& bytes);

// espeak-ng's output from the first to the last sample above 2 % of its peak, with 10 ms
// margins: the speech without its leading and trailing silence.
std::vector<float> trim_silence(const audio::Clip& clip);

// `text` spoken by `voice` at `speed` words per minute and `pitch` (0..99), silence trimmed,
// resampled to `sample_rate`. Throws std::runtime_error "espeak-ng failed on <what> '<text>',
// voice '<voice>' (<command>): <problem>".
std::vector<float> espeak_speak(const std::string& espeak, const std::string& text,
                                const std::string& voice, int speed, int pitch, int sample_rate,
                                const std::string& what);

}  // namespace mpgru::data
