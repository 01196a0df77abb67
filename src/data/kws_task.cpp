// The kws task: clips -> log-mel sequences -> per-feature normalisation.
#include "data/kws_task.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel_for.hpp"

namespace mpgru::data {
namespace {

Sequences features_of(const std::vector<LabelledClip>& clips, const audio::LogMel& front_end,
                      int threads) {
  Sequences out;
  out.steps = front_end.frames();
  out.features = front_end.features();
  const size_t per_clip = static_cast<size_t>(out.steps * out.features);
  out.values.resize(clips.size() * per_clip);
  out.labels.resize(clips.size());
  core::parallel_for(clips.size(), threads, [&](size_t i) {
    front_end.compute(clips[i].samples.data(), clips[i].samples.size(),
                      out.values.data() + i * per_clip);
    out.labels[i] = clips[i].label;
  });
  return out;
}

}  // namespace

KwsDataset::KwsDataset(InMemoryDataset data, FeatureNormalisation normalisation,
                       std::string front_end, int64_t skipped)
    : data_(std::move(data)),
      normalisation_(std::move(normalisation)),
      front_end_(std::move(front_end)),
      skipped_(skipped) {}

KwsDataset load_kws(const std::filesystem::path& dir, const KwsOptions& options) {
  const audio::LogMel front_end(options.front_end);
  SpeechCommandsSplits clips = load_speech_commands(dir, options.clips, options.threads);
  Sequences splits[3];
  for (int s = 0; s < 3; ++s) {
    splits[s] = features_of(clips.splits[s], front_end, options.threads);
    clips.splits[s].clear();
    clips.splits[s].shrink_to_fit();
  }
  const FeatureNormalisation n = feature_statistics(splits[0]);
  for (Sequences& s : splits) normalise(s, n);
  return KwsDataset(InMemoryDataset("kws", kSpeechCommandsClasses, std::move(splits[0]),
                                    std::move(splits[1]), std::move(splits[2])),
                    n, options.front_end.canonical(), clips.skipped);
}

}  // namespace mpgru::data
