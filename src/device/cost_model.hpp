// The device cost model: a genome's instructions per time step and its flash on a target,
// predicted from the shapes and the genome alone as linear functions of the features of
// device/cost_features.hpp, with per-target coefficients measured under QEMU by
// scripts/device_costs.sh and kept in src/device/device_costs.json (compiled in: builtin()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "device/cost_features.hpp"
#include "device/model_hints.hpp"
#include "device/target.hpp"

namespace mpgru::device {

constexpr const char* kDefaultOpt = "-O2";

// The coefficients of one target at one optimisation level.
struct TargetCosts {
  Features instructions;  // per feature of instruction_features
  Features flash;         // per fitted feature of flash_features (data_bytes counts 1)
  nlohmann::json fit;     // how they were fitted (samples, errors): for readers, not used here
};

struct Prediction {
  double instructions = 0;  // per model_step (and the gains of a per-step model)
  int64_t flash_bytes = 0;  // .text + .rodata of the model and the runtime, as linked
};

class CostModel {
 public:
  // The costs compiled into mpgru (src/device/device_costs.json).
  static const CostModel& builtin();
  // Reads a costs file; throws std::runtime_error naming the file and what is wrong.
  static CostModel read(const std::filesystem::path& path);
  // Throws std::runtime_error naming `source` and the bad entry.
  static CostModel from_json(const nlohmann::json& j, const std::string& source);
  nlohmann::json to_json() const;

  bool has(Target target, const std::string& opt = kDefaultOpt) const;
  void set(Target target, const std::string& opt, TargetCosts costs);
  const TargetCosts& costs(Target target, const std::string& opt = kDefaultOpt) const;
  // Free text kept with the data (what made it, when, with which compiler).
  nlohmann::json about;

  // Throws std::invalid_argument if the shape or genome is bad, std::out_of_range if the model
  // has no costs for the target at `opt` (naming what it has).
  // `hints`: of the model built at `genome` (model_hints.hpp), or null (estimated from the bits).
  Prediction predict(const ModelShape& shape, const core::Genome& genome, Target target,
                     const std::string& opt = kDefaultOpt, const ModelHints* hints = nullptr) const;
  // The prediction for a built model: its shapes, genome and hints.
  Prediction predict(const engine::IntegerModel& model, Target target,
                     const std::string& opt = kDefaultOpt) const;

 private:
  std::map<std::pair<std::string, std::string>, TargetCosts> costs_;
};

// sum_f coefficients[f] * features[f]; a coefficient of an unknown feature throws
// std::invalid_argument (data of another feature set).
double linear_cost(const Features& coefficients, const Features& features);

}  // namespace mpgru::device
