// Listening examples of a speech-enhancement search: the first clips of a split (the test split:
// shown, never used to choose) as clean, noisy and enhanced by each given model, written as
// 16-bit WAVs with a spectrogram (SVG) each, and examples.json listing them for the run report
// (report/run_report.hpp) with each version's SI-SDR and STOI. The clips are the split's first,
// fixed before any result is known.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/se_task.hpp"

namespace mpgru::search {

// One enhancer: `predict(clip, gains)` fills steps x bands gains in [0, 1], as SeDataset::quality
// takes them.
struct Enhancer {
  std::string key;    // file-name part: "float", "8bit", "iso"
  std::string title;  // what the report calls it
  std::function<void(int64_t, float*)> predict;
};

// Writes DIR (replaced whole: staged; then the files of an earlier set that the new one does not
// replace are removed and the new ones moved in) with, for each of the first `clips` clips of
// `split`, <name>.clean.wav/.svg, <name>.noisy.wav/.svg and <name>.<key>.wav/.svg per enhancer,
// and examples.json. Throws std::invalid_argument for clips < 1 or more than the split holds, or
// naming the clip if its STOI cannot be measured (less than 30 frames of speech, about 0.4 s);
// std::runtime_error naming the file that could not be written.
void write_enhancement_examples(const data::SeDataset& dataset, data::Split split, int clips,
                                const std::vector<Enhancer>& enhancers,
                                const std::filesystem::path& dir);

}  // namespace mpgru::search
