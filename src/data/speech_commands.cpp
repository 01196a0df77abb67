// Speech Commands folder reader: lists, labels, seeded unknown/silence selection, parallel WAVs.
#include "data/speech_commands.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>

#include "audio/wav_file.hpp"
#include "core/parallel_for.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string relative;  // "yes/abc_nohash_0.wav"
  int32_t label;
  int split;
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// The relative paths a list file names, each checked to exist.
std::map<std::string, int> read_list(const fs::path& dir, const std::string& name, int split) {
  const fs::path path = dir / name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open (every split list is needed)");
  std::map<std::string, int> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trim(line);
    if (line.empty()) continue;
    if (!fs::is_regular_file(dir / line)) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": names " + line +
                               ", which does not exist");
    }
    out[line] = split;
  }
  return out;
}

int32_t word_label(const std::string& word) {
  for (size_t k = 0; k < kKeywords.size(); ++k) {
    if (word == kKeywords[k]) return static_cast<int32_t>(k);
  }
  return kUnknownLabel;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Entry> scan(const fs::path& dir) {
  std::map<std::string, int> held_out = read_list(dir, "validation_list.txt", 1);
  for (const auto& [path, split] : read_list(dir, "testing_list.txt", 2)) held_out[path] = split;
  std::vector<Entry> out;
  for (const fs::path& word_dir : sorted_entries(dir)) {
    const std::string word = word_dir.filename().string();
    if (!fs::is_directory(word_dir) || word.empty() || word[0] == '_' || word[0] == '.') continue;
    for (const fs::path& file : sorted_entries(word_dir)) {
      if (file.extension() != ".wav") continue;
      const std::string relative = word + "/" + file.filename().string();
      const auto it = held_out.find(relative);
      out.push_back({relative, word_label(word), it == held_out.end() ? 0 : it->second});
    }
  }
  return out;
}

// Every keyword clip of the split plus a seeded sample of its unknown-word clips.
std::vector<Entry> select(const std::vector<Entry>& all, int split, double unknown_fraction,
                          uint64_t seed, int64_t& keywords) {
  std::vector<Entry> chosen, unknown;
  for (const Entry& e : all) {
    if (e.split != split) continue;
    (e.label == kUnknownLabel ? unknown : chosen).push_back(e);
  }
  keywords = static_cast<int64_t>(chosen.size());
  std::mt19937_64 rng(seed * 1000003u + static_cast<uint64_t>(split));
  std::shuffle(unknown.begin(), unknown.end(), rng);
  const auto n = static_cast<size_t>(std::ceil(unknown_fraction * static_cast<double>(keywords)));
  unknown.resize(std::min(n, unknown.size()));
  chosen.insert(chosen.end(), unknown.begin(), unknown.end());
  return chosen;
}

std::vector<float> fit_to_clip(std::vector<float> samples) {
  samples.resize(kClipSamples, 0.0f);
  return samples;
}

// Reads the entries' WAVs on `threads` threads into out (same order). The first bad file in
// entry order fails the load unless skip_bad.
void read_clips(const fs::path& dir, const std::vector<Entry>& entries, bool skip_bad, int threads,
                std::vector<LabelledClip>& out, SpeechCommandsSplits& result) {
  std::vector<LabelledClip> clips(entries.size());
  std::vector<std::string> errors(entries.size());
  core::parallel_for(entries.size(), threads, [&](size_t i) {
    try {
      clips[i].samples =
          fit_to_clip(audio::read_wav(dir / entries[i].relative, kSpeechSampleRate).samples);
      clips[i].label = entries[i].label;
    } catch (const audio::WavError& e) {
      errors[i] = e.what();
    }
  });
  for (size_t i = 0; i < entries.size(); ++i) {
    if (errors[i].empty()) {
      out.push_back(std::move(clips[i]));
    } else if (skip_bad) {
      ++result.skipped;
      result.skipped_files.push_back(errors[i]);
    } else {
      throw std::runtime_error(errors[i] + " (--skip-bad skips bad files)");
    }
  }
}

std::vector<std::vector<float>> read_noise(const fs::path& dir) {
  const fs::path noise_dir = dir / "_background_noise_";
  if (!fs::is_directory(noise_dir)) {
    throw std::runtime_error(noise_dir.string() + ": missing (silence clips are cut from it)");
  }
  std::vector<std::vector<float>> out;
  for (const fs::path& file : sorted_entries(noise_dir)) {
    if (file.extension() != ".wav") continue;
    std::vector<float> s = audio::read_wav(file, kSpeechSampleRate).samples;
    if (s.size() >= static_cast<size_t>(kClipSamples)) out.push_back(std::move(s));
  }
  if (out.empty()) {
    throw std::runtime_error(noise_dir.string() +
                             ": no 16 kHz WAV of at least 1 s to cut "
                             "silence from");
  }
  return out;
}

void add_silence(const std::vector<std::vector<float>>& noise, int64_t n, uint64_t seed, int split,
                 std::vector<LabelledClip>& out) {
  std::mt19937_64 rng(seed * 7919u + 17u + static_cast<uint64_t>(split));
  for (int64_t i = 0; i < n; ++i) {
    const auto& bed = noise[std::uniform_int_distribution<size_t>(0, noise.size() - 1)(rng)];
    const size_t offset = std::uniform_int_distribution<size_t>(
        0, bed.size() - static_cast<size_t>(kClipSamples))(rng);
    const auto gain = static_cast<float>(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
    LabelledClip clip;
    clip.label = kSilenceLabel;
    clip.samples.assign(bed.begin() + static_cast<std::ptrdiff_t>(offset),
                        bed.begin() + static_cast<std::ptrdiff_t>(offset) + kClipSamples);
    for (float& v : clip.samples) v *= gain;
    out.push_back(std::move(clip));
  }
}

}  // namespace

const char* speech_label_name(int label) {
  if (label >= 0 && label < static_cast<int>(kKeywords.size())) return kKeywords[label];
  if (label == kUnknownLabel) return "unknown";
  if (label == kSilenceLabel) return "silence";
  throw std::out_of_range("no speech commands label " + std::to_string(label));
}

SpeechCommandsSplits load_speech_commands(const fs::path& dir, const SpeechCommandsOptions& options,
                                          int threads) {
  if (!(options.unknown_fraction >= 0) || !(options.silence_fraction >= 0)) {
    throw std::invalid_argument("unknown and silence fractions must be >= 0");
  }
  const std::vector<Entry> all = scan(dir);
  const std::vector<std::vector<float>> noise =
      options.silence_fraction > 0 ? read_noise(dir) : std::vector<std::vector<float>>{};
  SpeechCommandsSplits result;
  for (int split = 0; split < 3; ++split) {
    int64_t keywords = 0;
    const std::vector<Entry> chosen =
        select(all, split, options.unknown_fraction, options.seed, keywords);
    if (keywords == 0) {
      throw std::runtime_error(dir.string() + ": no keyword clips in the " +
                               to_string(static_cast<Split>(split)) + " split");
    }
    read_clips(dir, chosen, options.skip_bad, std::max(threads, 1), result.splits[split], result);
    if (options.silence_fraction > 0) {
      const auto n =
          static_cast<int64_t>(std::ceil(options.silence_fraction * static_cast<double>(keywords)));
      add_silence(noise, n, options.seed, split, result.splits[split]);
    }
  }
  return result;
}

}  // namespace mpgru::data
