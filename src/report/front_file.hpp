// The files a finished search leaves for everything downstream: front.json (the scored front and
// baseline, the run's settings and counts, and the headline figures for a human reader),
// front.csv and baseline.csv (one row per genome: enough to recompute the headline, and each
// device's predicted instructions per step and flash, TARGET_instructions_per_step and
// TARGET_flash_bytes columns per target), and
// evaluated.csv (every genome the search scored, the report's faint cloud). One writer and one
// reader: the run report and the results table read front.json only through read_front_file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/metric.hpp"
#include "report/scored_genome.hpp"

namespace mpgru::report {

struct FrontFile {
  std::string task;
  std::string checkpoint_hash;         // of the float checkpoint the search started from
  nlohmann::json config;               // the search's settings (an object)
  std::vector<ScoredGenome> front;     // the mixed front, by size
  std::vector<ScoredGenome> baseline;  // homogeneous 8..2, by size
  int64_t evaluations = -1;            // distinct genome evaluations over all sessions; -1 unknown
  int64_t session_evaluations = 0;     // of the last session
  int64_t session_cache_hits = 0;      // of the last session
  double seconds = 0;                  // wall time over all sessions
  Metric metric;                       // what the scores measure (older runs: accuracy)
  // The run's QAT work (search::SearchEffort::to_json: fidelity, fine-tunes and steps by kind,
  // qat_steps in all); empty for older runs.
  nlohmann::json effort = nlohmann::json::object();
  // Whether the search had BOPs as a third objective (the hypervolumes then have that axis).
  bool bops_objective() const { return config.value("objectives", "") == "error,size,bops"; }
  // The device of the latency objective ("cortex-m4", ...), or "" if the search had none.
  std::string latency_target() const {
    return config.value("objectives", "") == "error,size,latency" ? config.value("target", "")
                                                                  : std::string();
  }
};

// A genome the search scored on validation (search fitness), for plots.
struct EvaluatedGenome {
  std::string compact;
  double val_accuracy = 0;  // the run's metric
  int64_t size_bits = 0, bops = 0;
};

// The targets of the points' device costs, in order of first appearance (front.csv's and the
// report's device columns).
std::vector<std::string> device_targets(const std::vector<ScoredGenome>& points);

// Writes RUN/front.json (with the headline figures of report/headline.hpp), RUN/front.csv and
// RUN/baseline.csv, each atomically. Throws std::runtime_error naming the file.
void write_front_files(const FrontFile& file, const std::filesystem::path& run_dir);
// Reads RUN/front.json (also files of older runs, without sequence counts or paired figures).
// Throws std::runtime_error naming the file and what is wrong.
FrontFile read_front_file(const std::filesystem::path& path);

// The score column is named after `metric` (val_accuracy, val_sisdri_db, val_stoi_improvement).
void write_evaluated_csv(const std::vector<EvaluatedGenome>& genomes,
                         const std::filesystem::path& path, const Metric& metric = {});
// Reads what write_evaluated_csv wrote; an absent file gives no genomes. Throws
// std::runtime_error naming the file and line if it is malformed.
std::vector<EvaluatedGenome> read_evaluated_csv(const std::filesystem::path& path);

}  // namespace mpgru::report
