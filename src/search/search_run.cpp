// The NSGA-II search driver and its run folder.
#include "search/search_run.hpp"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/batch_evaluators/thread_bfe.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include "core/folder_lock.hpp"
#include "core/json_file.hpp"
#include "core/parallel_for.hpp"
#include "core/staged_folder.hpp"
#include "data/se_task.hpp"
#include "data/task.hpp"
#include "device/cost_model.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "report/front_file.hpp"
#include "report/headline.hpp"
#include "report/hypervolume.hpp"
#include "report/run_report.hpp"
#include "search/enhancement_examples.hpp"
#include "search/headline_bisection.hpp"
#include "search/step_quality.hpp"
#include "train/blas_core.hpp"
#include "train/checkpoint_data.hpp"
#include "train/float_export.hpp"

namespace mpgru::search {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

json to_json(const SearchConfig& c) {
  json j = {{"checkpoint", c.checkpoint},
            {"task", c.task},
            {"data_dir", c.data_dir},
            {"skip_bad", c.skip_bad},
            {"fitness", to_string(c.fitness.mode)},
            {"qat_steps", c.fitness.qat.steps},
            {"qat_epochs", c.fitness.qat.epochs},
            {"qat_batch", c.fitness.qat.batch},
            {"qat_lr", c.fitness.qat.lr},
            {"qat_scale_lr", c.fitness.qat.scale_lr},
            {"qat_seed", c.fitness.qat.seed},
            {"objectives", to_string(c.objectives)},
            {"objective", report::Metric{c.fitness.objective, 1}.name()},
            {"calibration", quant::to_string(c.calibration.method)},
            {"calib_sequences", c.calibration.sequences},
            {"population", c.population},
            {"generations", c.generations},
            {"seed", c.seed},
            {"workers", c.workers},
            {"final_steps", c.final_steps},
            {"final_fronts", c.final_fronts},
            {"crossover", c.crossover},
            {"eta_c", c.eta_c},
            {"mutation", c.mutation},
            {"eta_m", c.eta_m}};
  if (!c.target.empty()) j["target"] = c.target;  // latency only: older run folders unchanged
  if (c.fitness.qat.distill_weight > 0) {  // absent without distillation: older folders unchanged
    j["qat_distill_weight"] = c.fitness.qat.distill_weight;
    j["qat_distill_temperature"] = c.fitness.qat.distill_temperature;
  }
  if (c.fitness.qat.dampen > 0) j["qat_dampen"] = c.fitness.qat.dampen;  // absent when off
  if (c.fidelity != Fidelity::full) {  // absent for full fidelity: older run folders unchanged
    j["fidelity"] = to_string(c.fidelity);
    j["promote"] = c.screen.promote;
    j["final_keep"] = c.final_keep;
  }
  if (c.free_widest) j["free_genes"] = "widest";  // absent when searched: older folders unchanged
  if (c.islands.islands > 1) {  // absent for one island: older run folders stay as they were
    j["islands"] = c.islands.islands;
    j["migrants"] = c.islands.migrants;
    j["migrate_every"] = c.islands.migrate_every;
    j["topology"] = to_string(c.islands.topology);
  }
  return j;
}

// --free-genes widest: the genes error,size does not price, held at 8 bits.
std::vector<bool> held_genes(const quant::FloatGruModel& model) {
  std::vector<bool> held = size_priced_genes(model);
  held.flip();
  return held;
}

SearchConfig from_json(const json& j) {
  SearchConfig c;
  c.checkpoint = j.at("checkpoint").get<std::string>();
  c.task = j.at("task").get<std::string>();
  c.data_dir = j.at("data_dir").get<std::string>();
  c.skip_bad = j.value("skip_bad", false);
  c.fitness.mode = parse_fitness_mode(j.at("fitness").get<std::string>());
  c.fitness.qat.steps = j.at("qat_steps").get<int64_t>();
  c.fitness.qat.epochs = j.at("qat_epochs").get<double>();
  c.fitness.qat.batch = j.at("qat_batch").get<int64_t>();
  c.fitness.qat.lr = j.at("qat_lr").get<double>();
  c.fitness.qat.scale_lr = j.at("qat_scale_lr").get<double>();
  c.fitness.qat.seed = j.at("qat_seed").get<uint64_t>();
  c.fitness.qat.distill_weight = j.value("qat_distill_weight", train::QatConfig{}.distill_weight);
  c.fitness.qat.distill_temperature =
      j.value("qat_distill_temperature", train::QatConfig{}.distill_temperature);
  c.fitness.qat.dampen = j.value("qat_dampen", train::QatConfig{}.dampen);
  c.objectives = parse_objectives(j.at("objectives").get<std::string>());
  c.target = j.value("target", std::string());
  c.fitness.objective = report::parse_metric_kind(j.value("objective", std::string("accuracy")));
  c.calibration.method = quant::parse_range_method(j.at("calibration").get<std::string>());
  c.calibration.sequences = j.at("calib_sequences").get<int64_t>();
  c.population = j.at("population").get<unsigned>();
  c.generations = j.at("generations").get<unsigned>();
  c.seed = j.at("seed").get<unsigned>();
  c.workers = j.at("workers").get<unsigned>();
  c.final_steps = j.value("final_steps", int64_t{0});
  c.final_fronts = j.value("final_fronts", 1u);
  c.crossover = j.at("crossover").get<double>();
  c.eta_c = j.at("eta_c").get<double>();
  c.mutation = j.at("mutation").get<double>();
  c.eta_m = j.at("eta_m").get<double>();
  c.fidelity = parse_fidelity(j.value("fidelity", std::string("full")));
  c.screen.promote = j.value("promote", ScreenSettings{}.promote);
  c.final_keep = j.value("final_keep", 8u);
  c.free_widest = parse_free_genes(j.value("free_genes", std::string("search")));
  c.islands.islands = j.value("islands", 1u);
  c.islands.migrants = j.value("migrants", 2u);
  c.islands.migrate_every = j.value("migrate_every", 2u);
  c.islands.topology = parse_topology(j.value("topology", std::string("ring")));
  return c;
}

// Everything a search shares, loaded once.
struct Loaded {
  quant::FloatGruModel model;
  std::unique_ptr<data::Dataset> dataset;
  quant::Calibration calibration;
  std::string task;
  double quality_reference = 1;  // quality objectives: the float model's validation score
};

// A per-step model is searched on its enhancement quality; a classifier on accuracy.
void check_objective(const SearchConfig& c, const quant::FloatGruModel& model) {
  const bool quality = c.fitness.objective != report::Metric::Kind::accuracy;
  if (model.outputs > 0 && !quality) {
    throw std::invalid_argument("checkpoint " + c.checkpoint +
                                " is a per-step model (sequence to sequence): search it on its "
                                "output quality, --objective sisdr or stoi (task se) or r2");
  }
  if (model.outputs == 0 && quality) {
    throw std::invalid_argument("--objective " + report::Metric{c.fitness.objective, 1}.name() +
                                " scores per-step models; checkpoint " + c.checkpoint +
                                " is a classifier (objective accuracy)");
  }
}

Loaded load(const SearchConfig& c) {
  Loaded l;
  l.model = train::load_float_model(c.checkpoint);
  check_objective(c, l.model);
  l.dataset =
      train::load_checkpoint_data(c.checkpoint, c.task, c.data_dir, data::LoadOptions{c.skip_bad});
  l.task = data::resolve_task(c.task, c.data_dir);
  if (l.task.empty()) l.task = train::checkpoint_task(c.checkpoint);
  if (const std::string why = quant::input_mismatch(l.model, *l.dataset); !why.empty()) {
    throw std::invalid_argument("checkpoint " + c.checkpoint + " " + why);
  }
  l.calibration = quant::calibrate(l.model, l.dataset->split(data::Split::train), c.calibration);
  if (c.fitness.objective != report::Metric::Kind::accuracy) {
    l.quality_reference = float_validation_score(l.model, *l.dataset, c.fitness.objective,
                                                 static_cast<int>(c.workers));
    report::make_metric(report::Metric{c.fitness.objective, 1}.name(), l.quality_reference);
  }
  return l;
}

// What every evaluation of a search shares, pointing into `loaded`.
FitnessContext fitness_context(const Loaded& loaded, const SearchConfig& config) {
  return {&loaded.model,
          &loaded.calibration,
          loaded.dataset.get(),
          loaded.task,
          file_hash(std::filesystem::path(config.checkpoint) / "checkpoint"),
          quant::canonical(config.calibration),
          loaded.quality_reference};
}

pagmo::population initial_population(const pagmo::problem& p, const SearchConfig& c,
                                     const core::GenomeLayout& layout, unsigned threads,
                                     const std::shared_ptr<Screen>& screen) {
  // Homogeneous over the searched genes, the held ones at 8 bits.
  const GenomeProblem& problem = *p.extract<GenomeProblem>();
  std::vector<core::Genome> homogeneous;
  for (int bits = core::kMaxBits; bits >= core::kMinBits; --bits) {
    core::Genome g = core::Genome::homogeneous(layout, bits);
    for (size_t i = 0; i < g.size(); ++i) {
      if (problem.held(i)) g.set_bits(i, core::kMaxBits);
    }
    homogeneous.push_back(g);
  }
  if (screen) {
    // Screened: the homogeneous genomes first, in a batch of their own (each fine-tuned: the
    // beacons of every width), then the random part as one batch.
    const std::vector<pagmo::vector_double> f = screen->evaluate(problem, homogeneous);
    pagmo::population pop{p, pagmo::bfe{ScreenedBfe{screen}}, c.population - 7, c.seed};
    for (size_t i = 0; i < homogeneous.size(); ++i) {
      pop.push_back(problem.vector(homogeneous[i]), f[i]);
    }
    return pop;
  }
  // With several workers the random part is evaluated through the batch evaluator too.
  pagmo::population pop =
      threads > 1 ? pagmo::population{p, pagmo::bfe{pagmo::thread_bfe{}}, c.population - 7, c.seed}
                  : pagmo::population{p, c.population - 7, c.seed};
  for (const core::Genome& g : homogeneous) pop.push_back(problem.vector(g));
  return pop;
}

// The non-dominated ranks of f, best first (indices into f). pagmo sorts two points or more.
std::vector<std::vector<size_t>> ranks(const std::vector<pagmo::vector_double>& f) {
  if (f.empty()) return {};
  if (f.size() == 1) return {{0}};
  return std::get<0>(pagmo::fast_non_dominated_sorting(f));
}

// Hypervolume of a population on (validation error, size / size_8): the search's progress.
double population_hypervolume(const std::vector<pagmo::vector_double>& f, double size_8) {
  std::vector<report::Objectives> points;
  for (const auto& x : f) points.push_back({x[0], x[1] / size_8});
  return report::hypervolume(points, {1.0, 1.05});
}

// A quality score's 95 % half-width from its per-clip scores; -1 without them.
double ci95_of(const Evaluation& e) {
  if (e.sequences <= 0 || e.correct.size() != 4 * static_cast<size_t>(e.sequences)) return -1;
  return mean_interval(unpack_scores(e.correct)).ci95;
}

report::ScoredGenome scored(const core::Genome& genome, const GenomeFitness::Scores& s,
                            const report::Metric& metric) {
  report::ScoredGenome g;
  g.genome = genome;
  g.val_accuracy = s.validation.accuracy;
  g.val_count = std::max<int64_t>(0, s.validation.sequences);  // -1: unbuildable
  g.test_accuracy = s.test.accuracy;
  g.test_count = std::max<int64_t>(0, s.test.sequences);
  g.size_bits = s.validation.size_bits;
  g.footprint_bytes = s.validation.footprint_bytes;
  g.bops = s.validation.bops;
  if (!metric.is_accuracy()) {
    g.val_ci95 = ci95_of(s.validation);
    g.test_ci95 = ci95_of(s.test);
  }
  return g;
}

// The final scores of `genomes` on `workers` threads (one core each), in order, with the
// per-sequence test results for pairing; `done` is called after each genome.
std::vector<std::pair<report::ScoredGenome, std::string>> score(
    const GenomeFitness& fitness, const std::vector<core::Genome>& genomes, unsigned workers,
    const std::function<void()>& done) {
  std::vector<std::pair<report::ScoredGenome, std::string>> out(genomes.size());
  std::mutex mutex;
  core::parallel_for(genomes.size(), static_cast<int>(workers), [&](size_t i) {
    const GenomeFitness::Scores s = fitness.report(genomes[i]);
    out[i] = {scored(genomes[i], s, fitness.metric()), s.test.correct};
    const std::lock_guard<std::mutex> lock(mutex);
    if (done) done();
  });
  return out;
}

// Sequences right in `a` and wrong in `b`, of the first n.
int64_t only_in(const std::string& a, const std::string& b, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += predicted_right(a, i) && !predicted_right(b, i);
  return count;
}

// A quality genome's paired test difference to 8-bit: the per-clip differences' interval.
void pair_quality(report::ScoredGenome& g, const std::string& scores,
                  const std::pair<report::ScoredGenome, std::string>& eight) {
  const std::vector<float> a = unpack_scores(scores), b = unpack_scores(eight.second);
  if (a.size() != b.size() || static_cast<int64_t>(a.size()) != g.test_count) {
    throw std::logic_error("genome " + g.genome.to_compact() +
                           ": its test clips do not pair with 8-bit's");
  }
  std::vector<float> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  g.test_difference_ci95 = mean_interval(d).ci95;
}

// Fills in every built genome's test pairing with homogeneous 8-bit; an unbuildable one (no
// test sequences) has none.
void pair_with_eight(std::vector<std::pair<report::ScoredGenome, std::string>>& scores,
                     const std::pair<report::ScoredGenome, std::string>& eight,
                     const report::Metric& metric) {
  if (!metric.is_accuracy()) {
    for (auto& [g, clip_scores] : scores) {
      if (eight.first.test_count > 0 && g.test_count > 0) pair_quality(g, clip_scores, eight);
    }
    return;
  }
  const int64_t n = eight.first.test_count;
  const size_t bytes = static_cast<size_t>((n + 7) / 8);
  for (auto& [g, correct] : scores) {
    if (n <= 0 || g.test_count == 0) continue;
    if (g.test_count != n || correct.size() != bytes || eight.second.size() != bytes) {
      throw std::logic_error("genome " + g.genome.to_compact() +
                             ": its test predictions do not pair with 8-bit's");
    }
    g.test_only_this = only_in(correct, eight.second, n);
    g.test_only_eight = only_in(eight.second, correct, n);
  }
}

// The built candidates' non-dominated set on their final validation scores and the search's
// objectives (the third: BOPs, or the latency model's instructions per step), by size.
std::vector<report::ScoredGenome> final_front(const std::vector<report::ScoredGenome>& all,
                                              Objectives objectives, const LatencyModel& latency,
                                              const report::Metric& metric) {
  std::vector<report::ScoredGenome> candidates;
  std::vector<pagmo::vector_double> f;
  for (const report::ScoredGenome& g : all) {
    if (g.val_count == 0) continue;  // unbuildable: scores 0, never a pick
    candidates.push_back(g);
    f.push_back({metric.error(g.val_accuracy), static_cast<double>(g.size_bits)});
    if (objectives == Objectives::error_size_bops) f.back().push_back(static_cast<double>(g.bops));
    if (objectives == Objectives::error_size_latency) f.back().push_back(latency(g.genome));
  }
  std::vector<report::ScoredGenome> front;
  const auto r = ranks(f);
  if (!r.empty()) {
    for (size_t i : r[0]) front.push_back(candidates[i]);
  }
  std::sort(front.begin(), front.end(), [](const auto& a, const auto& b) {
    return a.size_bits != b.size_bits ? a.size_bits < b.size_bits
                                      : a.genome.to_compact() < b.genome.to_compact();
  });
  return front;
}

// The shapes the device cost model reads, of the float model and its calibrated input sign.
device::ModelShape device_shape(const Loaded& loaded) {
  const quant::FloatGruModel& m = loaded.model;
  device::ModelShape s;
  s.features = m.features;
  s.vocabulary = m.embedding.vocabulary;
  s.hidden = m.layers.empty() ? 0 : static_cast<int32_t>(m.layers.back().hidden);
  s.layers = static_cast<int32_t>(m.layers.size());
  s.per_step = m.outputs > 0;
  s.outputs = s.per_step ? m.outputs : m.classes;
  s.input_signed = !loaded.calibration.nonnegative(core::Op::x, 0);
  return s;
}

// A genome's predicted cost on `target`: from its PTQ model (the calibrated scales decide the
// requantization paths and which element-wise values are constant: device/model_hints.hpp; QAT
// keeps the calibrated step sizes), or from the bits alone if that model cannot be built.
device::Prediction predicted_cost(const Loaded& loaded, const core::Genome& genome,
                                  device::Target target) {
  const device::CostModel& costs = device::CostModel::builtin();
  try {
    const auto steps = static_cast<int32_t>(loaded.dataset->steps());
    return costs.predict(engine::convert(loaded.model, loaded.calibration, genome, steps), target);
  } catch (const engine::UnbuildableModel&) {
    return costs.predict(device_shape(loaded), genome, target);
  }
}

// The latency objective's model: predicted instructions per step on the config's target,
// remembered per genome (the search asks again for every individual of every generation); empty
// for the other objectives.
LatencyModel latency_model(const Loaded& loaded, const SearchConfig& config) {
  if (config.objectives != Objectives::error_size_latency) return {};
  const device::Target target = device::parse_target(config.target, "--target");
  struct Memo {
    std::mutex mutex;
    std::map<std::string, double> instructions;
  };
  auto memo = std::make_shared<Memo>();
  return [&loaded, target, memo](const core::Genome& g) {
    const std::string key = g.to_compact();
    {
      const std::lock_guard<std::mutex> lock(memo->mutex);
      const auto it = memo->instructions.find(key);
      if (it != memo->instructions.end()) return it->second;
    }
    const double instructions = predicted_cost(loaded, g, target).instructions;
    const std::lock_guard<std::mutex> lock(memo->mutex);
    memo->instructions[key] = instructions;
    return instructions;
  };
}

// Every genome's predicted instructions per step and flash on every target the built-in costs
// have, whichever objectives were searched.
void add_device_costs(const Loaded& loaded, std::vector<report::ScoredGenome>& genomes) {
  for (report::ScoredGenome& g : genomes) {
    g.device.clear();
    for (device::Target t : device::all_targets()) {
      if (!device::CostModel::builtin().has(t)) continue;
      const device::Prediction p = predicted_cost(loaded, g.genome, t);
      g.device.push_back({device::to_string(t), std::llround(p.instructions), p.flash_bytes});
    }
  }
}

// The genomes of the first `final_fronts` non-dominated ranks of the final population (by the
// search's own fitness), each once, in compact-text order. `full_fidelity` (screened searches)
// keeps only the individuals scored by the full fitness, ranked among themselves.
using FullFidelity = std::function<bool(const core::Genome&, const pagmo::vector_double&)>;

std::vector<core::Genome> final_candidates(const pagmo::population& pop, const SearchConfig& config,
                                           const FullFidelity& full_fidelity) {
  const GenomeProblem& problem = *pop.get_problem().extract<GenomeProblem>();
  std::vector<core::Genome> individuals;
  std::vector<pagmo::vector_double> f;
  for (size_t i = 0; i < pop.size(); ++i) {
    const core::Genome g = problem.genome(pop.get_x()[i]);
    if (full_fidelity && !full_fidelity(g, pop.get_f()[i])) continue;
    individuals.push_back(g);
    f.push_back(pop.get_f()[i]);
  }
  std::map<std::string, core::Genome> genomes;
  const auto r = ranks(f);
  for (size_t k = 0; k < r.size() && k < config.final_fronts; ++k) {
    for (size_t i : r[k]) genomes.emplace(individuals[i].to_compact(), individuals[i]);
  }
  std::vector<core::Genome> out;
  for (const auto& kv : genomes) out.push_back(kv.second);
  return out;
}

// Screened finals' headline contenders: the candidates on the non-dominated front of their
// search scores (error, size), homogeneous 8-bit left out (scored anyway), by increasing size
// (then genome): the best bet of each size for landing within the tolerance after the long
// fine-tune (search/headline_bisection.hpp). Indices into `genomes`.
std::vector<size_t> headline_contenders(const std::vector<core::Genome>& genomes,
                                        const std::vector<pagmo::vector_double>& f,
                                        const core::Genome& eight) {
  std::vector<pagmo::vector_double> points;
  for (const pagmo::vector_double& x : f) points.push_back({x[0], x[1]});
  std::vector<size_t> out;
  const auto r = ranks(points);
  if (r.empty()) return out;
  for (size_t i : r.front()) {
    if (genomes[i].to_compact() != eight.to_compact()) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    return std::make_tuple(f[a][1], genomes[a].to_compact()) <
           std::make_tuple(f[b][1], genomes[b].to_compact());
  });
  return out;
}

