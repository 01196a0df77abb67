// The NSGA-II search driver and its run folder.
#include "search/search_run.hpp"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/batch_evaluators/thread_bfe.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/utils/hypervolume.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include "core/json_file.hpp"
#include "core/parallel_for.hpp"
#include "data/task.hpp"
#include "search/run_report.hpp"
#include "train/float_export.hpp"

namespace mpgru::search {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

json to_json(const SearchConfig& c) {
  return {{"checkpoint", c.checkpoint},
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
          {"objectives", c.objectives == Objectives::error_size ? "error,size" : "error,size,bops"},
          {"calibration", quant::to_string(c.calibration.method)},
          {"calib_sequences", c.calibration.sequences},
          {"population", c.population},
          {"generations", c.generations},
          {"seed", c.seed},
          {"workers", c.workers},
          {"final_steps", c.final_steps},
          {"crossover", c.crossover},
          {"eta_c", c.eta_c},
          {"mutation", c.mutation},
          {"eta_m", c.eta_m}};
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
  c.objectives = parse_objectives(j.at("objectives").get<std::string>());
  c.calibration.method = quant::parse_range_method(j.at("calibration").get<std::string>());
  c.calibration.sequences = j.at("calib_sequences").get<int64_t>();
  c.population = j.at("population").get<unsigned>();
  c.generations = j.at("generations").get<unsigned>();
  c.seed = j.at("seed").get<unsigned>();
  c.workers = j.at("workers").get<unsigned>();
  c.final_steps = j.value("final_steps", int64_t{0});
  c.crossover = j.at("crossover").get<double>();
  c.eta_c = j.at("eta_c").get<double>();
  c.mutation = j.at("mutation").get<double>();
  c.eta_m = j.at("eta_m").get<double>();
  return c;
}

// Everything a search shares, loaded once.
struct Loaded {
  quant::FloatGruModel model;
  std::unique_ptr<data::Dataset> dataset;
  quant::Calibration calibration;
  std::string task;
};

Loaded load(const SearchConfig& c) {
  Loaded l;
  l.model = train::load_float_model(c.checkpoint);
  l.task = c.task.empty() ? train::checkpoint_task(c.checkpoint) : c.task;
  l.dataset = data::load_task(
      l.task, c.data_dir.empty() ? data::default_data_dir() : std::filesystem::path(c.data_dir),
      data::LoadOptions{c.skip_bad});
  if (const std::string why = quant::input_mismatch(l.model, *l.dataset); !why.empty()) {
    throw std::invalid_argument("checkpoint " + c.checkpoint + " " + why);
  }
  l.calibration = quant::calibrate(l.model, l.dataset->split(data::Split::train), c.calibration);
  return l;
}

pagmo::population initial_population(const pagmo::problem& p, const SearchConfig& c,
                                     const core::GenomeLayout& layout) {
  // With several workers the random part is evaluated through the batch evaluator too.
  pagmo::population pop = c.workers > 1 ? pagmo::population{p, pagmo::bfe{pagmo::thread_bfe{}},
                                                            c.population - 7, c.seed}
                                        : pagmo::population{p, c.population - 7, c.seed};
  for (int bits = core::kMaxBits; bits >= core::kMinBits; --bits) {
    pop.push_back(to_vector(core::Genome::homogeneous(layout, bits)));
  }
  return pop;
}

// Indices of the first non-dominated front of f.
std::vector<size_t> first_front(const std::vector<pagmo::vector_double>& f) {
  if (f.empty()) return {};
  const auto sorted = pagmo::fast_non_dominated_sorting(f);
  return std::vector<size_t>(std::get<0>(sorted)[0].begin(), std::get<0>(sorted)[0].end());
}

// Objectives on the test split, normalised by homogeneous 8-bit's size and BOPs.
pagmo::vector_double normalised(const FrontPoint& p, const FrontPoint& eight, bool bops) {
  pagmo::vector_double v = {1.0 - p.test_accuracy,
                            static_cast<double>(p.validation.size_bits) /
                                static_cast<double>(eight.validation.size_bits)};
  if (bops) {
    v.push_back(static_cast<double>(p.validation.bops) /
                static_cast<double>(eight.validation.bops));
  }
  return v;
}

// pagmo's hypervolume of the points strictly inside the reference point (0 if none is).
double hypervolume_inside(const std::vector<pagmo::vector_double>& points,
                          const pagmo::vector_double& ref) {
  std::vector<pagmo::vector_double> inside;
  for (const pagmo::vector_double& x : points) {
    bool in = true;
    for (size_t i = 0; i < x.size(); ++i) in = in && x[i] < ref[i];
    if (in) inside.push_back(x);
  }
  return inside.empty() ? 0.0 : pagmo::hypervolume(inside, true).compute(ref);
}

double hypervolume(const std::vector<FrontPoint>& points, const FrontPoint& eight, bool bops) {
  std::vector<pagmo::vector_double> v;
  for (const FrontPoint& p : points) v.push_back(normalised(p, eight, bops));
  return hypervolume_inside(
      v, bops ? pagmo::vector_double{1.0, 1.05, 1.05} : pagmo::vector_double{1.0, 1.05});
}

void write_csv(const std::vector<FrontPoint>& points, const std::filesystem::path& path) {
  std::ofstream out(path);
  out << "genome,genome_pairs,val_accuracy,test_accuracy,size_bits,size_bytes,footprint_bytes,"
         "bops\n";
  for (const FrontPoint& p : points) {
    out << p.genome.to_compact() << ",\"" << p.genome.to_pairs() << "\"," << p.validation.accuracy
        << ',' << p.test_accuracy << ',' << p.validation.size_bits << ','
        << p.validation.size_bits / 8 << ',' << p.validation.footprint_bytes << ','
        << p.validation.bops << '\n';
  }
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

json point_json(const FrontPoint& p) {
  return {{"genome", p.genome.to_pairs()},
          {"compact", p.genome.to_compact()},
          {"val_accuracy", p.validation.accuracy},
          {"test_accuracy", p.test_accuracy},
          {"size_bits", p.validation.size_bits},
          {"footprint_bytes", p.validation.footprint_bytes},
          {"bops", p.validation.bops}};
}

// The report's figures of `genomes` on `workers` threads (one core each), sorted by size.
std::vector<FrontPoint> score(const GenomeFitness& fitness,
                              const std::vector<core::Genome>& genomes, unsigned workers) {
  std::vector<FrontPoint> out(genomes.size());
  core::parallel_for(genomes.size(), static_cast<int>(workers), [&](size_t i) {
    out[i].genome = genomes[i];
    std::tie(out[i].validation, out[i].test_accuracy) = fitness.report(genomes[i]);
  });
  std::sort(out.begin(), out.end(), [](const FrontPoint& a, const FrontPoint& b) {
    return a.validation.size_bits < b.validation.size_bits;
  });
  return out;
}

// Hypervolume of a population on (validation error, size / size_8): the search's progress.
double population_hypervolume(const std::vector<pagmo::vector_double>& f, double size_8) {
  std::vector<pagmo::vector_double> points;
  for (size_t i : first_front(f)) points.push_back({f[i][0], f[i][1] / size_8});
  return hypervolume_inside(points, {1.0, 1.05});
}

void headline(SearchResult& r, bool bops) {
  const FrontPoint& eight = *std::max_element(
      r.baseline.begin(), r.baseline.end(), [](const FrontPoint& a, const FrontPoint& b) {
        return a.validation.size_bits < b.validation.size_bits;
      });
  r.hypervolume_front = hypervolume(r.front, eight, bops);
  r.hypervolume_baseline = hypervolume(r.baseline, eight, bops);
  for (const FrontPoint& p : r.front) {
    if (p.test_accuracy < eight.test_accuracy - kIsoAccuracyTolerance) continue;
    // Sorted by size: the first that qualifies is the smallest.
    if (r.iso_accuracy == nullptr) r.iso_accuracy = &p;
    if (r.iso_accuracy_bops == nullptr ||
        p.validation.bops < r.iso_accuracy_bops->validation.bops) {
      r.iso_accuracy_bops = &p;
    }
  }
  if (r.iso_accuracy != nullptr) {
    r.size_reduction = 1.0 - static_cast<double>(r.iso_accuracy->validation.size_bits) /
                                 static_cast<double>(eight.validation.size_bits);
    r.bops_reduction = 1.0 - static_cast<double>(r.iso_accuracy_bops->validation.bops) /
                                 static_cast<double>(eight.validation.bops);
  }
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

}  // namespace

void validate(const SearchConfig& c) {
  if (c.checkpoint.empty()) throw std::invalid_argument("search needs --ckpt");
  if (c.population < 8 || c.population % 4 != 0) {
    throw std::invalid_argument("population must be a multiple of 4 and >= 8 (NSGA-II), got " +
                                std::to_string(c.population));
  }
  if (c.generations < 1) throw std::invalid_argument("generations must be >= 1");
  if (c.workers < 1) throw std::invalid_argument("workers must be >= 1");
  if (c.final_steps < 0) throw std::invalid_argument("final-steps must be >= 0");
  if (!(c.crossover >= 0 && c.crossover < 1))
    throw std::invalid_argument("crossover must be in [0, 1)");
  if (!(c.mutation >= 0 && c.mutation <= 1))
    throw std::invalid_argument("mutation must be in [0, 1]");
  quant::validate(c.calibration);
  if (c.fitness.mode == FitnessMode::qat) train::validate(c.fitness.qat);
}

FitnessSettings search_fitness_settings(const SearchConfig& config) {
  FitnessSettings settings = config.fitness;
  settings.qat.threads = 1;  // one core per evaluation; `workers` evaluations at once
  settings.engine_threads = 1;
  return settings;
}

SearchConfig load_search_config(const std::filesystem::path& run_dir) {
  const std::filesystem::path path = run_dir / "config.json";
  try {
    return from_json(core::read_json_file(path).at("search"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not a search config: " + e.what());
  }
}

SearchResult run_search(const SearchConfig& config, const std::filesystem::path& run_dir,
                        const std::function<void(const GenerationProgress&)>& progress) {
  validate(config);
  const auto start = Clock::now();
  std::filesystem::create_directories(run_dir);
  core::write_json_file({{"search", to_json(config)}}, run_dir / "config.json");
  const Loaded loaded = load(config);
  EvaluationStore store(run_dir / "evaluations.sqlite");
  FitnessContext context{&loaded.model, &loaded.calibration, loaded.dataset.get(), loaded.task,
                         file_hash(std::filesystem::path(config.checkpoint) / "checkpoint")};
  const FitnessSettings settings = search_fitness_settings(config);
  auto fitness = std::make_shared<const GenomeFitness>(context, settings, &store);
  const pagmo::problem problem{GenomeProblem(fitness, config.objectives)};
  const oneapi::tbb::global_control limit(oneapi::tbb::global_control::max_allowed_parallelism,
                                          config.workers);
  pagmo::nsga2 algorithm(1u, config.crossover, config.eta_c, config.mutation, config.eta_m,
                         config.seed);
  if (config.workers > 1) algorithm.set_bfe(pagmo::bfe{pagmo::thread_bfe{}});
  pagmo::population pop = initial_population(problem, config, fitness->layout());
  const double earlier_seconds = earlier_sessions_seconds(run_dir / "search.log");
  std::ofstream log(run_dir / "search.log", std::ios::app);
  log << "session started after " << earlier_seconds << " seconds of earlier sessions" << std::endl;
  const auto size_8 = static_cast<double>(
      size_bits(loaded.model, core::Genome::homogeneous(fitness->layout(), core::kMaxBits)));
  for (unsigned g = 1; g <= config.generations; ++g) {
    pop = algorithm.evolve(pop);
    GenerationProgress p{g,
                         config.generations,
                         fitness->evaluations(),
                         fitness->cache_hits(),
                         0,
                         INT64_MAX,
                         std::chrono::duration<double>(Clock::now() - start).count(),
                         population_hypervolume(pop.get_f(), size_8)};
    for (const auto& f : pop.get_f()) {
      p.best_accuracy = std::max(p.best_accuracy, 1.0 - f[0]);
      p.smallest_size_bits = std::min(p.smallest_size_bits, static_cast<int64_t>(f[1]));
    }
    log << "generation " << g << "/" << config.generations << " evaluations " << p.evaluations
        << " cache_hits " << p.cache_hits << " best_val_accuracy " << p.best_accuracy
        << " smallest_size_bits " << p.smallest_size_bits << " hypervolume " << p.hypervolume
        << " seconds " << p.elapsed_seconds << std::endl;
    if (progress) progress(p);
  }
  std::map<std::string, core::Genome> front_genomes;
  const auto x = pop.get_x();
  for (size_t i : first_front(pop.get_f())) {
    const core::Genome g = from_vector(fitness->layout(), x[i]);
    front_genomes.emplace(g.to_compact(), g);
  }
  std::vector<core::Genome> front, baseline;
  for (const auto& kv : front_genomes) front.push_back(kv.second);
  for (int bits = core::kMaxBits; bits >= core::kMinBits; --bits) {
    baseline.push_back(core::Genome::homogeneous(fitness->layout(), bits));
  }
  SearchResult r;
  std::shared_ptr<const GenomeFitness> final_fitness = fitness;
  if (config.fitness.mode == FitnessMode::qat && config.final_steps > 0) {
    FitnessSettings longer = settings;
    longer.qat.steps = config.final_steps;
    final_fitness = std::make_shared<const GenomeFitness>(context, longer, &store);
  }
  r.front = score(*final_fitness, front, config.workers);
  r.baseline = score(*final_fitness, baseline, config.workers);
  headline(r, config.objectives == Objectives::error_size_bops);
  r.evaluations =
      fitness->evaluations() + (final_fitness != fitness ? final_fitness->evaluations() : 0);
  r.cache_hits =
      fitness->cache_hits() + (final_fitness != fitness ? final_fitness->cache_hits() : 0);
  const double session_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log << "finished front " << r.front.size() << " baseline " << r.baseline.size() << " seconds "
      << session_seconds << std::endl;
  r.seconds = earlier_seconds + session_seconds;
  write_csv(r.front, run_dir / "front.csv");
  write_csv(r.baseline, run_dir / "baseline.csv");
  json doc = {{"task", loaded.task},
              {"checkpoint_hash", context.checkpoint_hash},
              {"config", to_json(config)},
              {"hypervolume_front", r.hypervolume_front},
              {"hypervolume_baseline", r.hypervolume_baseline},
              {"size_reduction", r.size_reduction},
              {"bops_reduction", r.bops_reduction},
              {"evaluations", r.evaluations},
              {"cache_hits", r.cache_hits},
              {"seconds", r.seconds},
              {"front", json::array()},
              {"baseline", json::array()}};
  if (r.iso_accuracy != nullptr) {
    doc["iso_accuracy_genome"] = point_json(*r.iso_accuracy);
    doc["iso_accuracy_bops_genome"] = point_json(*r.iso_accuracy_bops);
  }
  for (const FrontPoint& p : r.front) doc["front"].push_back(point_json(p));
  for (const FrontPoint& p : r.baseline) doc["baseline"].push_back(point_json(p));
  core::write_json_file(doc, run_dir / "front.json");
  write_run_report(run_dir);
  return r;
}

}  // namespace mpgru::search
