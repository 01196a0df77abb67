// `mpgru cost`: the device cost model (src/device): a model's predicted instructions per step and
// flash on each target; fitting the costs to QEMU measurements (scripts/device_costs.sh) and
// checking predictions against measurements.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/command.hpp"
#include "core/json_file.hpp"
#include "device/cost_fit.hpp"
#include "device/cost_model.hpp"
#include "engine/model_file.hpp"

namespace mpgru::cli {
namespace {

struct CostArgs {
  std::vector<std::string> models;
  std::string target = "all";
  std::string opt = device::kDefaultOpt;
  std::string costs;  // empty: the built-in costs
  std::string fit;    // measurements to fit
  std::string check;  // measurements to check
  std::string out;
  std::string note;
  double bar = 0.05;
  bool json = false;
  bool features = false;
  bool describe = false;
};

// A measurements file's columns: the target, the model (its shape and genome) and what QEMU
// measured, so that the costs can be fitted again without the models.
constexpr const char* kMeasurementColumns =
    "target,opt,set,label,features,vocabulary,hidden,layers,outputs,per_step,input_signed,genome,"
    "hints,instructions,flash_bytes";

// The shape and genome columns of a model (features .. genome).
std::string describe(const engine::IntegerModel& model) {
  const device::ModelShape s = device::shape_of(model);
  return std::to_string(s.features) + ',' + std::to_string(s.vocabulary) + ',' +
         std::to_string(s.hidden) + ',' + std::to_string(s.layers) + ',' +
         std::to_string(s.outputs) + ',' + (s.per_step ? "1" : "0") + ',' +
         (s.input_signed ? "1" : "0") + ',' + model.genome.to_compact() + ',' +
         device::to_string(device::hints_of(model));
}

struct Measurement {
  std::string target, opt, set, label;
  device::ModelShape shape;
  core::Genome genome = core::Genome::homogeneous({}, 8);
  device::ModelHints hints;
  double instructions = 0, flash_bytes = 0;
};

std::vector<Measurement> read_measurements(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::vector<Measurement> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number == 1) {
      if (line != kMeasurementColumns) {
        throw std::runtime_error(path + ": the header is not '" + std::string(kMeasurementColumns) +
                                 "'");
      }
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
    const std::string where = path + ":" + std::to_string(number);
    if (cells.size() != 15) throw std::runtime_error(where + ": not 15 columns");
    Measurement m;
    m.target = cells[0];
    m.opt = cells[1];
    m.set = cells[2];
    m.label = cells[3];
    try {
      m.shape.features = std::stoi(cells[4]);
      m.shape.vocabulary = std::stoi(cells[5]);
      m.shape.hidden = std::stoi(cells[6]);
      m.shape.layers = std::stoi(cells[7]);
      m.shape.outputs = std::stoi(cells[8]);
      m.shape.per_step = cells[9] == "1";
      m.shape.input_signed = cells[10] == "1";
      m.genome = core::Genome::parse(device::genome_layout(m.shape), cells[11]);
      m.hints = device::parse_hints(cells[12]);
      m.instructions = std::stod(cells[13]);
      m.flash_bytes = std::stod(cells[14]);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
    out.push_back(m);
  }
  return out;
}

device::CostModel costs_of(const CostArgs& args) {
  return args.costs.empty() ? device::CostModel::builtin() : device::CostModel::read(args.costs);
}

std::vector<device::Target> targets_of(const std::string& text) {
  if (text == "all") return device::all_targets();
  return {device::parse_target(text, "--target")};
}

int run_fit(const CostArgs& args) {
  if (args.out.empty()) throw std::invalid_argument("--fit needs --out FILE");
  std::map<std::pair<std::string, std::string>, std::vector<device::CostSample>> groups;
  for (const Measurement& m : read_measurements(args.fit)) {
    if (m.set != "fit") continue;
    groups[{m.target, m.opt}].push_back(
        {m.shape, m.genome, m.instructions, m.flash_bytes, m.hints});
  }
  if (groups.empty()) throw std::invalid_argument(args.fit + ": no rows of set 'fit'");
  device::CostModel model;
  model.about = {{"note", args.note}};
  for (const auto& [key, samples] : groups) {
    const device::Target target = device::parse_target(key.first, args.fit);
    device::TargetCosts costs = device::fit_costs(samples, target);
    std::cout << key.first << ' ' << key.second << ": " << samples.size()
              << " samples, max relative error on them: instructions "
              << costs.fit.at("max_relative_error_instructions").get<double>() << ", flash "
              << costs.fit.at("max_relative_error_flash").get<double>() << '\n';
    model.set(target, key.second, std::move(costs));
  }
  core::write_json_file(model.to_json(), args.out);
  return kExitOk;
}

// Markdown: per target and opt, each checked model's prediction against its measurement.
int run_check(const CostArgs& args) {
  const device::CostModel costs = costs_of(args);
  std::map<std::pair<std::string, std::string>, std::vector<Measurement>> groups;
  for (const Measurement& m : read_measurements(args.check)) {
    if (m.set == "check") groups[{m.target, m.opt}].push_back(m);
  }
  if (groups.empty()) throw std::invalid_argument(args.check + ": no rows of set 'check'");
  bool within = true;
  char buffer[512];
  for (const auto& [key, rows] : groups) {
    const device::Target target = device::parse_target(key.first, args.check);
    std::cout << "\n### " << key.first << ", " << key.second << "\n\n"
              << "| shape | genome | measured instr. | predicted | error | measured flash B | "
                 "predicted | error |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    std::map<std::string, std::vector<double>> errors, flash_errors;
    for (const Measurement& m : rows) {
      const device::Prediction p = costs.predict(m.shape, m.genome, target, key.second, &m.hints);
      const double e = p.instructions / m.instructions - 1;
      const double fe = static_cast<double>(p.flash_bytes) / m.flash_bytes - 1;
      errors[m.label].push_back(e);
      flash_errors[m.label].push_back(fe);
      within = within && std::fabs(e) <= args.bar && std::fabs(fe) <= args.bar;
      std::snprintf(buffer, sizeof buffer,
                    "| %s | `%s` | %.0f | %.0f | %+.2f %% | %.0f | %lld | %+.2f %% |\n",
                    m.label.c_str(), m.genome.to_compact().c_str(), m.instructions, p.instructions,
                    100 * e, m.flash_bytes, static_cast<long long>(p.flash_bytes), 100 * fe);
      std::cout << buffer;
    }
    std::cout << "\n| shape | genomes | instructions: max abs error | median abs | flash: max abs "
                 "error | median abs |\n|---|---:|---:|---:|---:|---:|\n";
    for (const auto& [label, e] : errors) {
      const auto stats = [](std::vector<double> v) {
        for (double& x : v) x = std::fabs(x);
        std::sort(v.begin(), v.end());
        const size_t n = v.size();
        const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return std::make_pair(v.back(), median);
      };
      const auto [max_e, median_e] = stats(e);
      const auto [max_f, median_f] = stats(flash_errors[label]);
      std::snprintf(buffer, sizeof buffer, "| %s | %zu | %.2f %% | %.2f %% | %.2f %% | %.2f %% |\n",
                    label.c_str(), e.size(), 100 * max_e, 100 * median_e, 100 * max_f,
                    100 * median_f);
      std::cout << buffer;
    }
  }
  return within ? kExitOk : kExitFailure;
}

int run_describe(const CostArgs& args) {
  for (const std::string& path : args.models) {
    std::cout << describe(engine::load_model(path)) << '\n';
  }
  return kExitOk;
}

int run_predict(const CostArgs& args) {
  if (args.describe) return run_describe(args);
  if (args.models.empty()) {
    throw std::invalid_argument("name a model (.mpq), or --fit / --check a measurements file");
  }
  const device::CostModel costs = costs_of(args);
  const std::vector<device::Target> targets = targets_of(args.target);
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& path : args.models) {
    const engine::IntegerModel model = engine::load_model(path);
    for (device::Target t : targets) {
      const device::Prediction p = costs.predict(model, t, args.opt);
      out.push_back({{"model", path},
                     {"genome", model.genome.to_compact()},
                     {"target", device::to_string(t)},
                     {"opt", args.opt},
                     {"instructions_per_step", std::llround(p.instructions)},
                     {"flash_bytes", p.flash_bytes}});
      if (args.features) {
        // Each feature's value and its share of the prediction (value x cost).
        const device::ModelHints hints = device::hints_of(model);
        const device::Features f =
            device::instruction_features(device::shape_of(model), model.genome, t, &hints);
        const device::Features& c = costs.costs(t, args.opt).instructions;
        for (const auto& [name, value] : f) {
          const auto it = c.find(name);
          out.back()["features"][name] = {value, it == c.end() ? 0.0 : value * it->second};
        }
      }
      if (!args.json && !args.features) {
        std::cout << path << ' ' << device::to_string(t) << ' ' << args.opt
                  << ": instructions_per_step " << std::llround(p.instructions) << " flash_bytes "
                  << p.flash_bytes << '\n';
      }
    }
  }
  if (args.json || args.features) std::cout << out.dump(2) << '\n';
  return kExitOk;
}

}  // namespace