// The headline's share of the screened finals' tickets: three quarters, rounded up.
size_t headline_tickets(unsigned final_keep) {
  return (3 * static_cast<size_t>(final_keep) + 3) / 4;
}

// Screened finals after the headline's rounds: up to `count` more of `genomes` (with their
// search objectives `f`) not `taken`, judged on their search scores: greedily the largest
// hypervolume contributions (error, size / size_8) beside the taken ones, then the rest by
// non-dominated rank and size. Indices into `genomes`.
std::vector<size_t> hypervolume_tickets(const std::vector<core::Genome>& genomes,
                                        const std::vector<pagmo::vector_double>& f,
                                        std::vector<bool> taken, size_t count, double size_8) {
  std::vector<report::Objectives> points, kept;
  for (const pagmo::vector_double& x : f) points.push_back({x[0], x[1] / size_8});
  for (size_t i = 0; i < genomes.size(); ++i) {
    if (taken[i]) kept.push_back(points[i]);
  }
  // Candidates by (non-dominated rank, size, genome): the order every step below scans in.
  std::vector<size_t> rank_of(genomes.size(), 0), order;
  const auto r = ranks(points);
  for (size_t k = 0; k < r.size(); ++k) {
    for (size_t i : r[k]) rank_of[i] = k;
  }
  for (size_t i = 0; i < genomes.size(); ++i) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::make_tuple(rank_of[a], f[a][1], genomes[a].to_compact()) <
           std::make_tuple(rank_of[b], f[b][1], genomes[b].to_compact());
  });
  std::vector<size_t> out =
      report::greedy_hypervolume(kept, points, order, taken, count, {1.0, 1.05});
  for (size_t i : order) {
    if (out.size() >= count) break;
    if (!taken[i]) {
      taken[i] = true;
      out.push_back(i);
    }
  }
  return out;
}

