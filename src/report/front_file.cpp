// front.json, front.csv, baseline.csv and evaluated.csv: writing and reading.
#include "report/front_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/json_file.hpp"
#include "core/text_file.hpp"
#include "report/headline.hpp"

namespace mpgru::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json layout_json(const core::GenomeLayout& layout) {
  json j = {{"layers", layout.layers}, {"embedding", layout.embedding}};
  if (layout.per_step) j["per_step"] = true;  // absent for classifiers, as in older runs
  return j;
}

// The layout of a "name=bits" genome: an emb gene means an embedding, a gain gene a per-step
// head, every w_i.r gene a layer.
// (front.json of older runs names no layout.)
core::GenomeLayout infer_layout(const std::string& pairs) {
  core::GenomeLayout layout;
  layout.layers = 0;
  std::stringstream s(pairs);
  std::string token;
  while (std::getline(s, token, ',')) {
    const std::string name = token.substr(0, token.find('='));
    if (name == "emb") layout.embedding = true;
    if (name == "gain") layout.per_step = true;
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, "w_i.r") == 0) ++layout.layers;
  }
  layout.layers = std::max(layout.layers, 1);  // Genome::parse then names what is missing
  return layout;
}

json device_json(const std::vector<DeviceCost>& costs) {
  json j = json::array();
  for (const DeviceCost& c : costs) {
    j.push_back({{"target", c.target},
                 {"instructions_per_step", c.instructions},
                 {"flash_bytes", c.flash_bytes}});
  }
  return j;
}

std::vector<DeviceCost> parse_device(const json& j) {
  std::vector<DeviceCost> costs;
  for (const json& c : j) {
    DeviceCost d{c.at("target").get<std::string>(), c.at("instructions_per_step").get<int64_t>(),
                 c.at("flash_bytes").get<int64_t>()};
    if (d.target.empty() || d.instructions <= 0 || d.flash_bytes <= 0) {
      throw std::runtime_error("implausible device costs " + c.dump());
    }
    costs.push_back(d);
  }
  return costs;
}

json point_json(const ScoredGenome& g) {
  return {{"genome", g.genome.to_pairs()},
          {"compact", g.genome.to_compact()},
          {"val_accuracy", g.val_accuracy},
          {"val_count", g.val_count},
          {"test_accuracy", g.test_accuracy},
          {"test_count", g.test_count},
          {"size_bits", g.size_bits},
          {"footprint_bytes", g.footprint_bytes},
          {"bops", g.bops},
          {"test_only_this", g.test_only_this},
          {"test_only_eight", g.test_only_eight},
          {"device", device_json(g.device)}};
}

// A point with its quality intervals (quality metrics only).
json point_json(const ScoredGenome& g, const Metric& metric) {
  json j = point_json(g);
  if (!metric.is_accuracy()) {
    j["val_ci95"] = g.val_ci95;
    j["test_ci95"] = g.test_ci95;
    j["test_difference_ci95"] = g.test_difference_ci95;
  }
  return j;
}

ScoredGenome parse_point(const json& j, const json& layout, const Metric& metric) {
  ScoredGenome g;
  const std::string pairs = j.at("genome").get<std::string>();
  core::GenomeLayout l = infer_layout(pairs);
  if (!layout.is_null()) {
    l.layers = layout.at("layers").get<int>();
    l.embedding = layout.at("embedding").get<bool>();
    l.per_step = layout.value("per_step", false);
  }
  g.genome = core::Genome::parse(l, pairs);
  g.val_accuracy = j.at("val_accuracy").get<double>();
  g.val_count = j.value("val_count", int64_t{0});
  g.test_accuracy = j.at("test_accuracy").get<double>();
  g.test_count = j.value("test_count", int64_t{0});
  g.size_bits = j.at("size_bits").get<int64_t>();
  g.footprint_bytes = j.at("footprint_bytes").get<int64_t>();
  g.bops = j.at("bops").get<int64_t>();
  g.test_only_this = j.value("test_only_this", int64_t{-1});
  g.test_only_eight = j.value("test_only_eight", int64_t{-1});
  g.val_ci95 = j.value("val_ci95", -1.0);
  g.test_ci95 = j.value("test_ci95", -1.0);
  g.test_difference_ci95 = j.value("test_difference_ci95", -1.0);
  if (j.contains("device")) g.device = parse_device(j.at("device"));
  const auto accuracy_ok = [&](double a) {
    return metric.is_accuracy() ? a >= 0 && a <= 1 : std::isfinite(a);
  };
  if (!accuracy_ok(g.val_accuracy) || !accuracy_ok(g.test_accuracy) || g.size_bits <= 0 ||
      g.bops < 0 || g.val_count < 0 || g.test_count < 0) {
    throw std::runtime_error("implausible genome entry " + j.dump());
  }
  return g;
}

