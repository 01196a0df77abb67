// Task `se`: speech enhancement, sequence to sequence. Each noisy clip becomes a sequence of STFT
// frames (20 ms sqrt-Hann, 10 ms hop, 16 kHz); a frame's features are the log energies of its
// bands (24 mel-spaced triangular bands), standardised with the training split's statistics; its
// targets are the bands' ideal ratio gains min(1, sqrt(E_clean / E_noisy)). A model predicts the
// gains (through a sigmoid); they are interpolated onto the FFT bins of the noisy spectrum and
// the clip resynthesised by overlap-add. Quality: SI-SDR improvement and STOI against the clean
// clip.
//
// Data layout (se-synth's, and how to arrange VoiceBank+DEMAND): DIR/<split>/noisy/<name>.wav and
// DIR/<split>/clean/<name>.wav for split in train, validation, test; any sample rate (resampled
// to 16 kHz), mono; clips cut or zero-padded to clip_seconds.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/stft.hpp"
#include "core/dataset.hpp"
#include "data/feature_normalisation.hpp"
#include "data/task.hpp"

namespace mpgru::data {

struct SeOptions {
  audio::StftConfig stft;  // 20 ms window, 10 ms hop at 16 kHz
  int bands = 24;
  double clip_seconds = 2.5;
  int threads = 2;
  bool skip_bad = false;  // skip unreadable pairs (counted) instead of failing
  int clip_samples() const;
  // "se;sr=16000;win=320;hop=160;bands=24;clip=40000", for model files and reports.
  std::string canonical() const;
};

// The waveforms of a split, 16 kHz, clip_samples each, in sequence order (validation and test;
// the training split keeps its names only).
struct SeClips {
  std::vector<std::string> names;
  std::vector<std::vector<float>> clean, noisy;
};

// Mean quality over a split's clips.
struct SeQuality {
  int64_t clips = 0;
  double si_sdr_noisy = 0;     // dB, the input
  double si_sdr_enhanced = 0;  // dB
  double si_sdri = 0;          // dB, enhanced - noisy
  double stoi_noisy = 0;
  double stoi_enhanced = 0;
  // Half-widths of the 95 % intervals of the means over clips (1.96 x the standard error), for
  // the SI-SDR improvement and the enhanced STOI.
  double si_sdri_ci95 = 0;
  double stoi_enhanced_ci95 = 0;
  // Each clip's SI-SDR improvement (dB) and STOI improvement (enhanced - noisy), in clip order;
  // the STOI ones (and the STOI means) are empty (0) when STOI was not measured.
  std::vector<double> si_sdri_clips, stoi_improvement_clips;
};

// {"clips", "si_sdr_noisy", "si_sdr_enhanced", "si_sdri", "si_sdri_ci95", "stoi_noisy",
// "stoi_enhanced", "stoi_enhanced_ci95"}.
nlohmann::json quality_json(const SeQuality& quality);

class SeDataset final : public Dataset {
 public:
  SeDataset(Sequences splits[3], SeClips clips[3], FeatureNormalisation normalisation,
            SeOptions options, int64_t skipped);

  const std::string& name() const override { return name_; }
  int num_classes() const override { return 0; }
  int64_t steps() const override { return splits_[0].steps; }
  int64_t features() const override { return splits_[0].features; }
  int64_t outputs() const override { return splits_[0].outputs; }
  const Sequences& split(Split split) const override { return splits_[static_cast<int>(split)]; }

  const SeClips& clips(Split split) const { return clips_[static_cast<int>(split)]; }
  const FeatureNormalisation& normalisation() const { return normalisation_; }
  const SeOptions& options() const { return options_; }
  int64_t skipped() const { return skipped_; }

  // The clip enhanced with `gains` (steps x bands, each in [0, 1]).
  std::vector<float> enhance(Split split, int64_t clip, const float* gains) const;
  // Mean SI-SDR and STOI of a split's clips enhanced with the gains `predict` writes for each
  // (predict(clip, gains) fills steps x bands), on `threads` threads. Validation or test only
  // (std::invalid_argument for train). with_stoi false: SI-SDR only (STOI costs as much again).
  SeQuality quality(Split split, const std::function<void(int64_t, float*)>& predict, int threads,
                    bool with_stoi = true) const;

 private:
  std::string name_ = "se";
  Sequences splits_[3];
  SeClips clips_[3];
  FeatureNormalisation normalisation_;
  SeOptions options_;
  int64_t skipped_ = 0;
  // Planned once, shared by every enhancement (their analyze/synthesize are thread-safe).
  std::unique_ptr<audio::Stft> stft_;
  std::unique_ptr<audio::BandLayout> bands_;
};

// Reads DIR's three splits, computes features and targets, normalises. Throws std::runtime_error
// naming the file (an unreadable WAV, a noisy file without its clean pair, an empty split).
SeDataset load_se(const std::filesystem::path& dir, const SeOptions& options = {});

// The ideal ratio gains of each frame's bands: min(1, sqrt(E_clean / E_noisy)), 1 where the noisy
// band is silent (below 1e-10).
std::vector<float> ideal_gains(const std::vector<float>& clean_energies,
                               const std::vector<float>& noisy_energies);

}  // namespace mpgru::data