// What the screened finals fine-tune with and report to.
struct FinalsRun {
  const GenomeFitness& final_fitness;  // the --final-steps fine-tune
  const GenomeFitness& rung_fitness;   // the search's own fine-tune: the first rung
  int64_t final_steps;
  unsigned threads;
  double size_8;  // homogeneous 8-bit's size in bits
  std::ostream& log;
  ScoringProgress& progress;  // its total grows when the hypervolume's tickets are known
  std::function<void()> one_done;
};

using ScoreList = std::vector<std::pair<report::ScoredGenome, std::string>>;

// Screened finals (successive halving, docs/search.md): of `candidates` (judged on their search
// scores, `tuned`), `final_keep` get the final fine-tune. Appends the baseline's scores (8-bit
// first, then the narrower widths) and the candidates' scores, in the order fine-tuned.
void screened_finals(const std::vector<core::Genome>& candidates,
                     const std::function<pagmo::vector_double(const core::Genome&)>& tuned,
                     const std::vector<core::Genome>& baseline, unsigned final_keep,
                     const FinalsRun& run, ScoreList& baseline_scores,
                     ScoreList& candidate_scores) {
  // Homogeneous 8-bit (the headline's reference) in full with the headline's first round; the
  // other widths with the search's fine-tune; then the headline's rounds, then the largest
  // hypervolume contributions, each judged on the search scores and fine-tuned in full. A
  // batch of odd size takes one of the hypervolume's tickets (none of the contenders still in
  // doubt), so that no worker of two waits for the other.
  std::vector<pagmo::vector_double> f;
  for (const core::Genome& g : candidates) f.push_back(tuned(g));
  const std::vector<size_t> contenders = headline_contenders(candidates, f, baseline.front());
  const size_t tickets = std::min<size_t>(final_keep, candidates.size());
  const size_t headline = std::min(headline_tickets(final_keep), tickets);
  HeadlineBisection bisection(contenders.size(), headline);
  size_t pads = tickets - headline;
  std::vector<bool> taken(candidates.size(), false);
  const auto batch_of = [&](const std::vector<size_t>& round, bool with_eight) {
    std::vector<size_t> out;
    for (size_t i : round) out.push_back(contenders[i]);
    if ((out.size() + (with_eight ? 1 : 0)) % 2 == 1 && pads > 0) {
      std::vector<bool> not_now = taken;
      for (size_t i : out) not_now[i] = true;
      for (size_t i = bisection.low(); i < bisection.high(); ++i) not_now[contenders[i]] = true;
      for (size_t i : hypervolume_tickets(candidates, f, not_now, 1, run.size_8)) {
        out.push_back(i);
        --pads;
      }
    }
    return out;
  };
  const auto genomes_of = [&](const std::vector<size_t>& indices) {
    std::vector<core::Genome> out;
    for (size_t i : indices) out.push_back(candidates[i]);
    return out;
  };
  std::vector<size_t> round = bisection.next_round();
  std::vector<size_t> batch = batch_of(round, true);
  std::vector<core::Genome> first = genomes_of(batch);
  first.insert(first.begin(), baseline.front());
  auto scores = score(run.final_fitness, first, run.threads, run.one_done);
  baseline_scores.push_back(scores.front());
  scores.erase(scores.begin());
  const std::vector<core::Genome> narrower(baseline.begin() + 1, baseline.end());
  for (auto& s : score(run.rung_fitness, narrower, run.threads, run.one_done)) {
    baseline_scores.push_back(s);
  }
  const report::Metric m = run.final_fitness.metric();
  const auto lands = [&](const report::ScoredGenome& g) {
    return report::within_tolerance(g, baseline_scores.front().first, m);
  };
  for (int r = 1; !batch.empty(); ++r) {
    std::vector<bool> landed;
    run.log << "finals: headline round " << r << ":";
    for (size_t k = 0; k < batch.size(); ++k) {
      const bool within = lands(scores[k].first);
      if (k < round.size()) landed.push_back(within);
      taken[batch[k]] = true;
      run.log << (k < round.size() ? " " : " (hypervolume) ") << scores[k].first.genome.to_compact()
              << " " << scores[k].first.size_bits << (within ? " within" : " outside");
      candidate_scores.push_back(std::move(scores[k]));
    }
    run.log << std::endl;
    bisection.record(landed);
    round = bisection.next_round();
    batch = round.empty() ? std::vector<size_t>{} : batch_of(round, false);
    if (!batch.empty()) {
      scores = score(run.final_fitness, genomes_of(batch), run.threads, run.one_done);
    }
  }
  // The headline's tickets the rounds left: second chances, in rounds of two, for the genomes
  // off the contenders' front smaller than the smallest that landed, best search score first.
  size_t chances = headline - bisection.used();
  for (int r = 1; chances > 0; ++r) {
    int64_t smallest = INT64_MAX;
    for (const auto& s : candidate_scores) {
      if (lands(s.first)) smallest = std::min(smallest, s.first.size_bits);
    }
    std::vector<size_t> pool;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!taken[i] && f[i][1] < static_cast<double>(smallest)) pool.push_back(i);
    }
    if (pool.empty()) break;
    std::sort(pool.begin(), pool.end(), [&](size_t a, size_t b) {
      return std::make_tuple(f[a][0], f[a][1], candidates[a].to_compact()) <
             std::make_tuple(f[b][0], f[b][1], candidates[b].to_compact());
    });
    pool.resize(std::min<size_t>({pool.size(), 2, chances}));
    chances -= pool.size();
    auto chance = score(run.final_fitness, genomes_of(pool), run.threads, run.one_done);
    run.log << "finals: headline second chance " << r << ":";
    for (auto& s : chance) {
      run.log << " " << s.first.genome.to_compact() << " " << s.first.size_bits
              << (lands(s.first) ? " within" : " outside");
      candidate_scores.push_back(std::move(s));
    }
    run.log << std::endl;
    for (size_t i : pool) taken[i] = true;
  }
  size_t done = 0;
  for (bool t : taken) done += t;
  const std::vector<size_t> more =
      hypervolume_tickets(candidates, f, taken, tickets - done, run.size_8);
  run.progress.total = run.progress.done + more.size();
  run.log << "finals: " << candidates.size() << " candidates by their search scores, "
          << contenders.size() << " headline contenders (their front), " << bisection.used()
          << " fine-tuned in the headline's rounds, " << done + more.size()
          << " in all with its second chances and the hypervolume's, " << run.final_steps
          << " steps each" << std::endl;
  for (auto& s : score(run.final_fitness, genomes_of(more), run.threads, run.one_done)) {
    candidate_scores.push_back(s);
  }
}

