// `mpgru sweep`: PTQ of the homogeneous genomes 2..8 from one float checkpoint, as a table.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/ptq_setup.hpp"
#include "engine/convert.hpp"
#include "engine/float_simulation.hpp"
#include "engine/gru_engine.hpp"
#include "train/qat.hpp"

namespace mpgru::cli {
namespace {

struct SweepArgs {
  PtqArgs ptq;
  std::string split = "test";
  int threads = 2;
  bool json = false;
  bool compare_simulation = false;
  bool compare_fake_quant = false;
  int random_genomes = 0;  // also evaluate this many random genomes
  uint64_t seed = 1;
};

// The homogeneous genomes 8..2, then `random` random ones (bits uniform in 2..8, seeded).
std::vector<core::Genome> sweep_genomes(const core::GenomeLayout& layout, int random,
                                        uint64_t seed) {
  std::vector<core::Genome> out;
  for (int bits = core::kMaxBits; bits >= core::kMinBits; --bits) {
    out.push_back(core::Genome::homogeneous(layout, bits));
  }
  std::mt19937_64 rng(seed);
  for (int i = 0; i < random; ++i) {
    core::Genome g = core::Genome::homogeneous(layout, core::kMaxBits);
    for (size_t k = 0; k < g.size(); ++k)
      g.set_bits(k, core::kMinBits + static_cast<int>(rng() % 7));
    out.push_back(g);
  }
  return out;
}

// "8" for a homogeneous 8-bit genome, "mix" otherwise.
std::string homogeneous_label(const core::Genome& g) {
  for (size_t i = 1; i < g.size(); ++i) {
    if (g.bits(i) != g.bits(0)) return "mix";
  }
  return std::to_string(g.bits(0));
}

// How often the engine's predictions agree with the float simulation and with the QAT
// fake-quant model (-1 where not asked for).
struct Comparison {
  double simulation = -1;
  double fake_quant = -1;
  double fake_quant_accuracy = -1;
};

double fraction_equal(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  int64_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(std::max<size_t>(a.size(), 1));
}

Comparison compare(const SweepArgs& args, const PtqSetup& s, const engine::IntegerModel& model,
                   const core::Genome& genome, const data::Sequences& eval,
                   const std::vector<int32_t>& engine_predictions) {
  Comparison c;
  if (args.compare_simulation) {
    c.simulation = fraction_equal(engine::simulate_predictions(model, eval), engine_predictions);
  }
  if (args.compare_fake_quant) {
    const std::vector<int32_t> fq = train::fake_quant_predictions(
        s.float_model, quant::ptq_scales(s.float_model, s.calibration, genome), genome, eval);
    c.fake_quant = fraction_equal(fq, engine_predictions);
    c.fake_quant_accuracy =
        fraction_equal(fq, std::vector<int32_t>(eval.labels.begin(), eval.labels.end()));
  }
  return c;
}

int run_sweep(const SweepArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  const data::Split split = data::parse_split(args.split);
  const PtqSetup s = prepare_ptq(args.ptq);
  const data::Sequences& eval = s.dataset->split(split);
  const double float_acc = quant::float_accuracy(s.float_model, eval, args.threads);
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    std::printf("task %s, split %s (%lld sequences), calibration %s; float accuracy %s\n",
                s.dataset->name().c_str(), data::to_string(split),
                static_cast<long long>(eval.count()), args.ptq.method.c_str(),
                percent(float_acc).c_str());
    std::printf("%4s  %9s  %12s  %10s  %15s  %7s\n", "bits", "accuracy", "size bits", "size B",
                "footprint B", "seconds");
  }
  const core::GenomeLayout layout = quant::genome_layout(s.float_model);
  for (const core::Genome& genome : sweep_genomes(layout, args.random_genomes, args.seed)) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string bits = homogeneous_label(genome);
    const engine::IntegerModel model = engine::convert(s.float_model, s.calibration, genome,
                                                       static_cast<int32_t>(s.dataset->steps()));
    const engine::EngineEvaluation e = engine::evaluate(model, eval, args.threads);
    const engine::ModelSize size = engine::model_size(model);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Comparison cmp = compare(args, s, model, genome, eval, e.predictions);
    rows.push_back({{"bits", bits},
                    {"simulation_agreement", cmp.simulation},
                    {"fake_quant_agreement", cmp.fake_quant},
                    {"fake_quant_accuracy", cmp.fake_quant_accuracy},
                    {"genome", genome.to_pairs()},
                    {"accuracy", e.accuracy},
                    {"size_bits", size.size_bits},
                    {"size_bytes", size.size_bytes()},
                    {"footprint_bytes", size.footprint_bytes},
                    {"seconds", seconds}});
    if (!args.json) {
      std::printf("%4s  %9s  %12lld  %10.0f  %15lld  %7.1f", bits.c_str(),
                  percent(e.accuracy).c_str(), static_cast<long long>(size.size_bits),
                  size.size_bytes(), static_cast<long long>(size.footprint_bytes), seconds);
      if (args.compare_simulation)
        std::printf("  engine = float simulation: %s", percent(cmp.simulation).c_str());
      if (args.compare_fake_quant) {
        std::printf("  engine = fake quant: %s (fake-quant accuracy %s)",
                    percent(cmp.fake_quant).c_str(), percent(cmp.fake_quant_accuracy).c_str());
      }
      if (bits == "mix") std::printf("  %s", genome.to_compact().c_str());
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (args.json) {
    std::cout << nlohmann::json{{"task", s.dataset->name()},
                                {"split", data::to_string(split)},
                                {"calibration", args.ptq.method},
                                {"float_accuracy", float_acc},
                                {"rows", rows},
                                {"seconds", total}}
                     .dump(2)
              << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_sweep_command(CLI::App& parent) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* app = parent.add_subcommand(
      "sweep", "PTQ of the homogeneous genomes 2..8 of a float checkpoint, measured by the engine");
  add_config_option(app);
  add_ptq_options(app, args->ptq);
  app->add_option("--split", args->split, "Split to evaluate: train, validation or test")
      ->capture_default_str();
  app->add_option("--threads", args->threads, "Engine threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app->add_flag("--json", args->json, "Print the table as JSON");
  app->add_option("--random-genomes", args->random_genomes,
                  "Also evaluate this many random genomes (bits uniform in 2..8)")
      ->check(CLI::Range(0, 100000));
  app->add_option("--seed", args->seed, "Seed of the random genomes")->capture_default_str();
  app->add_flag("--compare-fake-quant", args->compare_fake_quant,
                "Also compare with the QAT fake-quant model at the PTQ scales (LibTorch)");
  app->add_flag("--compare-simulation", args->compare_simulation,
                "Also report how often the engine and the float simulation predict the same class");
  return {app, [args] { return run_sweep(*args); }};
}

}  // namespace mpgru::cli
