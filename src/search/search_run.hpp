// A search run: NSGA-II (pagmo2) over bit-width genomes from one float checkpoint, evaluations
// through pagmo's thread batch evaluator and the run's SQLite store, the homogeneous baseline,
// and the final scores the headline rule (report/headline.hpp) reads: validation to choose, test
// to report. Resuming a run replays it with the same seed: every
// finished evaluation (search or final score) comes from the store, so nothing is lost or
// repeated and the final front equals that of an uninterrupted run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/genome.hpp"
#include "quant/calibration.hpp"
#include "report/scored_genome.hpp"
#include "search/genome_fitness.hpp"
#include "search/genome_problem.hpp"
#include "search/islands.hpp"
#include "search/screened_evaluator.hpp"

namespace mpgru::search {

struct SearchConfig {
  std::string checkpoint;
  std::string task;  // default: the checkpoint's
  std::string data_dir;
  bool skip_bad = false;  // skip unreadable input files (data::LoadOptions)
  FitnessSettings fitness;
  Objectives objectives = Objectives::error_size;
  // The device of the latency objective (device/target.hpp's names); empty unless objectives is
  // error_size_latency, which needs it.
  std::string target;
  quant::CalibrationOptions calibration;
  unsigned population = 16;  // NSGA-II needs a multiple of 4, >= 8; includes the 7 homogeneous
  unsigned generations = 10;
  unsigned seed = 1;
  unsigned workers = 1;                                                 // parallel evaluations
  double crossover = 0.95, eta_c = 10.0, mutation = 0.1, eta_m = 20.0;  // pagmo::nsga2
  // qat fitness: QAT steps of the final re-evaluation of the front and baseline genomes (the
  // report's figures); 0 = the search's own budget.
  int64_t final_steps = 0;
  // How many non-dominated ranks of the final population get the final scores (1: its front);
  // the reported front is the non-dominated set of those candidates on their final validation
  // scores. More ranks give genomes that a short QAT budget ranked just behind the front their
  // chance after the longer fine-tune.
  unsigned final_fronts = 1;
  IslandSettings islands;  // islands.islands > 1: the island model (search/islands.hpp)
  // Multi-fidelity (search/screened_evaluator.hpp): "screened" scores every new genome by PTQ
  // first and fine-tunes only the promising; its final scores are successive halving with the
  // search's own fine-tune as the first rung: of the candidates (fine-tuned genomes only), at
  // most final_keep and homogeneous 8-bit get the final_steps fine-tune, the baseline's narrower
  // widths the search's. Three quarters of final_keep (rounded up) go to the headline in rounds
  // of two (search/headline_bisection.hpp: the contenders are the front of the search scores,
  // each round's outcome narrows the next; the tickets the rounds leave go to the candidates
  // smaller than the smallest landed, best search score first), the rest to the largest
  // hypervolume contributions on the search scores. The reported front is decided on the full
  // final scores only.
  Fidelity fidelity = Fidelity::full;
  ScreenSettings screen;
  unsigned final_keep = 7;
  // Objectives error,size price only the weights' genes (genome_fitness.hpp: size_priced_genes);
  // true holds every other gene at 8 bits (--free-genes widest): the search moves the weights
  // only, and its first population's homogeneous seeds are homogeneous over the weights. The
  // reported baseline stays homogeneous 8..2.
  bool free_widest = false;
};

// The QAT work of a run (the machine-independent cost of a search): fine-tunes and their steps,
// over every session, by kind.
struct SearchEffort {
  Fidelity fidelity = Fidelity::full;
  int64_t screened = 0;           // genomes scored by PTQ first (screened)
  int64_t search_fine_tunes = 0;  // genomes fine-tuned by the search (its fitness)
  int64_t search_steps = 0;       // QAT steps of one
  // Screened: final scores with the search's fine-tune (the baseline's narrower widths).
  int64_t rung_fine_tunes = 0, rung_steps = 0;
  int64_t final_fine_tunes = 0, final_steps = 0;  // the full final scores
  int64_t qat_steps() const {
    return search_fine_tunes * search_steps + rung_fine_tunes * rung_steps +
           final_fine_tunes * final_steps;
  }
  nlohmann::json to_json() const;
};

// Throws std::invalid_argument naming the bad field.
void validate(const SearchConfig& config);

// --free-genes: "search" (false) or "widest" (true); throws std::invalid_argument naming the flag
// and the accepted values otherwise.
bool parse_free_genes(const std::string& name);

struct SearchResult {
  // Final scores, by size: the mixed front (non-dominated on validation among the final
  // candidates) and the homogeneous baseline 8..2. report::headline() of these is the headline.
  std::vector<report::ScoredGenome> front, baseline;
  bool bops_objective = false;
  report::Metric metric;                    // what the scores measure
  int64_t evaluations = 0, cache_hits = 0;  // of this session
  int64_t unbuildable = 0;                  // of this session's evaluations: no integer model
  int64_t stored_evaluations = 0;           // distinct evaluations over all sessions
  double seconds = 0;                       // wall time of every session of the run (search.log)
  SearchEffort effort;
};

struct GenerationProgress {
  unsigned generation = 0, generations = 0;
  int64_t evaluations = 0, cache_hits = 0;
  double best_accuracy = 0;  // the best validation score (accuracy, or quality in its unit)
  int64_t smallest_size_bits = 0;
  double elapsed_seconds = 0;
  double hypervolume = 0;  // of the population on validation error and size / size_8
  // Screened fidelity: genomes scored by PTQ first, and fine-tuned, so far (-1: full fidelity).
  int64_t screened = -1, fine_tunes = -1;
};

// The final scoring after the last generation: one genome (fine-tune and both splits) at a time.
struct ScoringProgress {
  size_t done = 0, total = 0;
  double elapsed_seconds = 0;  // since the scoring started
};

// Runs (or resumes) the search in `run_dir`: writes config.json first, then evaluations.sqlite
// as it goes, and at the end evaluated.csv, front.csv, baseline.csv, front.json
// (report/front_file.hpp) and search.log, then the report (report/run_report.hpp).
// Where the evaluations run: in this process on config.workers threads (remote null), or through
// `remote` (the MPI evaluator) with `threads` dispatch threads, one per worker it has. Never part
// of the run's config: a run may be resumed with either.
struct Dispatch {
  const RemoteFitness* remote = nullptr;
  unsigned threads = 0;
};

SearchResult run_search(const SearchConfig& config, const std::filesystem::path& run_dir,
                        const std::function<void(const GenerationProgress&)>& progress = {},
                        const std::function<void(const ScoringProgress&)>& scoring = {},
                        const Dispatch& dispatch = {});

// The other side of a remote evaluator (an MPI worker rank): loads what run_search would (float
// model, data, calibration) and calls `serve` with the search's and the final scores' fitness
// (no store: the caller stores), by role: "search" and "final".
void serve_search(
    const SearchConfig& config,
    const std::function<void(const std::map<std::string, const GenomeFitness*>& roles)>& serve);

// The search config as config.json holds it, and back (throws on a bad field).
nlohmann::json search_config_json(const SearchConfig& config);
SearchConfig search_config_from_json(const nlohmann::json& j);

// The fitness settings the search evaluates with (one core per evaluation): their canonical
// text keys the run's rows in the store.
FitnessSettings search_fitness_settings(const SearchConfig& config);

// The fitness settings of the final scores (the longer QAT of final_steps, if any).
FitnessSettings final_settings(const SearchConfig& config);
// Screened fidelity: the cheap fitness every new genome gets first (PTQ).
FitnessSettings screen_settings(const SearchConfig& config);

// The config a run folder was started with (for --resume); throws naming the file.
SearchConfig load_search_config(const std::filesystem::path& run_dir);

}  // namespace mpgru::search