// Writes evaluated.csv (every genome scored with the search's fitness) and returns the models
// built over every session: the store's rows of the search and of the final scores.
int64_t write_evaluated(const EvaluationStore& store, const FitnessContext& context,
                        const FitnessSettings& search, const FitnessSettings& final_scores,
                        const std::filesystem::path& out_dir, const report::Metric& metric) {
  const auto rows =
      store.all(context.task, context.checkpoint_hash, store_fitness(context, search));
  std::vector<report::EvaluatedGenome> evaluated;
  for (const auto& [compact, e] : rows) {
    evaluated.push_back({compact, e.accuracy, e.size_bits, e.bops});
  }
  report::write_evaluated_csv(evaluated, out_dir / "evaluated.csv", metric);
  return static_cast<int64_t>(rows.size()) +
         static_cast<int64_t>(store
                                  .all(context.task, context.checkpoint_hash,
                                       store_fitness(context, final_scores) + ";report_split=test")
                                  .size());
}

// The run's QAT work over every session, from the store: the distinct genomes fine-tuned by the
// search's fitness, and scored (one fine-tune for both splits) by the search's fitness (screened:
// the baseline's narrower widths) and the final fitness.
SearchEffort effort_of(const EvaluationStore& store, const FitnessContext& context,
                       const SearchConfig& config) {
  const auto rows = [&](const FitnessSettings& settings, const std::string& suffix) {
    return static_cast<int64_t>(
        store.all(context.task, context.checkpoint_hash, store_fitness(context, settings) + suffix)
            .size());
  };
  const auto steps = [](const FitnessSettings& settings) {
    return settings.mode == FitnessMode::qat ? settings.qat.steps : int64_t{0};
  };
  SearchEffort e;
  e.fidelity = config.fidelity;
  if (config.fitness.mode != FitnessMode::qat) return e;  // PTQ fitness: no fine-tune
  const FitnessSettings search = search_fitness_settings(config), final = final_settings(config);
  e.search_fine_tunes = rows(search, "");
  e.search_steps = steps(search);
  e.final_fine_tunes = rows(final, ";report_split=test");
  e.final_steps = steps(final);
  if (config.fidelity == Fidelity::screened) {
    e.screened = rows(screen_settings(config), "");
    if (search.canonical() != final.canonical()) {  // the baseline's narrower widths
      e.rung_fine_tunes = rows(search, ";report_split=test");
      e.rung_steps = steps(search);
    }
  }
  return e;
}

