// DIR/front_end.json beside a float checkpoint of an audio task: the front end and the training
// split's feature statistics, which a deployment applies before the model's input quantizer.
#pragma once

#include <filesystem>

#include "core/dataset.hpp"

namespace mpgru::cli {

// Writes `dir`/front_end.json for an audio task (kws, se); returns false and writes nothing for
// other tasks.
bool write_front_end(const data::Dataset& dataset, const std::filesystem::path& dir);

}  // namespace mpgru::cli
