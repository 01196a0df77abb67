// How quantize and eval describe an integer model: size, footprint and genome, text or JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/model.hpp"

namespace mpgru::cli {

nlohmann::json model_json(const engine::IntegerModel& model);
// "size 33704 B (269632 bits), footprint 37714 B, genome 4444..."
std::string model_summary(const engine::IntegerModel& model);

}  // namespace mpgru::cli