json interval_json(const Interval& i) {
  return json::array({i.low, i.high});
}

json pick_json(const Pick& p, const Metric& metric) {
  json j = {{"genome", p.genome->genome.to_compact()},
            {"size_reduction", p.size_reduction},
            {"bops_reduction", p.bops_reduction},
            {"val_accuracy", p.genome->val_accuracy},
            {"val_interval95", interval_json(p.val_interval)},
            {"test_accuracy", p.genome->test_accuracy},
            {"test_interval95", interval_json(p.test_interval)},
            {"test_difference", p.test_difference},
            {"device", device_json(p.genome->device)}};
  if (p.paired) {
    j["test_difference_interval95"] = interval_json(p.test_difference_interval);
    if (metric.is_accuracy()) j["mcnemar_p"] = p.mcnemar_p;
  }
  return j;
}

json headline_json(const FrontFile& f) {
  const Headline h = headline(f.front, f.baseline, f.bops_objective(), f.metric);
  const std::string what = f.metric.is_accuracy() ? "accuracy" : f.metric.label();
  json j = {
      {"rule", "picked on validation: the smallest (fewest-BOPs) front genome whose validation " +
                   what + " is at most " + f.metric.tolerance_text() +
                   " below homogeneous 8-bit's; test only reported"},
      {"eight_bit", h.eight->genome.to_compact()},
      {"hypervolume_validation",
       {{"front", h.validation.front}, {"baseline", h.validation.baseline}}},
      {"hypervolume_test", {{"front", h.test.front}, {"baseline", h.test.baseline}}}};
  // The keys keep their names for every metric (readers look them up by name).
  if (h.size) j["iso_accuracy_size"] = pick_json(*h.size, f.metric);
  if (h.bops) j["iso_accuracy_bops"] = pick_json(*h.bops, f.metric);
  return j;
}

std::string csv(const std::vector<ScoredGenome>& points, const Metric& metric) {
  const std::string score = metric.column();
  const bool quality = !metric.is_accuracy();
  const std::vector<std::string> targets = device_targets(points);
  std::ostringstream out;
  out.precision(17);
  out << "genome,genome_pairs,val_" << score << ",val_count,test_" << score
      << ",test_count,size_bits,size_bytes,footprint_bytes,bops,test_only_this,test_only_eight"
      << (quality ? ",val_ci95,test_ci95,test_difference_ci95" : "");
  for (const std::string& t : targets)
    out << ',' << t << "_instructions_per_step," << t << "_flash_bytes";
  out << '\n';
  for (const ScoredGenome& g : points) {
    out << g.genome.to_compact() << ",\"" << g.genome.to_pairs() << "\"," << g.val_accuracy << ','
        << g.val_count << ',' << g.test_accuracy << ',' << g.test_count << ',' << g.size_bits << ','
        << g.size_bits / 8 << ',' << g.footprint_bytes << ',' << g.bops << ',' << g.test_only_this
        << ',' << g.test_only_eight;
    if (quality) out << ',' << g.val_ci95 << ',' << g.test_ci95 << ',' << g.test_difference_ci95;
    for (const std::string& t : targets) {
      const auto c = std::find_if(g.device.begin(), g.device.end(),
                                  [&t](const DeviceCost& d) { return d.target == t; });
      if (c == g.device.end()) {
        out << ",,";
      } else {
        out << ',' << c->instructions << ',' << c->flash_bytes;
      }
    }
    out << '\n';
  }
  return out.str();
}

}  // namespace

std::vector<std::string> device_targets(const std::vector<ScoredGenome>& points) {
  std::vector<std::string> targets;
  for (const ScoredGenome& g : points) {
    for (const DeviceCost& c : g.device) {
      if (std::find(targets.begin(), targets.end(), c.target) == targets.end()) {
        targets.push_back(c.target);
      }
    }
  }
  return targets;
}

