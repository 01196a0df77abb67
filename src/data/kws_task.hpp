// Task `kws`: 12-class keyword spotting on Speech Commands (or the synthetic set written in the
// same layout), each 1 s clip turned into a sequence of log-mel frames by the audio front end
// and normalised per feature with statistics of the training split.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "audio/log_mel.hpp"
#include "core/dataset.hpp"
#include "data/feature_normalisation.hpp"
#include "data/speech_commands.hpp"

namespace mpgru::data {

struct KwsOptions {
  audio::LogMelConfig front_end;  // default: 40 log-mel bands, 30 ms window, 20 ms hop: 49 frames
  SpeechCommandsOptions clips;
  int threads = 2;  // WAV reading and feature extraction
};

class KwsDataset final : public Dataset {
 public:
  KwsDataset(InMemoryDataset data, FeatureNormalisation normalisation, std::string front_end,
             int64_t skipped);
  const std::string& name() const override { return data_.name(); }
  int num_classes() const override { return data_.num_classes(); }
  int64_t steps() const override { return data_.steps(); }
  int64_t features() const override { return data_.features(); }
  const Sequences& split(Split split) const override { return data_.split(split); }

  const FeatureNormalisation& normalisation() const { return normalisation_; }
  const std::string& front_end() const { return front_end_; }  // LogMelConfig::canonical()
  int64_t skipped() const { return skipped_; }                 // bad WAVs skipped (skip_bad)

 private:
  InMemoryDataset data_;
  FeatureNormalisation normalisation_;
  std::string front_end_;
  int64_t skipped_;
};

// Reads the Speech Commands layout in `dir`, computes features and normalises them. Throws
// naming the file on bad data (see load_speech_commands).
KwsDataset load_kws(const std::filesystem::path& dir, const KwsOptions& options = {});

}  // namespace mpgru::data
