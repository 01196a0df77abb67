// `mpgru search`: NSGA-II over bit-width genomes from a float checkpoint; `--resume RUN_DIR`
// continues a stopped run from its evaluation store.
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "cli/progress_bar.hpp"
#include "cli/ptq_setup.hpp"
#include "data/task.hpp"
#include "report/headline.hpp"
#include "search/mpi_evaluator.hpp"
#include "search/search_run.hpp"
#include "train/blas_core.hpp"
#include "train/float_export.hpp"

namespace mpgru::cli {
namespace {

struct SearchArgs {
  search::SearchConfig config;
  std::string fitness = "ptq";
  std::string objectives = "error,size";
  std::string objective = "auto";  // accuracy, sisdr, stoi, r2; auto: by the checkpoint
  std::string method = "mse";
  std::string out = "runs/search";
  std::string resume;
  int64_t qat_seed = -1;  // -1: the search seed
  std::string evaluator = "threads";
  std::string topology = "ring";
  std::string fidelity = "full";
  std::string free_genes = "search";
};

std::string interval(const report::Metric& m, const report::Interval& i) {
  if (!m.is_accuracy()) return "[" + m.format(i.low) + ", " + m.format(i.high) + "]";
  char text[64];
  std::snprintf(text, sizeof text, "[%.2f, %.2f]", 100 * i.low, 100 * i.high);
  return text;
}

void print_pick(const report::Metric& m, const report::Pick& p, const std::string& what) {
  const report::ScoredGenome& g = *p.genome;
  std::printf(
      "%s (chosen on validation): %s, %lld bytes, %.1f MBOPs: size -%.1f %%, BOPs -%.1f %%\n",
      what.c_str(), g.genome.to_compact().c_str(), static_cast<long long>(g.size_bits / 8),
      static_cast<double>(g.bops) / 1e6, 100 * p.size_reduction, 100 * p.bops_reduction);
  std::printf("  validation %s %s; test (reported) %s %s, %s vs 8-bit",
              m.format(g.val_accuracy).c_str(), interval(m, p.val_interval).c_str(),
              m.format(g.test_accuracy).c_str(), interval(m, p.test_interval).c_str(),
              m.format_difference(p.test_difference).c_str());
  if (p.paired && !m.is_accuracy()) {
    std::printf(" [%s, %s] paired 95 %%",
                m.format_difference(p.test_difference_interval.low).c_str(),
                m.format_difference(p.test_difference_interval.high).c_str());
  } else if (p.paired) {
    std::printf(" [%+.2f, %+.2f] paired 95 %%, McNemar p %.3g",
                100 * p.test_difference_interval.low, 100 * p.test_difference_interval.high,
                p.mcnemar_p);
  }
  std::printf("\n");
  for (const report::DeviceCost& c : g.device) {
    std::printf("  %s (predicted, -O2): %lld instructions per step, %lld B flash\n",
                c.target.c_str(), static_cast<long long>(c.instructions),
                static_cast<long long>(c.flash_bytes));
  }
}

void print_result(const search::SearchResult& r, const std::string& run_dir) {
  const report::Metric& m = r.metric;
  const report::Headline h = report::headline(r.front, r.baseline, r.bops_objective, m);
  std::printf("front: %zu genomes, baseline: %zu; homogeneous 8-bit: validation %s, test %s%s\n",
              r.front.size(), r.baseline.size(), m.format(h.eight->val_accuracy).c_str(),
              m.format(h.eight->test_accuracy).c_str(),
              m.is_accuracy() ? ""
                              : (" (" + m.label() + "; float model on validation " +
                                 m.format(m.reference) + ")")
                                    .c_str());
  std::printf(
      "hypervolume on validation: mixed %.4f vs homogeneous %.4f; on test (reported): "
      "%.4f vs %.4f\n",
      h.validation.front, h.validation.baseline, h.test.front, h.test.baseline);
  const std::string within = "within " + m.tolerance_text() + " of 8-bit";
  if (h.size) {
    print_pick(m, *h.size, "smallest front genome " + within);
    if (h.bops->genome != h.size->genome)
      print_pick(m, *h.bops, "fewest-BOPs front genome " + within);
  } else {
    std::printf("no front genome is %s on validation\n", within.c_str());
  }
  std::printf(
      "%lld evaluations (%lld unbuildable: no int32-safe integer model, scored as error 1), "
      "%lld cache hits, %s; wrote %s/{front.csv,front.json,baseline.csv}\n"
      "report: %s/report.html\n",
      static_cast<long long>(r.evaluations), static_cast<long long>(r.unbuildable),
      static_cast<long long>(r.cache_hits), format_duration(r.seconds).c_str(), run_dir.c_str(),
      run_dir.c_str());
  const search::SearchEffort& e = r.effort;
  if (e.qat_steps() == 0) return;  // PTQ fitness
  std::printf("QAT work: %lld fine-tunes, %lld steps in all (search %lld x %lld",
              static_cast<long long>(e.search_fine_tunes + e.rung_fine_tunes + e.final_fine_tunes),
              static_cast<long long>(e.qat_steps()), static_cast<long long>(e.search_fine_tunes),
              static_cast<long long>(e.search_steps));
  if (e.fidelity == search::Fidelity::screened) {
    std::printf(" of %lld screened by PTQ; baseline 7..2 bits %lld x %lld",
                static_cast<long long>(e.screened), static_cast<long long>(e.rung_fine_tunes),
                static_cast<long long>(e.rung_steps));
  }
  std::printf(", %s %lld x %lld)\n", e.fidelity == search::Fidelity::screened ? "full" : "finals",
              static_cast<long long>(e.final_fine_tunes), static_cast<long long>(e.final_steps));
}

// A resumed run keeps its own config.json: any other option given with --resume would be
// ignored, so it is an error naming the options.
void refuse_flags_with_resume(const CLI::App& app) {
  std::string given;
  for (const CLI::Option* o : app.get_options()) {
    const std::string name = o->get_name();
    if (o->count() == 0 || name == "--resume" || name == "--help" || name == "--config" ||
        name == "--evaluator" || name == "--workers") {
      continue;  // where the evaluations run is not part of a run: it may change on resume
    }
    given += (given.empty() ? "" : ", ") + name;
  }
  if (!given.empty()) {
    throw std::invalid_argument(
        "--resume continues a run with its own config.json; " + given + " would be ignored: drop " +
        (given.find(',') == std::string::npos ? "it" : "them") + ", or start a new run with --out");
  }
}

// --objective: accuracy for a classifier; for a per-step model sisdr (speech enhancement) or r2
// (a data file's per-step targets) unless given.
report::Metric::Kind resolve_objective(const std::string& objective,
                                       const std::string& checkpoint) {
  if (objective != "auto") return report::parse_metric_kind(objective);
  if (checkpoint.empty()) return report::Metric::Kind::accuracy;  // validate() names --ckpt
  if (train::load_float_model(checkpoint).outputs == 0) return report::Metric::Kind::accuracy;
  return train::checkpoint_task(checkpoint) == data::kFileTask ? report::Metric::Kind::r2
                                                               : report::Metric::Kind::sisdr;
}

// Resolves the run's config and folder: a resumed run's own config.json, or the flags.
std::string resolve_run(SearchArgs& args) {
  std::string run_dir = args.out;
  if (!args.resume.empty()) {
    const std::filesystem::path store = std::filesystem::path(args.resume) / "evaluations.sqlite";
    std::error_code ec;
    if (std::filesystem::exists(store, ec) && std::filesystem::file_size(store, ec) == 0) {
      throw std::runtime_error(store.string() +
                               " is empty (0 bytes): not a store a search wrote, so resuming "
                               "would silently start over; move it away to start again");
    }
    args.config = search::load_search_config(args.resume);
    run_dir = args.resume;
  } else {
    args.config.fitness.mode = search::parse_fitness_mode(args.fitness);
    args.config.objectives = search::parse_objectives(args.objectives);
    args.config.calibration.method = quant::parse_range_method(args.method);
    args.config.islands.topology = search::parse_topology(args.topology);
    args.config.fidelity = search::parse_fidelity(args.fidelity);
    args.config.free_widest = search::parse_free_genes(args.free_genes);
    search::validate(args.config);  // a bad flag is reported before the checkpoint is read
    args.config.fitness.objective = resolve_objective(args.objective, args.config.checkpoint);
    if (args.qat_seed < 0) args.qat_seed = args.config.seed;
    args.config.fitness.qat.seed = static_cast<uint64_t>(args.qat_seed);
    if (std::filesystem::exists(std::filesystem::path(run_dir) / "evaluations.sqlite")) {
      throw std::invalid_argument(run_dir + " already holds a search; use --resume " + run_dir +
                                  " or another --out");
    }
  }
  return run_dir;
}

// The best validation score of a generation, in the objective's unit.
std::string best(const SearchArgs& args, double score) {
  const report::Metric m{args.config.fitness.objective, 1};
  return m.is_accuracy() ? percent(score) : m.format(score);
}

int search_and_print(const SearchArgs& args, const std::string& run_dir,
                     const search::Dispatch& dispatch) {
  if (const std::string advice = train::blas_core_advice(); !advice.empty()) {
    std::printf("%s\n", advice.c_str());
    std::fflush(stdout);
  }
  const search::SearchResult r = search::run_search(
      args.config, run_dir,
      [&args](const search::GenerationProgress& p) {
        const double eta = p.elapsed_seconds / p.generation * (p.generations - p.generation);
        const std::string screened = p.screened < 0
                                         ? std::string()
                                         : "  screened " + std::to_string(p.screened) +
                                               " fine-tuned " + std::to_string(p.fine_tunes);
        std::printf(
            "generation %u/%u  evaluations %lld  cache hits %lld%s  hypervolume %.4f  best val %s  "
            "smallest %lld B  %s  ETA %s\n",
            p.generation, p.generations, static_cast<long long>(p.evaluations),
            static_cast<long long>(p.cache_hits), screened.c_str(), p.hypervolume,
            best(args, p.best_accuracy).c_str(), static_cast<long long>(p.smallest_size_bits / 8),
            format_duration(p.elapsed_seconds).c_str(), format_duration(eta).c_str());
        std::fflush(stdout);
      },
      [](const search::ScoringProgress& p) {
        const double eta = p.done > 0 ? p.elapsed_seconds / static_cast<double>(p.done) *
                                            static_cast<double>(p.total - p.done)
                                      : 0.0;
        std::printf("final scores %zu/%zu genomes (fine-tune, validation and test)  %s  ETA %s\n",
                    p.done, p.total, format_duration(p.elapsed_seconds).c_str(),
                    format_duration(eta).c_str());
        std::fflush(stdout);
      },
      dispatch);
  print_result(r, run_dir);
  return kExitOk;
}

int run_search_command(SearchArgs args, unsigned workers_given) {
  if (args.evaluator == "threads") {
    const std::string run_dir = resolve_run(args);
    if (workers_given > 0) args.config.workers = workers_given;  // also on --resume
    return search_and_print(args, run_dir, {});
  }
  // MPI: rank 0 searches, the other ranks evaluate. An error on rank 0 ends the whole job
  // (the workers wait for it), with the exit code mpgru gives that error.
  const search::mpi::Session session;
  if (session.rank() != 0) {
    const nlohmann::json config = search::mpi::broadcast_config({});
    try {
      search::serve_search(search::search_config_from_json(config), search::mpi::serve);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mpgru search: error: MPI rank %d: %s\n", session.rank(), e.what());
      session.abort(kExitFailure);
    }
    return kExitOk;
  }
  try {
    const std::string run_dir = resolve_run(args);
    search::mpi::broadcast_config(search::search_config_json(args.config));
    const search::mpi::Pool pool(session.size());
    std::printf("MPI evaluator: %u worker ranks\n", pool.workers());
    return search_and_print(args, run_dir, {&pool, pool.workers()});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpgru search: error: %s\n", e.what());
    std::fflush(stderr);
    session.abort(dynamic_cast<const std::invalid_argument*>(&e) != nullptr ? kExitUsage
                                                                            : kExitFailure);
  }
}

}  // namespace

Command add_search_command(CLI::App& parent) {
  auto args = std::make_shared<SearchArgs>();
  search::SearchConfig& c = args->config;
  CLI::App* app = parent.add_subcommand(
      "search", "NSGA-II search of bit-width genomes: Pareto front of accuracy vs size");
  add_config_option(app);
  app->add_option("--ckpt", c.checkpoint, "Float checkpoint folder (from mpgru train)");
  app->add_option("--task", c.task, "Task (default: the checkpoint's)");
  app->add_option("--data", c.data_dir,
                  "Data folder, or a data file (.npz, .pt: task file); default: the "
                  "checkpoint's data file, $MPGRU_DATA_DIR or ./data");
  add_skip_bad_option(app, c.skip_bad);
  app->add_option("--out,-o", args->out, "Run folder")->capture_default_str();
  app->add_option("--resume", args->resume, "Continue the run in this folder (its own config)");
  app->add_option("--fitness", args->fitness, "ptq or qat")->capture_default_str();
  app->add_option("--objectives", args->objectives,
                  "error,size, error,size,bops, or error,size,latency (predicted instructions per "
                  "step on --target, the device cost model)")
      ->capture_default_str();
  app->add_option("--target", c.target,
                  "The device of the latency objective: cortex-m4 or cortex-m55 (every genome's "
                  "predicted cost on each device is reported whichever objectives are searched)");
  app->add_option("--objective", args->objective,
                  "What a genome scores: accuracy (classifiers), sisdr or stoi (per-step "
                  "enhancement models: mean SI-SDR / STOI improvement over the validation clips), "
                  "r2 (per-step models of a data file: the fit of the targets); auto: accuracy, "
                  "or sisdr (task se) or r2 (task file) for a per-step checkpoint")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "accuracy", "sisdr", "stoi", "r2"}));
  app->add_option("--population", c.population, "Population (multiple of 4, >= 8)")
      ->capture_default_str();
  app->add_option("--generations", c.generations, "Generations")->capture_default_str();
  app->add_option("--workers", c.workers,
                  "Parallel evaluations (threads; also allowed with --resume)")
      ->capture_default_str();
  app->add_option("--evaluator", args->evaluator,
                  "threads (--workers of them) or mpi: run as `mpirun -np N mpgru search ... "
                  "--evaluator mpi`, rank 0 searching, the other N-1 ranks evaluating (allowed "
                  "with --resume; docs/scaleout.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"threads", "mpi"}));
  app->add_option("--seed", c.seed, "Seed of NSGA-II (and of QAT, unless --qat-seed)")
      ->capture_default_str();
  app->add_option("--qat-seed", args->qat_seed, "Seed of every QAT fine-tune (default: --seed)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--qat-steps", c.fitness.qat.steps, "QAT steps per evaluation (qat fitness)")
      ->capture_default_str();
  app->add_option("--qat-lr", c.fitness.qat.lr, "QAT learning rate")->capture_default_str();
  app->add_option("--distill-weight", c.fitness.qat.distill_weight,
                  "qat fitness: every fine-tune (and the final ones) distils from the float "
                  "model with this weight alpha in [0, 1] (mpgru qat --help; 0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--distill-temperature", c.fitness.qat.distill_temperature,
                  "Distillation temperature T > 0 (classifiers, with --distill-weight > 0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--dampen", c.fitness.qat.dampen,
                  "qat fitness: every fine-tune (and the final ones) dampens the oscillations of "
                  "the weights at 2-4 bits with this lambda >= 0 (mpgru qat --help; 0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--final-steps", c.final_steps,
                  "QAT steps for the final re-evaluation of the front and baseline (0: same)")
      ->capture_default_str();
  app->add_option("--final-fronts", c.final_fronts,
                  "Non-dominated ranks of the final population that get the final scores "
                  "(qat: the --final-steps fine-tune)")
      ->capture_default_str();
  app->add_option("--fidelity", args->fidelity,
                  "full (every genome fine-tuned) or screened (qat: every new genome scored by "
                  "PTQ first, only the promising fine-tuned; the finals by successive halving; "
                  "docs/search.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "screened"}));
  app->add_option("--free-genes", args->free_genes,
                  "search (every gene searched) or widest (objectives error,size: the genes that "
                  "do not change the size, all but the weights', held at 8 bits; docs/search.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"search", "widest"}));
  app->add_option("--promote", c.screen.promote,
                  "screened: at most this fraction of each generation's new genomes fine-tuned")
      ->capture_default_str();
  app->add_option("--final-keep", c.final_keep,
                  "screened: candidates that get the --final-steps fine-tune: three quarters "
                  "(rounded up) for the headline in rounds of two, each round's outcomes "
                  "narrowing the next, the rest by hypervolume on their search scores")
      ->capture_default_str();
  app->add_option("--islands", c.islands.islands,
                  "Island model: this many NSGA-II populations of --population each, own seeds "
                  "(seed, seed + 1, ...), one shared store (1: none)")
      ->capture_default_str();
  app->add_option("--migrants", c.islands.migrants,
                  "Genomes each island receives per migration (its worst are replaced)")
      ->capture_default_str();
  app->add_option("--migrate-every", c.islands.migrate_every, "Generations between migrations")
      ->capture_default_str();
  app->add_option("--topology", args->topology,
                  "ring (island k sends to k + 1) or full (each receives the best of all others)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ring", "full"}));
  app->add_option("--calibration", args->method, "mse, percentile or maxabs")
      ->capture_default_str();
  app->add_option("--calib-sequences", c.calibration.sequences, "Calibration sequences")
      ->capture_default_str();
  app->add_option("--mutation", c.mutation, "NSGA-II mutation probability per gene")
      ->capture_default_str();
  app->add_option("--crossover", c.crossover, "NSGA-II crossover probability")
      ->capture_default_str();
  return {app, [args, app] {
            if (!args->resume.empty()) refuse_flags_with_resume(*app);
            const unsigned workers =
                app->get_option("--workers")->count() > 0 ? args->config.workers : 0;
            return run_search_command(*args, workers);
          }};
}

}  // namespace mpgru::cli
