// Size and genome of an integer model for the CLI.
#include "cli/model_report.hpp"

namespace mpgru::cli {

nlohmann::json model_json(const engine::IntegerModel& model) {
  const engine::ModelSize s = engine::model_size(model);
  return {{"genome", model.genome.to_pairs()},
          {"genome_compact", model.genome.to_compact()},
          {"layers", model.layers.size()},
          {"hidden", model.hidden()},
          {"features", model.features},
          {"classes", model.classes},
          {"weights", s.weight_count},
          {"biases", s.bias_count},
          {"size_bits", s.size_bits},
          {"size_bytes", s.size_bytes()},
          {"footprint_bytes", s.footprint_bytes},
          {"lut_bytes", s.lut_bytes},
          {"multiplier_bytes", s.multiplier_bytes}};
}

std::string model_summary(const engine::IntegerModel& model) {
  const engine::ModelSize s = engine::model_size(model);
  return "size " + std::to_string(static_cast<int64_t>(s.size_bytes())) + " B (" +
         std::to_string(s.size_bits) + " bits), footprint " + std::to_string(s.footprint_bytes) +
         " B, genome " + model.genome.to_compact();
}

}  // namespace mpgru::cli