// Wall seconds of the earlier sessions of a run, from its search.log: each session starts with a
// "session" line and its last "seconds" value is how long it ran (a killed session loses only
// its unfinished generation). Lines before the first "session" line (older logs) are one session.
double earlier_sessions_seconds(const std::filesystem::path& log_path) {
  std::ifstream in(log_path);
  double total = 0, session = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("session", 0) == 0) {
      total += session;
      session = 0;
      continue;
    }
    const size_t at = line.rfind(" seconds ");
    if (at != std::string::npos) session = std::max(session, std::atof(line.c_str() + at + 9));
  }
  return total + session;
}

// Listening examples of a per-step run: the first test clips enhanced by the float model,
// homogeneous 8-bit and the iso-quality genome (picked on validation), into RUN/examples.
constexpr int kExampleClips = 3;

void write_examples(const Loaded& loaded, const GenomeFitness& fitness,
                    const report::Headline& headline, const std::filesystem::path& run_dir,
                    unsigned threads) {
  const auto& se = dynamic_cast<const data::SeDataset&>(*loaded.dataset);
  const data::Split split = data::Split::test;
  const data::Sequences& s = se.split(split);
  const auto steps = static_cast<int32_t>(s.steps);
  std::vector<Enhancer> enhancers = {{"float", "float model", [&](int64_t i, float* gains) {
                                        quant::forward_steps(loaded.model, s.sequence(i), steps,
                                                             gains);
                                      }}};
  std::vector<std::array<std::string, 2>> named = {{"8bit", "homogeneous 8-bit (integer engine)"}};
  std::vector<core::Genome> genomes = {headline.eight->genome};
  if (headline.size) {
    const core::Genome& g = headline.size->genome->genome;
    named.push_back({"iso", "iso-quality genome " + g.to_compact() + " (integer engine)"});
    genomes.push_back(g);
  }
  // Each model is its final fine-tune: the one this session's final scores built, or (scores
  // from the store or another process) built again, side by side, one core each.
  std::vector<std::shared_ptr<const engine::IntegerModel>> models(genomes.size());
  core::parallel_for(genomes.size(), static_cast<int>(threads), [&](size_t i) {
    models[i] = fitness.reported_model(genomes[i]);
    if (!models[i]) {
      models[i] = std::make_shared<const engine::IntegerModel>(fitness.model(genomes[i]));
    }
  });
  for (size_t k = 0; k < models.size(); ++k) {
    const engine::IntegerModel* m = models[k].get();
    enhancers.push_back({named[k][0], named[k][1], [m, &s, steps](int64_t i, float* gains) {
                           streamed_gains(*m, s.sequence(i), steps, gains);
                         }});
  }
  const int clips = std::min<int>(kExampleClips, static_cast<int>(s.count()));
  write_enhancement_examples(se, split, clips, enhancers, run_dir / "examples");
}

}  // namespace

