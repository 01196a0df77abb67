// The front end of an audio task, as train and import record it.
#include "cli/front_end_file.hpp"

#include "core/json_file.hpp"
#include "data/kws_task.hpp"

namespace mpgru::cli {

bool write_front_end(const data::Dataset& dataset, const std::filesystem::path& dir) {
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