Command add_cost_command(CLI::App& parent) {
  auto args = std::make_shared<CostArgs>();
  CLI::App* app = parent.add_subcommand(
      "cost",
      "The device cost model: a model's predicted instructions per step and flash on each "
      "target (cortex-m4, cortex-m55); --fit and --check: the costs against QEMU measurements "
      "(scripts/device_costs.sh)");
  app->add_option("models", args->models, "Integer models (.mpq) to predict");
  app->add_option("--target", args->target, "cortex-m4, cortex-m55 or all")->capture_default_str();
  app->add_option("--opt", args->opt, "Optimisation level the costs were measured at")
      ->capture_default_str();
  app->add_option("--costs", args->costs,
                  "A costs file (JSON, as --fit writes) instead of the built-in costs");
  app->add_option("--fit", args->fit,
                  "Fit the costs to a measurements file (" + std::string(kMeasurementColumns) +
                      "; rows of set 'fit') and write them to --out");
  app->add_option("--check", args->check,
                  "Predict every row of set 'check' of a measurements file and print the errors "
                  "(markdown); exit 1 if any exceeds --bar");
  app->add_option("-o,--out", args->out, "Where --fit writes the costs (JSON)");
  app->add_option("--note", args->note, "Free text stored with the fitted costs");
  app->add_option("--bar", args->bar, "Relative error --check accepts")->capture_default_str();
  app->add_flag("--json", args->json, "Print the predictions as JSON");
  app->add_flag("--describe", args->describe,
                "Print each model's shape and genome as a measurements file's columns "
                "(features,vocabulary,hidden,layers,outputs,per_step,input_signed,genome,hints)");
  app->add_flag("--features", args->features,
                "Print each instruction feature's value and its share of the prediction (JSON)");
  return {app, [args] {
            if (!args->fit.empty()) return run_fit(*args);
            if (!args->check.empty()) return run_check(*args);
            return run_predict(*args);
          }};
}

}  // namespace mpgru::cli
