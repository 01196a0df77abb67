// A synthetic stand-in for Google Speech Commands: words spoken by espeak-ng voices, mixed
// with noise, written in the Speech Commands folder layout so one loader reads both.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

// The ten keywords of the standard 12-class task, and the auxiliary words of Speech Commands
// v0.01 (the "unknown" class).
const std::vector<std::string>& kws_keywords();
const std::vector<std::string>& kws_auxiliary_words();
// espeak-ng voice variants (files of espeak-ng-data/voices/!v, "default" for none), one per
// distinct sound: `fast` sounds like the plain voice and `caleb`, `klatt6` like `klatt`.
const std::vector<std::string>& kws_synth_variants();
// English dialects (espeak-ng languages).
const std::vector<std::string>& kws_synth_dialects();

struct KwsSynthConfig {
  std::filesystem::path out;
  uint64_t seed = 1;
  int clips_per_keyword = 2000;  // over all splits, ~70/15/15
  int clips_per_unknown = 0;     // per auxiliary word; 0: ceil(1.5 * clips_per_keyword / words)
  int workers = 2;               // parallel espeak-ng processes; does not change the output
  std::vector<std::string> keywords = kws_keywords();
  std::vector<std::string> unknown_words = kws_auxiliary_words();
  std::vector<std::string> variants = kws_synth_variants();
  std::vector<std::string> dialects = kws_synth_dialects();
  // Dialects spoken only by test speakers (so test also measures unseen accents).
  std::vector<std::string> test_only_dialects = {"en-029", "en-gb-scotland"};
  double noise_seconds = 60.0;  // length of each _background_noise_ bed
  std::string espeak = "espeak-ng";

  int unknown_clips_per_word() const;
  // Every field that changes the files (not out, workers or espeak), one per line; kept in
  // DIR/.kws-synth so a rerun can tell whether it continues the same set.
  std::string canonical() const;
  // The command line that regenerates the set (DIR for the folder, no --workers).
  std::string command() const;
};

// Throws std::invalid_argument naming the bad field.
void validate(const KwsSynthConfig& config);

struct KwsSynthSpeaker {
  std::string id;  // 8 hex digits, as Speech Commands' speaker hashes
  std::string variant;
  std::string dialect;
  Split split;
};

// variant x dialect, minus the test-only dialects of train/validation variants. The split of a
// variant is a fixed hash of its name (~70/15/15), independent of the seed.
std::vector<KwsSynthSpeaker> kws_synth_speakers(const KwsSynthConfig& config);
Split kws_synth_variant_split(const std::string& variant);

struct KwsSynthProgress {
  int64_t done = 0;     // clips finished (including skipped)
  int64_t skipped = 0;  // clips already on disk from an interrupted run
  int64_t total = 0;
  double elapsed_seconds = 0;
};

struct KwsSynthResult {
  struct WordCounts {
    std::string word;
    int64_t split[3] = {0, 0, 0};  // by Split
  };
  std::vector<WordCounts> counts;  // keywords, then unknown words
  int64_t clips = 0;
  int64_t skipped = 0;    // already on disk
  int64_t truncated = 0;  // words longer than 1 s, cut with a fade-out
  int64_t speakers[3] = {0, 0, 0};
  std::string espeak_version;
  double seconds = 0;
};

// Throws std::invalid_argument unless config.out is missing, an empty folder, or a kws-synth
// folder of the same config (finished or interrupted): generate_kws_synth's first check.
void check_kws_synth_folder(const KwsSynthConfig& config);

// Writes the set into config.out:
//   <word>/<speaker>_nohash_<k>.wav        16 kHz mono 16-bit, exactly 16000 samples
//   _background_noise_/{white,pink,brown}_noise.wav
//   validation_list.txt, testing_list.txt  held-out clips ("yes/0a1b2c3d_nohash_0.wav")
//   README.txt, speakers.txt, .kws-synth (the config), .complete (written last)
// The same config gives byte-identical files for any number of workers. Refuses (throws
// std::invalid_argument) a non-empty folder that is not kws-synth output or holds another
// config; an interrupted run with the same config is continued (finished clips are kept;
// each clip is written to a temporary name and renamed); a second run on a folder being
// written fails (an flock on .kws-synth). Runs espeak-ng without a shell;
// failures throw std::runtime_error naming the word, voice and command. `progress` is called
// on the calling thread, a few times a second and once at the end.
KwsSynthResult generate_kws_synth(
    const KwsSynthConfig& config,
    const std::function<void(const KwsSynthProgress&)>& progress = nullptr);

}  // namespace mpgru::data
