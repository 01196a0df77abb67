// A synthetic speech-enhancement set made on the machine: sentences spoken by espeak-ng voices
// (speakers disjoint across splits, as in kws-synth), mixed with noise at -5..15 dB SNR, written
// as clean/noisy pairs in a VoiceBank+DEMAND-like layout so one loader reads both.
//
// Speech: 2..5 words drawn from a word list (Debian's wamerican, /usr/share/dict/words: lower-case
// words of 3..9 letters), speed 130..200 words per minute, pitch 20..80, peak -20..-3 dBFS, placed
// at a random onset in a fixed-length clip. Noise, one of four kinds per clip: white, pink and
// brown (seeded, synthesized), and babble (four utterances of other speakers of the same split,
// from a pool of 40 sentences per split, summed at random offsets). No recorded noise: no Debian
// package ships a noise corpus. SNR: speech RMS over the utterance against noise RMS over the
// same samples. A mix that would clip is scaled down with its clean reference.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

struct SeSynthConfig {
  std::filesystem::path out;
  uint64_t seed = 1;
  int clips[3] = {6000, 300, 300};  // train, validation, test
  double clip_seconds = 2.5;
  double snr_min_db = -5.0;
  double snr_max_db = 15.0;
  int workers = 2;  // parallel espeak-ng processes; does not change the output
  std::string espeak = "espeak-ng";
  std::filesystem::path words = "/usr/share/dict/words";
  std::vector<std::string> variants;  // default: kws_synth_variants()
  std::vector<std::string> dialects;  // default: kws_synth_dialects()
  std::vector<std::string> test_only_dialects = {"en-029", "en-gb-scotland"};

  SeSynthConfig();
  int clip_samples() const;  // clip_seconds at 16 kHz
  // Every field that changes the files, one per line (kept in OUT/.se-synth).
  std::string canonical() const;
};

// Throws std::invalid_argument naming the bad field.
void validate(const SeSynthConfig& config);

struct SeSynthProgress {
  int64_t done = 0;
  int64_t total = 0;
  double elapsed_seconds = 0;
};

struct SeSynthResult {
  int64_t clips[3] = {0, 0, 0};
  int64_t speakers[3] = {0, 0, 0};
  int64_t truncated = 0;   // sentences longer than the clip, cut with a fade-out
  int64_t vocabulary = 0;  // words the sentences were drawn from
  std::string espeak_version;
  double seconds = 0;
  bool existed = false;  // OUT already held this config's complete set: nothing was written
};

// Writes the set:
//   OUT/<split>/clean/<id>.wav, OUT/<split>/noisy/<id>.wav   16 kHz mono 16-bit, clip_samples
//   OUT/<split>/clips.csv     id,speaker,noise,snr_db,text per clip
//   OUT/README.txt, OUT/.se-synth (the config)
// for split in train, validation, test. Everything is written into OUT.partial and renamed to
// OUT when complete, so OUT is a whole set or absent. OUT must be missing, or hold a complete
// set of the same config (then nothing is done); anything else is refused (std::invalid_argument).
// The same config gives byte-identical files for any number of workers. espeak-ng failures throw
// std::runtime_error naming the sentence, voice and command.
SeSynthResult generate_se_synth(
    const SeSynthConfig& config,
    const std::function<void(const SeSynthProgress&)>& progress = nullptr);

// The word list's usable words (lower-case a-z, 3..9 letters), in file order. Throws
// std::runtime_error naming the file (and the package that ships it) if it cannot be read or
// holds fewer than 100.
std::vector<std::string> se_synth_words(const std::filesystem::path& path);

}  // namespace mpgru::data
