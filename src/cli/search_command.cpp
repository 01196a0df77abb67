// `mpgru search`: NSGA-II over bit-width genomes from a float checkpoint; `--resume RUN_DIR`
// continues a stopped run from its evaluation store.
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "cli/progress_bar.hpp"
#include "cli/ptq_setup.hpp"
#include "search/search_run.hpp"

namespace mpgru::cli {
namespace {

struct SearchArgs {
  search::SearchConfig config;
  std::string fitness = "ptq";
  std::string objectives = "error,size";
  std::string method = "mse";
  std::string out = "runs/search";
  std::string resume;
};

void print_result(const search::SearchResult& r, const std::string& run_dir) {
  std::printf("front: %zu genomes, baseline: %zu; hypervolume mixed %.4f vs homogeneous %.4f\n",
              r.front.size(), r.baseline.size(), r.hypervolume_front, r.hypervolume_baseline);
  if (r.iso_accuracy != nullptr) {
    std::printf(
        "smallest front genome within 0.5 pp of 8-bit: %s, test %s, %lld bytes: size -%.1f %%\n",
        r.iso_accuracy->genome.to_compact().c_str(), percent(r.iso_accuracy->test_accuracy).c_str(),
        static_cast<long long>(r.iso_accuracy->validation.size_bits / 8), 100 * r.size_reduction);
    std::printf("fewest BOPs within 0.5 pp of 8-bit: %s, test %s, %.1f MBOPs: BOPs -%.1f %%\n",
                r.iso_accuracy_bops->genome.to_compact().c_str(),
                percent(r.iso_accuracy_bops->test_accuracy).c_str(),
                static_cast<double>(r.iso_accuracy_bops->validation.bops) / 1e6,
                100 * r.bops_reduction);
  } else {
    std::printf("no front genome is within 0.5 pp of homogeneous 8-bit on test\n");
  }
  std::printf(
      "%lld evaluations, %lld cache hits, %s; wrote %s/{front.csv,front.json,baseline.csv}\n"
      "report: %s/report.html\n",
      static_cast<long long>(r.evaluations), static_cast<long long>(r.cache_hits),
      format_duration(r.seconds).c_str(), run_dir.c_str(), run_dir.c_str());
}

int run_search_command(SearchArgs args) {
  std::string run_dir = args.out;
  if (!args.resume.empty()) {
    args.config = search::load_search_config(args.resume);
    run_dir = args.resume;
  } else {
    args.config.fitness.mode = search::parse_fitness_mode(args.fitness);
    args.config.objectives = search::parse_objectives(args.objectives);
    args.config.calibration.method = quant::parse_range_method(args.method);
    if (std::filesystem::exists(std::filesystem::path(run_dir) / "evaluations.sqlite")) {
      throw std::invalid_argument(run_dir + " already holds a search; use --resume " + run_dir +
                                  " or another --out");
    }
  }
  const search::SearchResult r =
      search::run_search(args.config, run_dir, [](const search::GenerationProgress& p) {
        const double eta = p.elapsed_seconds / p.generation * (p.generations - p.generation);
        std::printf(
            "generation %u/%u  evaluations %lld  cache hits %lld  hypervolume %.4f  best val %s  "
            "smallest %lld B  %s  ETA %s\n",
            p.generation, p.generations, static_cast<long long>(p.evaluations),
            static_cast<long long>(p.cache_hits), p.hypervolume, percent(p.best_accuracy).c_str(),
            static_cast<long long>(p.smallest_size_bits / 8),
            format_duration(p.elapsed_seconds).c_str(), format_duration(eta).c_str());
        std::fflush(stdout);
      });
  print_result(r, run_dir);
  return kExitOk;
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
  app->add_option("--data", c.data_dir, "Data folder");
  add_skip_bad_option(app, c.skip_bad);
  app->add_option("--out,-o", args->out, "Run folder")->capture_default_str();
  app->add_option("--resume", args->resume, "Continue the run in this folder (its own config)");
  app->add_option("--fitness", args->fitness, "ptq or qat")->capture_default_str();
  app->add_option("--objectives", args->objectives, "error,size or error,size,bops")
      ->capture_default_str();
  app->add_option("--population", c.population, "Population (multiple of 4, >= 8)")
      ->capture_default_str();
  app->add_option("--generations", c.generations, "Generations")->capture_default_str();
  app->add_option("--workers", c.workers, "Parallel evaluations")->capture_default_str();
  app->add_option("--seed", c.seed, "Seed")->capture_default_str();
  app->add_option("--qat-steps", c.fitness.qat.steps, "QAT steps per evaluation (qat fitness)")
      ->capture_default_str();
  app->add_option("--qat-lr", c.fitness.qat.lr, "QAT learning rate")->capture_default_str();
  app->add_option("--final-steps", c.final_steps,
                  "QAT steps for the final re-evaluation of the front and baseline (0: same)")
      ->capture_default_str();
  app->add_option("--calibration", args->method, "mse, percentile or maxabs")
      ->capture_default_str();
  app->add_option("--calib-sequences", c.calibration.sequences, "Calibration sequences")
      ->capture_default_str();
  app->add_option("--mutation", c.mutation, "NSGA-II mutation probability per gene")
      ->capture_default_str();
  app->add_option("--crossover", c.crossover, "NSGA-II crossover probability")
      ->capture_default_str();
  return {app, [args] { return run_search_command(*args); }};
}

}  // namespace mpgru::cli
