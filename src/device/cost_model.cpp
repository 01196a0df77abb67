// Predictions from the measured per-feature costs.
#include "device/cost_model.hpp"

#include <cmath>
#include <stdexcept>

#include "core/json_file.hpp"

namespace mpgru::device {

// The JSON text of src/device/device_costs.json (device_costs.cpp, configured by CMake).
extern const char* const kBuiltinCosts;

namespace {

using nlohmann::json;

Features features_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": not an object of coefficients");
  Features f;
  for (const auto& [name, value] : j.items()) {
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      throw std::runtime_error(where + "." + name + ": not a finite number");
    }
    f[name] = value.get<double>();
  }
  return f;
}

}  // namespace

double linear_cost(const Features& coefficients, const Features& features) {
  double total = 0;
  for (const auto& [name, c] : coefficients) {
    const auto it = features.find(name);
    if (it == features.end()) {
      throw std::invalid_argument("cost model: coefficient '" + name +
                                  "' names no feature of this version (regenerate the costs: "
                                  "scripts/device_costs.sh)");
    }
    if (!exact_feature(name)) total += c * it->second;
  }
  return total;
}

CostModel CostModel::from_json(const json& j, const std::string& source) {
  CostModel m;
  try {
    m.about = j.value("about", json());
    for (const json& t : j.at("targets")) {
      const Target target = parse_target(t.at("target").get<std::string>());
      const std::string opt = t.at("opt").get<std::string>();
      const std::string where = std::string(to_string(target)) + " " + opt;
      TargetCosts c;
      c.instructions = features_from_json(t.at("instructions"), where + " instructions");
      c.flash = features_from_json(t.at("flash"), where + " flash");
      c.fit = t.value("fit", json());
      m.set(target, opt, std::move(c));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(source + ": not a device cost file: " + e.what());
  }
  return m;
}

CostModel CostModel::read(const std::filesystem::path& path) {
  return from_json(core::read_json_file(path), path.string());
}

const CostModel& CostModel::builtin() {
  static const CostModel model =
      from_json(json::parse(kBuiltinCosts), "src/device/device_costs.json (built in)");
  return model;
}

json CostModel::to_json() const {
  json targets = json::array();
  for (const auto& [key, c] : costs_) {
    targets.push_back({{"target", key.first},
                       {"opt", key.second},
                       {"instructions", c.instructions},
                       {"flash", c.flash},
                       {"fit", c.fit}});
  }
  return {{"about", about}, {"targets", targets}};
}

bool CostModel::has(Target target, const std::string& opt) const {
  return costs_.count({to_string(target), opt}) > 0;
}

void CostModel::set(Target target, const std::string& opt, TargetCosts costs) {
  costs_[{to_string(target), opt}] = std::move(costs);
}

const TargetCosts& CostModel::costs(Target target, const std::string& opt) const {
  const auto it = costs_.find({to_string(target), opt});
  if (it == costs_.end()) {
    std::string have;
    for (const auto& kv : costs_) {
      have += (have.empty() ? "" : ", ") + kv.first.first + " " + kv.first.second;
    }
    throw std::out_of_range("cost model: no costs for " + std::string(to_string(target)) + " " +
                            opt + " (it has: " + (have.empty() ? "none" : have) +
                            "; scripts/device_costs.sh measures them)");
  }
  return it->second;
}

Prediction CostModel::predict(const engine::IntegerModel& model, Target target,
                              const std::string& opt) const {
  const ModelHints hints = hints_of(model);
  return predict(shape_of(model), model.genome, target, opt, &hints);
}

Prediction CostModel::predict(const ModelShape& shape, const core::Genome& genome, Target target,
                              const std::string& opt, const ModelHints* hints) const {
  const TargetCosts& c = costs(target, opt);
  Prediction p;
  p.instructions = linear_cost(c.instructions, instruction_features(shape, genome, target, hints));
  p.flash_bytes = data_bytes(shape, genome, target) +
                  std::llround(linear_cost(c.flash, flash_features(shape, genome, target)));
  return p;
}

}  // namespace mpgru::device
