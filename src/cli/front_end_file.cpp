// The front end of an audio task, as train and import record it.
#include "cli/front_end_file.hpp"

#include "core/json_file.hpp"
#include "data/kws_task.hpp"
#include "data/se_task.hpp"

namespace mpgru::cli {

bool write_front_end(const data::Dataset& dataset, const std::filesystem::path& dir) {
  if (const auto* se = dynamic_cast<const data::SeDataset*>(&dataset); se != nullptr) {
    core::write_json_file({{"front_end", se->options().canonical()},
                           {"features", "log(band energy + 1e-6) of the noisy STFT frame"},
                           {"outputs", "band gains in [0, 1], interpolated onto the FFT bins"},
                           {"normalisation", "(x - mean) / stddev per feature"},
                           {"mean", se->normalisation().mean},
                           {"stddev", se->normalisation().stddev}},
                          dir / "front_end.json");
    return true;
  }
  const auto* kws = dynamic_cast<const data::KwsDataset*>(&dataset);
  if (kws == nullptr) return false;
  core::write_json_file({{"front_end", kws->front_end()},
                         {"normalisation", "(x - mean) / stddev per feature"},
                         {"mean", kws->normalisation().mean},
                         {"stddev", kws->normalisation().stddev}},
                        dir / "front_end.json");
  return true;
}

}  // namespace mpgru::cli
