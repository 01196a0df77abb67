// The Google Speech Commands folder layout (and mpgru's synthetic stand-in, which writes the same
// layout): one folder per word of 16 kHz mono WAVs, validation_list.txt and testing_list.txt
// naming the held-out files, _background_noise_/ with long noise recordings. The standard
// 12-class setup: ten keywords, "unknown" (every other word) and "silence" (1 s cut from the
// background noise).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

// Labels: the keywords 0..9 in this order, then unknown = 10, silence = 11.
inline constexpr std::array<const char*, 10> kKeywords = {"yes",   "no", "up",  "down", "left",
                                                          "right", "on", "off", "stop", "go"};
constexpr int kUnknownLabel = 10;
constexpr int kSilenceLabel = 11;
constexpr int kSpeechCommandsClasses = 12;
constexpr int kSpeechSampleRate = 16000;
constexpr int kClipSamples = 16000;

// "yes" ... "go", "unknown", "silence"; throws std::out_of_range for other labels.
const char* speech_label_name(int label);

struct SpeechCommandsOptions {
  // Unknown and silence clips per split, each as a fraction of that split's keyword clips (the
  // usual 10 % each): unknown clips are a seeded sample of the other words, silence clips
  // seeded 1 s slices of the background noise at a random gain in [0, 1].
  double unknown_fraction = 0.1;
  double silence_fraction = 0.1;
  uint64_t seed = 1;
  bool skip_bad = false;  // skip (and count) unreadable or malformed WAVs instead of failing
};

struct LabelledClip {
  std::vector<float> samples;  // exactly kClipSamples: shorter files zero-padded, longer trimmed
  int32_t label = 0;
};

struct SpeechCommandsSplits {
  std::vector<LabelledClip> splits[3];  // train, validation, test
  int64_t skipped = 0;                  // bad files skipped under skip_bad
  std::vector<std::string> skipped_files;
};

// Reads the folder. Throws std::runtime_error naming the file for a missing list file, a list
// entry that names no file, a bad WAV (unless skip_bad), a missing or empty _background_noise_
// (when silence_fraction > 0) and a folder without any keyword clips. Reads WAVs on `threads`
// threads; the result does not depend on the thread count.
SpeechCommandsSplits load_speech_commands(const std::filesystem::path& dir,
                                          const SpeechCommandsOptions& options = {},
                                          int threads = 2);

}  // namespace mpgru::data
