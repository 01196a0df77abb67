// Clean/noisy pairs to band-energy features and ideal-gain targets, and the quality of an
// enhancement measured on the waveforms.
#include "data/se_task.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "audio/resample.hpp"
#include "audio/si_sdr.hpp"
#include "audio/stoi.hpp"
#include "audio/wav_file.hpp"
#include "core/parallel_for.hpp"

namespace mpgru::data {
namespace fs = std::filesystem;

namespace {

constexpr int kRate = 16000;
constexpr float kLogFloor = 1e-6f;
const char* const kSplits[3] = {"train", "validation", "test"};

std::vector<float> read_clip(const fs::path& path, size_t samples) {
  const audio::Clip clip = audio::read_wav(path);
  std::vector<float> x = clip.sample_rate == kRate
                             ? clip.samples
                             : audio::resample(clip.samples, clip.sample_rate, kRate);
  x.resize(samples, 0.0f);
  return x;
}

// The pairs of a split folder, sorted by name; a noisy file needs its clean one.
std::vector<std::string> pair_names(const fs::path& split_dir) {
  const fs::path noisy = split_dir / "noisy";
  if (!fs::is_directory(noisy)) {
    throw std::runtime_error(noisy.string() +
                             ": missing (expected <split>/noisy/*.wav and <split>/clean/*.wav; "
                             "`mpgru data se-synth --out DIR` writes a set)");
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(noisy)) {
    if (e.path().extension() == ".wav") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) throw std::runtime_error(noisy.string() + ": no .wav files");
  for (const std::string& n : names) {
    if (!fs::exists(split_dir / "clean" / n)) {
      throw std::runtime_error((noisy / n).string() + ": no clean pair " +
                               (split_dir / "clean" / n).string());
    }
  }
  return names;
}

struct SplitData {
  Sequences sequences;
  SeClips clips;
  int64_t skipped = 0;
};

// keep_waveforms: hold the clips for quality measurements (validation and test; the training
// split's would take 160 KB per 2.5 s clip for nothing).
SplitData load_split(const fs::path& dir, const SeOptions& o, const audio::Stft& stft,
                     const audio::BandLayout& bands, bool keep_waveforms) {
  SplitData out;
  const std::vector<std::string> names = pair_names(dir);
  const auto samples = static_cast<size_t>(o.clip_samples());
  const int64_t steps = stft.frames(samples);
  const size_t per = static_cast<size_t>(steps) * static_cast<size_t>(o.bands);
  std::vector<std::vector<float>> clean(names.size()), noisy(names.size()), features(names.size()),
      gains(names.size());
  std::vector<char> bad(names.size(), 0);
  core::parallel_for(names.size(), o.threads, [&](size_t i) {
    try {
      clean[i] = read_clip(dir / "clean" / names[i], samples);
      noisy[i] = read_clip(dir / "noisy" / names[i], samples);
    } catch (const std::exception&) {
      if (!o.skip_bad) throw;
      bad[i] = 1;
      return;
    }
    const std::vector<float> e_noisy = bands.energies(stft.analyze(noisy[i]));
    const std::vector<float> e_clean = bands.energies(stft.analyze(clean[i]));
    gains[i] = ideal_gains(e_clean, e_noisy);
    features[i].resize(per);
    for (size_t k = 0; k < per; ++k) features[i][k] = std::log(e_noisy[k] + kLogFloor);
    if (!keep_waveforms) {
      clean[i] = {};
      noisy[i] = {};
    }
  });
  Sequences& s = out.sequences;
  s.steps = steps;
  s.features = o.bands;
  s.outputs = o.bands;
  for (size_t i = 0; i < names.size(); ++i) {
    if (bad[i]) {
      ++out.skipped;
      continue;
    }
    s.values.insert(s.values.end(), features[i].begin(), features[i].end());
    s.targets.insert(s.targets.end(), gains[i].begin(), gains[i].end());
    out.clips.names.push_back(names[i]);
    if (!keep_waveforms) continue;
    out.clips.clean.push_back(std::move(clean[i]));
    out.clips.noisy.push_back(std::move(noisy[i]));
  }
  if (s.count() == 0) throw std::runtime_error(dir.string() + ": no readable pairs");
  return out;
}

}  // namespace

int SeOptions::clip_samples() const {
  return static_cast<int>(std::lround(clip_seconds * stft.sample_rate));
}

std::string SeOptions::canonical() const {
  return "se;sr=" + std::to_string(stft.sample_rate) + ";win=" + std::to_string(stft.window) +
         ";hop=" + std::to_string(stft.hop) + ";bands=" + std::to_string(bands) +
         ";clip=" + std::to_string(clip_samples());
}

std::vector<float> ideal_gains(const std::vector<float>& clean_energies,
                               const std::vector<float>& noisy_energies) {
  std::vector<float> out(noisy_energies.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const double noisy = noisy_energies[i];
    out[i] = noisy < 1e-10
                 ? 1.0f
                 : static_cast<float>(std::min(1.0, std::sqrt(clean_energies[i] / noisy)));
  }
  return out;
}

nlohmann::json quality_json(const SeQuality& q) {
  return {{"clips", q.clips},
          {"si_sdr_noisy", q.si_sdr_noisy},
          {"si_sdr_enhanced", q.si_sdr_enhanced},
          {"si_sdri", q.si_sdri},
          {"si_sdri_ci95", q.si_sdri_ci95},
          {"stoi_noisy", q.stoi_noisy},
          {"stoi_enhanced", q.stoi_enhanced},
          {"stoi_enhanced_ci95", q.stoi_enhanced_ci95}};
}

SeDataset::SeDataset(Sequences splits[3], SeClips clips[3], FeatureNormalisation normalisation,
                     SeOptions options, int64_t skipped)
    : normalisation_(std::move(normalisation)),
      options_(std::move(options)),
      skipped_(skipped),
      stft_(std::make_unique<audio::Stft>(options_.stft)),
      bands_(std::make_unique<audio::BandLayout>(stft_->bins(), options_.stft.sample_rate,
                                                 options_.bands)) {
  for (int s = 0; s < 3; ++s) {
    splits_[s] = std::move(splits[s]);
    clips_[s] = std::move(clips[s]);
    splits_[s].check_shape(0);
  }
}

std::vector<float> SeDataset::enhance(Split split, int64_t clip, const float* gains) const {
  const std::vector<float>& noisy = clips(split).noisy[static_cast<size_t>(clip)];
  audio::Spectrum spectrum = stft_->analyze(noisy);
  bands_->apply_gains(std::vector<float>(gains, gains + steps() * options_.bands), spectrum);
  return stft_->synthesize(spectrum, noisy.size());
}

SeQuality SeDataset::quality(Split split, const std::function<void(int64_t, float*)>& predict,
                             int threads, bool with_stoi) const {
  const SeClips& c = clips(split);
  if (c.clean.empty()) {
    throw std::invalid_argument(std::string("se: no waveforms kept for the ") + to_string(split) +
                                " split (quality is measured on validation and test)");
  }
  const size_t n = c.clean.size();
  std::vector<double> sdr_noisy(n), sdr_enhanced(n), stoi_noisy(n), stoi_enhanced(n);
  core::parallel_for(n, threads, [&](size_t i) {
    std::vector<float> gains(static_cast<size_t>(steps() * options_.bands));
    predict(static_cast<int64_t>(i), gains.data());
    const std::vector<float> enhanced = enhance(split, static_cast<int64_t>(i), gains.data());
    sdr_noisy[i] = audio::si_sdr(c.noisy[i], c.clean[i]);
    sdr_enhanced[i] = audio::si_sdr(enhanced, c.clean[i]);
    if (!with_stoi) return;
    stoi_noisy[i] = audio::stoi(c.clean[i], c.noisy[i], kRate);
    stoi_enhanced[i] = audio::stoi(c.clean[i], enhanced, kRate);
  });
  SeQuality q;
  q.clips = static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    q.si_sdr_noisy += sdr_noisy[i] / static_cast<double>(n);
    q.si_sdr_enhanced += sdr_enhanced[i] / static_cast<double>(n);
    q.stoi_noisy += stoi_noisy[i] / static_cast<double>(n);
    q.stoi_enhanced += stoi_enhanced[i] / static_cast<double>(n);
  }
  q.si_sdri = q.si_sdr_enhanced - q.si_sdr_noisy;
  for (size_t i = 0; i < n; ++i) {
    q.si_sdri_clips.push_back(sdr_enhanced[i] - sdr_noisy[i]);
    if (with_stoi) q.stoi_improvement_clips.push_back(stoi_enhanced[i] - stoi_noisy[i]);
  }
  double var_sdri = 0, var_stoi = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = sdr_enhanced[i] - sdr_noisy[i] - q.si_sdri;
    const double e = stoi_enhanced[i] - q.stoi_enhanced;
    var_sdri += d * d;
    var_stoi += e * e;
  }
  if (n > 1) {
    const double dof = static_cast<double>(n - 1);
    const double root_n = std::sqrt(static_cast<double>(n));
    q.si_sdri_ci95 = 1.96 * std::sqrt(var_sdri / dof) / root_n;
    q.stoi_enhanced_ci95 = 1.96 * std::sqrt(var_stoi / dof) / root_n;
  }
  return q;
}

SeDataset load_se(const fs::path& dir, const SeOptions& options) {
  audio::validate(options.stft);
  const audio::Stft stft(options.stft);
  const audio::BandLayout bands(stft.bins(), options.stft.sample_rate, options.bands);
  Sequences splits[3];
  SeClips clips[3];
  int64_t skipped = 0;
  for (int s = 0; s < 3; ++s) {
    SplitData d = load_split(dir / kSplits[s], options, stft, bands, s != 0);
    splits[s] = std::move(d.sequences);
    clips[s] = std::move(d.clips);
    skipped += d.skipped;
  }
  const FeatureNormalisation n = feature_statistics(splits[0]);
  for (Sequences& s : splits) normalise(s, n);
  return SeDataset(splits, clips, n, options, skipped);
}

}  // namespace mpgru::data
