// WAVs, spectrograms and examples.json of a speech-enhancement run.
#include "search/enhancement_examples.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/si_sdr.hpp"
#include "audio/spectrogram.hpp"
#include "audio/stoi.hpp"
#include "audio/wav_file.hpp"
#include "core/json_file.hpp"
#include "core/staged_folder.hpp"
#include "report/spectrogram_plot.hpp"

namespace mpgru::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kDynamicRangeDb = 80;  // the figures' colour range below the clean clip's peak

struct Version {
  std::string key, title;
  std::vector<float> samples;
};

// Writes one version's WAV and spectrogram into `staging`; returns its examples.json entry.
json write_version(const Version& v, const std::string& stem, const std::vector<float>& clean,
                   const audio::Stft& stft, double ceiling, const fs::path& staging,
                   int sample_rate) {
  const std::string wav = stem + "." + v.key + ".wav", svg = stem + "." + v.key + ".svg";
  audio::write_wav_pcm16(staging / wav, v.samples, sample_rate);
  const audio::Spectrogram s = audio::log_spectrogram(stft, v.samples);
  report::write_spectrogram_svg(s.db, s.frames, s.bins, s.hop_seconds, s.max_hz,
                                stem + ": " + v.title, ceiling - kDynamicRangeDb, ceiling,
                                staging / svg);
  json j = {{"key", v.key}, {"title", v.title}, {"wav", wav}, {"svg", svg}};
  if (v.key != "clean") {
    try {
      j["si_sdr"] = audio::si_sdr(v.samples, clean);
      j["stoi"] = audio::stoi(clean, v.samples, sample_rate);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("examples: " + stem + " (" + v.title + "): " + e.what());
    }
  }
  return j;
}

// The versions of one clip: clean, noisy, then each enhancer's output.
std::vector<Version> versions(const data::SeDataset& dataset, data::Split split, int64_t clip,
                              const std::vector<Enhancer>& enhancers) {
  const data::SeClips& c = dataset.clips(split);
  std::vector<Version> out = {{"clean", "clean", c.clean[static_cast<size_t>(clip)]},
                              {"noisy", "noisy (input)", c.noisy[static_cast<size_t>(clip)]}};
  const auto gains_size = static_cast<size_t>(dataset.steps() * dataset.outputs());
  for (const Enhancer& e : enhancers) {
    std::vector<float> gains(gains_size);
    e.predict(clip, gains.data());
    out.push_back({e.key, e.title, dataset.enhance(split, clip, gains.data())});
  }
  return out;
}

// Removes the regular files of `dir` that `staging` does not replace (an earlier run's clips or
// enhancers), so the folder holds exactly the new set once the staging folder is committed.
void remove_other_files(const fs::path& dir, const fs::path& staging) {
  std::vector<fs::path> stale;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && !fs::exists(staging / e.path().filename()))
      stale.push_back(e.path());
  }
  for (const fs::path& p : stale) fs::remove(p);
}

}  // namespace

void write_enhancement_examples(const data::SeDataset& dataset, data::Split split, int clips,
                                const std::vector<Enhancer>& enhancers, const fs::path& dir) {
  const data::SeClips& c = dataset.clips(split);
  if (clips < 1 || static_cast<size_t>(clips) > c.clean.size()) {
    throw std::invalid_argument("examples: " + std::to_string(clips) + " clips asked, the " +
                                data::to_string(split) + " split holds " +
                                std::to_string(c.clean.size()));
  }
  fs::create_directories(dir);
  core::StagedFolder staged(dir);
  const audio::Stft stft(dataset.options().stft);
  const int rate = dataset.options().stft.sample_rate;
  json doc = {{"split", data::to_string(split)}, {"clips", json::array()}};
  for (int64_t i = 0; i < clips; ++i) {
    const std::string stem = "clip" + std::to_string(i);
    const audio::Spectrogram clean = audio::log_spectrogram(stft, c.clean[static_cast<size_t>(i)]);
    const double ceiling = *std::max_element(clean.db.begin(), clean.db.end());
    json entry = {{"name", c.names[static_cast<size_t>(i)]}, {"versions", json::array()}};
    for (const Version& v : versions(dataset, split, i, enhancers)) {
      entry["versions"].push_back(write_version(v, stem, c.clean[static_cast<size_t>(i)], stft,
                                                ceiling, staged.path(), rate));
    }
    doc["clips"].push_back(entry);
  }
  core::write_json_file(doc, staged.path() / "examples.json");
  remove_other_files(dir, staged.path());
  staged.commit();
}

}  // namespace mpgru::search