bool parse_free_genes(const std::string& name) {
  if (name == "search") return false;
  if (name == "widest") return true;
  throw std::invalid_argument("--free-genes: unknown value '" + name +
                              "' (expected search or widest)");
}

void validate(const SearchConfig& c) {
  if (c.checkpoint.empty()) throw std::invalid_argument("search needs --ckpt");
  if (c.population < 8 || c.population % 4 != 0) {
    throw std::invalid_argument("population must be a multiple of 4 and >= 8 (NSGA-II), got " +
                                std::to_string(c.population));
  }
  if (c.generations < 1) throw std::invalid_argument("generations must be >= 1");
  if (c.workers < 1) throw std::invalid_argument("workers must be >= 1");
  if (c.final_steps < 0) throw std::invalid_argument("final-steps must be >= 0");
  if (c.final_fronts < 1) throw std::invalid_argument("final-fronts must be >= 1");
  if (c.islands.islands < 1) throw std::invalid_argument("islands must be >= 1");
  if (!(c.screen.promote > 0 && c.screen.promote <= 1)) {
    throw std::invalid_argument("promote must be in (0, 1], got " +
                                std::to_string(c.screen.promote));
  }
  if (c.final_keep < 1) throw std::invalid_argument("final-keep must be >= 1");
  if (c.free_widest && c.objectives != Objectives::error_size) {
    throw std::invalid_argument(
        "free-genes widest needs objectives error,size (BOPs and latency price every gene)");
  }
  if (c.fidelity == Fidelity::screened && c.fitness.mode != FitnessMode::qat) {
    throw std::invalid_argument(
        "--fidelity screened screens QAT fine-tunes by PTQ scores; it needs --fitness qat");
  }
  if (c.islands.migrate_every < 1) throw std::invalid_argument("migrate-every must be >= 1");
  if (c.islands.migrants >= c.population) {
    throw std::invalid_argument("migrants must be fewer than the population");
  }
  if (!(c.crossover >= 0 && c.crossover < 1))
    throw std::invalid_argument("crossover must be in [0, 1)");
  if (!(c.mutation >= 0 && c.mutation <= 1))
    throw std::invalid_argument("mutation must be in [0, 1]");
  quant::validate(c.calibration);
  if (c.fitness.mode == FitnessMode::qat) train::validate(c.fitness.qat);
  if (c.fitness.mode != FitnessMode::qat && c.fitness.qat.distill_weight != 0) {
    throw std::invalid_argument(
        "--distill-weight distils the QAT fine-tunes from the float model; it needs --fitness qat");
  }
  if (c.fitness.mode != FitnessMode::qat && c.fitness.qat.dampen != 0) {
    throw std::invalid_argument(
        "--dampen dampens the oscillations of QAT fine-tunes; it needs --fitness qat");
  }
  const bool latency = c.objectives == Objectives::error_size_latency;
  if (latency && c.target.empty()) {
    throw std::invalid_argument("--objectives error,size,latency needs --target (one of " +
                                device::target_names() + ")");
  }
  if (!latency && !c.target.empty()) {
    throw std::invalid_argument("--target " + c.target +
                                " names the device of the latency objective; --objectives is " +
                                to_string(c.objectives) + " (use error,size,latency)");
  }
  if (latency) {
    const device::Target target = device::parse_target(c.target, "--target");
    if (!device::CostModel::builtin().has(target)) {
      throw std::invalid_argument("--target " + c.target +
                                  ": the built-in device costs have no figures for it "
                                  "(scripts/device_costs.sh measures them)");
    }
  }
}

FitnessSettings search_fitness_settings(const SearchConfig& config) {
  FitnessSettings settings = config.fitness;
  settings.qat.threads = 1;  // one core per evaluation; `workers` evaluations at once
  settings.engine_threads = 1;
  return settings;
}

FitnessSettings final_settings(const SearchConfig& config) {
  FitnessSettings settings = search_fitness_settings(config);
  if (config.fitness.mode == FitnessMode::qat && config.final_steps > 0) {
    settings.qat.steps = config.final_steps;
  }
  return settings;
}

