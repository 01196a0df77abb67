// A search run: NSGA-II (pagmo2) over bit-width genomes from one float checkpoint, evaluations
// through pagmo's thread batch evaluator and the run's SQLite store, the homogeneous baseline,
// and the headline figures on the test split. Resuming a run replays it with the same seed: every
// finished evaluation comes from the store, so nothing is lost or repeated and the final front
// equals that of an uninterrupted run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/genome.hpp"
#include "quant/calibration.hpp"
#include "search/genome_fitness.hpp"
#include "search/genome_problem.hpp"

namespace mpgru::search {

struct SearchConfig {
  std::string checkpoint;
  std::string task;  // default: the checkpoint's
  std::string data_dir;
  bool skip_bad = false;  // skip unreadable input files (data::LoadOptions)
  FitnessSettings fitness;
  Objectives objectives = Objectives::error_size;
  quant::CalibrationOptions calibration;
  unsigned population = 16;  // NSGA-II needs a multiple of 4, >= 8; includes the 7 homogeneous
  unsigned generations = 10;
  unsigned seed = 1;
  unsigned workers = 1;                                                 // parallel evaluations
  double crossover = 0.95, eta_c = 10.0, mutation = 0.1, eta_m = 20.0;  // pagmo::nsga2
  // qat fitness: QAT steps of the final re-evaluation of the front and baseline genomes (the
  // report's figures); 0 = the search's own budget.
  int64_t final_steps = 0;
};

// Throws std::invalid_argument naming the bad field.
void validate(const SearchConfig& config);

struct FrontPoint {
  core::Genome genome = core::Genome::homogeneous({}, 8);
  Evaluation validation;
  double test_accuracy = 0;
};

// Iso-accuracy: a mixed genome counts if its test accuracy is at most this far below homogeneous
// 8-bit's (0.5 pp).
constexpr double kIsoAccuracyTolerance = 0.005;

struct SearchResult {
  std::vector<FrontPoint> front;     // the mixed front (final population), by size
  std::vector<FrontPoint> baseline;  // homogeneous 8..2
  double hypervolume_front = 0, hypervolume_baseline = 0;  // on test error, size / size_8
  const FrontPoint* iso_accuracy = nullptr;       // smallest front genome within 0.5 pp of 8-bit
  double size_reduction = 0;                      // 1 - size / size_8 of it
  const FrontPoint* iso_accuracy_bops = nullptr;  // fewest BOPs within 0.5 pp of 8-bit
  double bops_reduction = 0;                      // 1 - bops / bops_8 of it
  int64_t evaluations = 0, cache_hits = 0;
  double seconds = 0;  // wall time of every session of the run (search.log)
};

struct GenerationProgress {
  unsigned generation = 0, generations = 0;
  int64_t evaluations = 0, cache_hits = 0;
  double best_accuracy = 0;  // validation
  int64_t smallest_size_bits = 0;
  double elapsed_seconds = 0;
  double hypervolume = 0;  // of the population on validation error and size / size_8
};

// Runs (or resumes) the search in `run_dir`: writes config.json first, then evaluations.sqlite
// as it goes, front.csv, front.json, baseline.csv and search.log at the end, then the report
// (search/run_report.hpp).
SearchResult run_search(const SearchConfig& config, const std::filesystem::path& run_dir,
                        const std::function<void(const GenerationProgress&)>& progress = {});

// The fitness settings the search evaluates with (one core per evaluation): their canonical
// text keys the run's rows in the store.
FitnessSettings search_fitness_settings(const SearchConfig& config);

// The config a run folder was started with (for --resume); throws naming the file.
SearchConfig load_search_config(const std::filesystem::path& run_dir);

}  // namespace mpgru::search
