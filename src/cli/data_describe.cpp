// `mpgru data describe FILE`: a data file's splits, shapes, classes and feature ranges.
#include "cli/data_describe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "data/sequence_file.hpp"

namespace mpgru::cli {
namespace {

// Per feature over the training split: min, max, mean and standard deviation.
nlohmann::json feature_stats(const data::Sequences& s) {
  nlohmann::json out = nlohmann::json::array();
  const int64_t rows = s.count() * s.steps;
  for (int64_t f = 0; f < s.features; ++f) {
    double lo = INFINITY, hi = -INFINITY, sum = 0, sum2 = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double v = s.values[static_cast<size_t>(r * s.features + f)];
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / static_cast<double>(rows);
    const double sd = std::sqrt(std::max(0.0, sum2 / static_cast<double>(rows) - mean * mean));
    out.push_back({{"min", lo}, {"max", hi}, {"mean", mean}, {"sd", sd}});
  }
  return out;
}

nlohmann::json class_counts(const data::Sequences& s, int classes) {
  std::vector<int64_t> n(static_cast<size_t>(classes), 0);
  for (const int32_t label : s.labels) ++n[static_cast<size_t>(label)];
  return n;
}

nlohmann::json describe_json(const data::FileDataset& d) {
  nlohmann::json j = data::shape_json(d);
  j["kind"] = d.outputs() > 0      ? "sequence to sequence"
              : d.vocabulary() > 0 ? "token classification"
                                   : "classification";
  j["notes"] = data::split_notes(d);
  if (d.outputs() == 0) {
    for (const data::Split s : {data::Split::train, data::Split::validation, data::Split::test}) {
      j["class_counts"][data::to_string(s)] = class_counts(d.split(s), d.num_classes());
    }
  }
  if (d.vocabulary() == 0) j["feature_stats"] = feature_stats(d.split(data::Split::train));
  return j;
}

// Advice on the features' ranges for quantization (docs/your-data.md).
std::vector<std::string> advice(const nlohmann::json& stats) {
  std::vector<std::string> out;
  double widest = 0, narrowest = INFINITY, off_centre = 0;
  for (const auto& f : stats) {
    const double range =
        std::max(std::abs(f["min"].get<double>()), std::abs(f["max"].get<double>()));
    widest = std::max(widest, range);
    narrowest = std::min(narrowest, range);
    if (f["sd"].get<double>() > 0) {
      off_centre = std::max(off_centre, std::abs(f["mean"].get<double>()) / f["sd"].get<double>());
    }
  }
  if (narrowest > 0 && widest / narrowest > 20) {
    out.push_back("feature ranges differ by " +
                  std::to_string(static_cast<int>(widest / narrowest)) +
                  "x: the input shares one scale, so narrow features get few levels at low bits; "
                  "standardise each feature (training mean and sd)");
  }
  if (off_centre > 5) {
    out.push_back("a feature's mean is " + std::to_string(static_cast<int>(off_centre)) +
                  " standard deviations from 0: subtract the training mean");
  }
  return out;
}

void print_text(const data::FileDataset& d, const nlohmann::json& j) {
  for (const std::string& line : data::split_notes(d)) std::cout << line << '\n';
  const data::SequenceFileInfo& info = d.info();
  if (!info.description.empty()) std::cout << "description: " << info.description << '\n';
  if (!info.features.empty()) std::cout << "features: " << info.features << '\n';
  std::cout << j["kind"].get<std::string>() << ": " << d.steps() << " steps x "
            << (d.vocabulary() > 0
                    ? "1 token id (vocabulary " + std::to_string(d.vocabulary()) + ")"
                    : std::to_string(d.features()) + " features");
  if (d.outputs() > 0) {
    std::cout << " -> " << d.outputs() << " targets per step\n";
  } else {
    std::cout << " -> " << d.num_classes() << " classes";
    if (!info.class_names.empty()) {
      std::string names;
      for (const std::string& n : info.class_names) names += (names.empty() ? "" : ", ") + n;
      std::cout << " (" << names << ")";
    }
    std::cout << "\nper class (train / validation / test):";
    for (int c = 0; c < d.num_classes(); ++c) {
      std::cout << ' ' << j["class_counts"]["train"][c].get<int64_t>() << '/'
                << j["class_counts"]["validation"][c].get<int64_t>() << '/'
                << j["class_counts"]["test"][c].get<int64_t>();
    }
    std::cout << '\n';
  }
  if (!j.contains("feature_stats")) return;
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& f : j["feature_stats"]) {
    lo = std::min(lo, f["min"].get<double>());
    hi = std::max(hi, f["max"].get<double>());
  }
  char line[128];
  std::snprintf(line, sizeof line, "training features span [%.4g, %.4g]", lo, hi);
  std::cout << line << '\n';
  for (const std::string& a : advice(j["feature_stats"])) std::cout << "advice: " << a << '\n';
}

}  // namespace

CLI::App* add_data_describe(CLI::App* data, DescribeArgs& args) {
  CLI::App* app = data->add_subcommand(
      "describe",
      "Read a data file (.npz, .pt: task file) as mpgru does and say what it holds: splits, "
      "shapes, classes, feature ranges, where a missing split comes from");
  app->add_option("file", args.file, "The data file")->required();
  app->add_flag("--json", args.json, "Print the description as JSON");
  return app;
}

int run_data_describe(const DescribeArgs& args) {
  const data::FileDataset d = data::load_sequence_file(args.file);
  const nlohmann::json j = describe_json(d);
  if (args.json) {
    std::cout << j.dump(2) << '\n';
  } else {
    print_text(d, j);
  }
  return kExitOk;
}

}  // namespace mpgru::cli