FitnessSettings screen_settings(const SearchConfig& config) {
  FitnessSettings settings = search_fitness_settings(config);
  settings.mode = FitnessMode::ptq;
  return settings;
}

nlohmann::json SearchEffort::to_json() const {
  json j = {{"fidelity", search::to_string(fidelity)},
            {"search_fine_tunes", search_fine_tunes},
            {"search_steps", search_steps},
            {"final_fine_tunes", final_fine_tunes},
            {"final_steps", final_steps},
            {"qat_steps", qat_steps()}};
  if (fidelity == Fidelity::screened) {
    j["screened"] = screened;
    j["rung_fine_tunes"] = rung_fine_tunes;
    j["rung_steps"] = rung_steps;
  }
  return j;
}

void serve_search(
    const SearchConfig& config,
    const std::function<void(const std::map<std::string, const GenomeFitness*>& roles)>& serve) {
  validate(config);
  const Loaded loaded = load(config);
  const FitnessContext context = fitness_context(loaded, config);
  const GenomeFitness search(context, search_fitness_settings(config), nullptr);
  const GenomeFitness final(context, final_settings(config), nullptr);
  serve({{"search", &search}, {"final", &final}});
}

nlohmann::json search_config_json(const SearchConfig& config) {
  return to_json(config);
}

SearchConfig search_config_from_json(const nlohmann::json& j) {
  return from_json(j);
}