void write_front_files(const FrontFile& f, const fs::path& run_dir) {
  const fs::path path = run_dir / "front.json";
  if (f.baseline.empty()) {
    throw std::invalid_argument(path.string() + ": needs the homogeneous baseline");
  }
  for (const auto* points : {&f.front, &f.baseline}) {
    for (const ScoredGenome& g : *points) {
      if (!std::isfinite(g.val_accuracy) || !std::isfinite(g.test_accuracy)) {
        throw std::invalid_argument(path.string() + ": genome " + g.genome.to_compact() +
                                    " has a score that is not a finite number");
      }
    }
  }
  json headline_figures;
  try {
    headline_figures = headline_json(f);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path.string() + ": " + e.what());
  }
  json doc = {{"task", f.task},
              {"checkpoint_hash", f.checkpoint_hash},
              {"config", f.config},
              {"layout", layout_json(f.baseline.front().genome.layout())},
              {"evaluations", f.evaluations},
              {"session_evaluations", f.session_evaluations},
              {"session_cache_hits", f.session_cache_hits},
              {"seconds", f.seconds},
              {"metric", to_json(f.metric)},
              {"headline", headline_figures},
              {"front", json::array()},
              {"baseline", json::array()}};
  if (!f.effort.empty()) doc["effort"] = f.effort;
  for (const ScoredGenome& g : f.front) doc["front"].push_back(point_json(g, f.metric));
  for (const ScoredGenome& g : f.baseline) doc["baseline"].push_back(point_json(g, f.metric));
  core::write_text_file(csv(f.front, f.metric), run_dir / "front.csv");
  core::write_text_file(csv(f.baseline, f.metric), run_dir / "baseline.csv");
  // Last: front.json marks a finished run.
  core::write_json_file(doc, path);
}

FrontFile read_front_file(const fs::path& path) {
  const json doc = core::read_json_file(path);
  FrontFile f;
  try {
    f.task = doc.at("task").get<std::string>();
    f.checkpoint_hash = doc.value("checkpoint_hash", std::string());
    f.config = doc.at("config");
    if (!f.config.is_object()) throw std::runtime_error("'config' is not an object");
    const json layout = doc.value("layout", json());
    f.metric = metric_from_json(doc.value("metric", json()));
    for (const json& j : doc.at("front")) f.front.push_back(parse_point(j, layout, f.metric));
    for (const json& j : doc.at("baseline")) f.baseline.push_back(parse_point(j, layout, f.metric));
    if (f.baseline.empty()) throw std::runtime_error("no homogeneous baseline");
    // Older runs: "evaluations" was the last session's count and "cache_hits" its hits.
    const bool old = !doc.contains("session_evaluations");
    f.session_evaluations = doc.at(old ? "evaluations" : "session_evaluations").get<int64_t>();
    f.session_cache_hits = doc.value(old ? "cache_hits" : "session_cache_hits", int64_t{0});
    f.evaluations = old ? -1 : doc.at("evaluations").get<int64_t>();
    f.seconds = doc.at("seconds").get<double>();
    f.effort = doc.value("effort", json::object());
    if (!f.effort.is_object()) throw std::runtime_error("'effort' is not an object");
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": not a search result: " + e.what());
  }
  const auto by_size = [](const ScoredGenome& a, const ScoredGenome& b) {
    return a.size_bits < b.size_bits;
  };
  std::stable_sort(f.front.begin(), f.front.end(), by_size);
  std::stable_sort(f.baseline.begin(), f.baseline.end(), by_size);
  return f;
}

void write_evaluated_csv(const std::vector<EvaluatedGenome>& genomes, const fs::path& path,
                         const Metric& metric) {
  std::ostringstream out;
  out.precision(17);
  out << "genome,val_" << metric.column() << ",size_bits,bops\n";
  for (const EvaluatedGenome& g : genomes) {
    out << g.compact << ',' << g.val_accuracy << ',' << g.size_bits << ',' << g.bops << '\n';
  }
  core::write_text_file(out.str(), path);
}

std::vector<EvaluatedGenome> read_evaluated_csv(const fs::path& path) {
  if (!fs::exists(path)) return {};
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  std::vector<EvaluatedGenome> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number == 1) continue;
    std::stringstream s(line);
    EvaluatedGenome g;
    char c1 = 0, c2 = 0;
    std::getline(s, g.compact, ',');
    s >> g.val_accuracy >> c1 >> g.size_bits >> c2 >> g.bops;
    if (!s || c1 != ',' || c2 != ',' || g.compact.empty()) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) +
                               ": not 'genome,val_score,size_bits,bops'");
    }
    out.push_back(g);
  }
  return out;
}

}  // namespace mpgru::report