SearchConfig load_search_config(const std::filesystem::path& run_dir) {
  const std::filesystem::path path = run_dir / "config.json";
  try {
    return from_json(core::read_json_file(path).at("search"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not a search config: " + e.what());
  } catch (const std::invalid_argument& e) {
    // A bad value in the file is a bad file (exit 1), not a bad command line (exit 2).
    throw std::runtime_error(path.string() + ": " + e.what());
  }
}

SearchResult run_search(const SearchConfig& config, const std::filesystem::path& run_dir,
                        const std::function<void(const GenerationProgress&)>& progress,
                        const std::function<void(const ScoringProgress&)>& scoring,
                        const Dispatch& dispatch) {
  validate(config);
  const unsigned threads = dispatch.remote != nullptr ? dispatch.threads : config.workers;
  const auto start = Clock::now();
  const Loaded loaded =
      load(config);  // bad data or a checkpoint that does not fit: nothing written
  std::filesystem::create_directories(run_dir);
  const core::FolderLock lock(run_dir);  // one search (or resume) per folder at a time
  core::write_json_file({{"search", to_json(config)}}, run_dir / "config.json");
  EvaluationStore store(run_dir / "evaluations.sqlite");
  const FitnessContext context = fitness_context(loaded, config);
  const FitnessSettings settings = search_fitness_settings(config);
  auto search_fitness = std::make_shared<GenomeFitness>(context, settings, &store);
  if (dispatch.remote != nullptr) search_fitness->use_remote(dispatch.remote, "search");
  const std::shared_ptr<const GenomeFitness> fitness = search_fitness;
  const LatencyModel latency = latency_model(loaded, config);
  const std::vector<bool> held =
      config.free_widest ? held_genes(loaded.model) : std::vector<bool>{};
  const pagmo::problem problem{GenomeProblem(fitness, config.objectives, latency, held)};
  const oneapi::tbb::global_control limit(oneapi::tbb::global_control::max_allowed_parallelism,
                                          threads);
  const auto size_8 = static_cast<double>(
      size_bits(loaded.model, core::Genome::homogeneous(fitness->layout(), core::kMaxBits)));
  // Screened fidelity: the PTQ fitness every new genome gets first, and one Screen per population
  // (per island), made when its initial population is.
  const bool screened = config.fidelity == Fidelity::screened;
  const auto cheap =
      std::make_shared<const GenomeFitness>(context, screen_settings(config), &store);
  std::map<unsigned, std::shared_ptr<Screen>> screens;
  const auto screen_of = [&](unsigned seed) -> std::shared_ptr<Screen> {
    if (!screened) return nullptr;
    std::shared_ptr<Screen>& s = screens[seed];
    if (!s) s = std::make_shared<Screen>(cheap, fitness, config.screen, size_8, threads);
    return s;
  };
  const auto make_algorithm = [&](unsigned seed) {
    pagmo::nsga2 a(1u, config.crossover, config.eta_c, config.mutation, config.eta_m, seed);
    if (screened) {
      a.set_bfe(pagmo::bfe{ScreenedBfe{screen_of(seed)}});
    } else if (threads > 1) {
      a.set_bfe(pagmo::bfe{pagmo::thread_bfe{}});
    }
    return a;
  };
  std::optional<Archipelago> islands;
  pagmo::population pop;
  if (config.islands.islands > 1) {
    islands.emplace(
        config.islands, config.seed,
        [&](unsigned seed) {
          SearchConfig island = config;
          island.seed = seed;
          return initial_population(problem, island, fitness->layout(), threads, screen_of(seed));
        },
        make_algorithm, threads > 1);
    pop = islands->merged();
  } else {
    pop = initial_population(problem, config, fitness->layout(), threads, screen_of(config.seed));
  }
  pagmo::nsga2 algorithm = make_algorithm(config.seed);
  const double earlier_seconds = earlier_sessions_seconds(run_dir / "search.log");
  std::ofstream log(run_dir / "search.log", std::ios::app);
  const std::string blas = train::blas_core();
  log << "session started after " << earlier_seconds << " seconds of earlier sessions"
      << (blas.empty() ? "" : ", OpenBLAS core " + blas) << std::endl;
  const auto screen_counts = [&] {
    std::pair<int64_t, int64_t> n{0, 0};
    for (const auto& [seed, s] : screens) {
      n.first += s->screened();
      n.second += s->fine_tunes();
    }
    return n;
  };
  for (unsigned g = 1; g <= config.generations; ++g) {
    if (islands) {
      islands->evolve(g, config.generations, log);
      pop = islands->merged();
    } else {
      pop = algorithm.evolve(pop);
    }
    GenerationProgress p{g,
                         config.generations,
                         fitness->evaluations(),
                         fitness->cache_hits(),
                         0,
                         INT64_MAX,
                         std::chrono::duration<double>(Clock::now() - start).count(),
                         population_hypervolume(pop.get_f(), size_8)};
    p.best_accuracy = -HUGE_VAL;
    for (const auto& f : pop.get_f()) {
      p.best_accuracy = std::max(p.best_accuracy, fitness->metric().score(f[0]));
      p.smallest_size_bits = std::min(p.smallest_size_bits, static_cast<int64_t>(f[1]));
    }
    if (screened) std::tie(p.screened, p.fine_tunes) = screen_counts();
    log << "generation " << g << "/" << config.generations << " evaluations " << p.evaluations
        << " cache_hits " << p.cache_hits << " best_val_accuracy " << p.best_accuracy
        << " smallest_size_bits " << p.smallest_size_bits << " hypervolume " << p.hypervolume;
    if (screened) log << " screened " << p.screened << " fine_tuned " << p.fine_tunes;
    log << " seconds " << p.elapsed_seconds << std::endl;
    if (progress) progress(p);
  }
  const bool bops = config.objectives == Objectives::error_size_bops;
  // A genome's search objectives if some population fine-tuned it (screened), else empty.
  const auto tuned = [&](const core::Genome& g) {
    pagmo::vector_double f;
    for (const auto& [seed, s] : screens) {
      if (s->fine_tuned(g.to_compact(), &f)) break;
    }
    return f;
  };
  FullFidelity full_fidelity;
  if (screened) {
    full_fidelity = [&](const core::Genome& g, const pagmo::vector_double& f) {
      return tuned(g) == f;
    };
  }
  const std::vector<core::Genome> candidates = final_candidates(pop, config, full_fidelity);
  std::vector<core::Genome> baseline;
  for (int bits = core::kMaxBits; bits >= core::kMinBits; --bits) {
    baseline.push_back(core::Genome::homogeneous(fitness->layout(), bits));
  }
  const FitnessSettings final_scores = final_settings(config);
  std::shared_ptr<GenomeFitness> finals = search_fitness;
  if (final_scores.canonical() != settings.canonical()) {
    finals = std::make_shared<GenomeFitness>(context, final_scores, &store);
    if (dispatch.remote != nullptr) finals->use_remote(dispatch.remote, "final");
  }
  const bool enhancement = dynamic_cast<const data::SeDataset*>(loaded.dataset.get()) != nullptr;
  if (enhancement) finals->keep_reported_models();  // the listening examples' models
  const std::shared_ptr<const GenomeFitness> final_fitness = finals;
  // Screened finals (successive halving): the first rung is the search's own fine-tune.
  const std::shared_ptr<const GenomeFitness> rung_fitness = screened ? fitness : final_fitness;
  ScoringProgress scoring_progress{
      0,
      baseline.size() +
          (screened ? std::min<size_t>(config.final_keep, candidates.size()) : candidates.size()),
      0};
  const auto scoring_start = Clock::now();
  const auto one_done = [&] {
    ++scoring_progress.done;
    scoring_progress.elapsed_seconds =
        std::chrono::duration<double>(Clock::now() - scoring_start).count();
    log << "scored " << scoring_progress.done << "/" << scoring_progress.total << " seconds "
        << std::chrono::duration<double>(Clock::now() - start).count() << std::endl;
    if (scoring) scoring(scoring_progress);
  };
  std::vector<std::pair<report::ScoredGenome, std::string>> baseline_scores, candidate_scores;
  if (!screened) {
    baseline_scores = score(*final_fitness, baseline, threads, one_done);
    candidate_scores = score(*final_fitness, candidates, threads, one_done);
  } else {
    FinalsRun run{*final_fitness, *rung_fitness, final_scores.qat.steps, threads,
                  size_8,         log,           scoring_progress,       one_done};
    screened_finals(candidates, tuned, baseline, config.final_keep, run, baseline_scores,
                    candidate_scores);
  }
  const auto eight = baseline_scores.front();
  const report::Metric metric = fitness->metric();
  pair_with_eight(baseline_scores, eight, metric);
  pair_with_eight(candidate_scores, eight, metric);
  SearchResult r;
  r.bops_objective = bops;
  r.metric = metric;
  std::vector<report::ScoredGenome> scored_candidates;
  for (const auto& s : candidate_scores) scored_candidates.push_back(s.first);
  r.front = final_front(scored_candidates, config.objectives, latency, metric);
  for (const auto& s : baseline_scores) r.baseline.push_back(s.first);
  add_device_costs(loaded, r.front);
  add_device_costs(loaded, r.baseline);
  std::reverse(r.baseline.begin(), r.baseline.end());  // by size: 2 bits first
  std::vector<const GenomeFitness*> used = {fitness.get()};
  for (const GenomeFitness* f : {final_fitness.get(), rung_fitness.get()}) {
    if (std::find(used.begin(), used.end(), f) == used.end()) used.push_back(f);
  }
  if (screened) used.push_back(cheap.get());
  for (const GenomeFitness* f : used) {
    r.evaluations += f->evaluations();
    r.cache_hits += f->cache_hits();
    r.unbuildable += f->failures();
  }
  r.effort = effort_of(store, context, config);
  if (enhancement) {
    write_examples(loaded, *final_fitness, report::headline(r.front, r.baseline, bops, metric),
                   run_dir, threads);
    log << "examples " << kExampleClips << " test clips in examples/" << std::endl;
  }
  const double session_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log << "finished front " << r.front.size() << " of " << candidates.size() << " candidates"
      << " baseline " << r.baseline.size() << " qat_fine_tunes "
      << r.effort.search_fine_tunes + r.effort.rung_fine_tunes + r.effort.final_fine_tunes
      << " qat_steps " << r.effort.qat_steps() << " seconds " << session_seconds << std::endl;
  r.seconds = earlier_seconds + session_seconds;
  // Every output replaced together: a failure (a full disk) leaves the run's files as they were.
  core::StagedFolder out(run_dir);
  out.link("config.json");
  try {
    r.stored_evaluations =
        write_evaluated(store, context, settings, final_scores, out.path(), metric);
    report::FrontFile file;
    file.task = loaded.task;
    file.checkpoint_hash = context.checkpoint_hash;
    file.config = to_json(config);
    file.front = r.front;
    file.baseline = r.baseline;
    file.evaluations = r.stored_evaluations;
    file.session_evaluations = r.evaluations;
    file.session_cache_hits = r.cache_hits;
    file.seconds = r.seconds;
    file.metric = metric;
    file.effort = r.effort.to_json();
    report::write_front_files(file, out.path());
    report::write_run_report_files(out.path(), run_dir);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(core::with_path_replaced(e.what(), out.path(), run_dir));
  }
  std::filesystem::remove(out.path() / "config.json");  // written at the start, already in place
  out.commit();
  return r;
}

}  // namespace mpgru::search
